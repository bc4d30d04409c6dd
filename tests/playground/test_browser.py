"""The playground page in a real browser (Chromium through Playwright, no browser
download: Debian's chromium), against the real server started with the CLI, plus the
page's translation catalog.

Screenshots go to $CHAINRULE_ARTIFACTS (or a pytest temporary directory); the path is
printed (run with -s to see it)."""
from __future__ import annotations

import html.parser
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import chainrule
import chainrule as cr

STATIC = Path(chainrule.__file__).resolve().parent / "playground" / "static"
LOCALE = Path(chainrule.__file__).resolve().parent / "locale"


class _I18nParser(html.parser.HTMLParser):
    """The msgids of index.html: the text of elements marked data-i18n, and the attributes
    listed in data-i18n-attrs."""

    def __init__(self):
        super().__init__()
        self.ids, self.open = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in (attrs.get("data-i18n-attrs") or "").split():
            self.ids.append(attrs[name])
        if "data-i18n" in attrs:
            self.open.append([tag, ""])

    def handle_data(self, data):
        if self.open:
            self.open[-1][1] += data

    def handle_endtag(self, tag):
        if self.open and self.open[-1][0] == tag:
            self.ids.append(self.open.pop()[1].strip())


_CALL = re.compile(r'\b(?:t|N_)\(\s*"((?:[^"\\]|\\.)*)"')


def page_msgids() -> list:
    """Every string the page translates, in order of appearance, without repeats."""
    parser = _I18nParser()
    parser.feed((STATIC / "index.html").read_text(encoding="utf-8"))
    ids = parser.ids
    for js in sorted(STATIC.glob("*.js")):
        ids += [m.encode().decode("unicode_escape") if "\\" in m else m
                for m in _CALL.findall(js.read_text(encoding="utf-8"))]
    return list(dict.fromkeys(i for i in ids if i))


# ------------------------------------------------------------------- the catalog
def test_every_page_string_is_translated_to_vietnamese():
    from babel.messages.pofile import read_po
    import gettext

    po_path = LOCALE / "vi" / "LC_MESSAGES" / "playground.po"
    with po_path.open("rb") as f:
        po = read_po(f)
    translated = {m.id: m.string for m in po if m.id}
    missing = [m for m in page_msgids() if not translated.get(m)]
    assert not missing, f"untranslated page strings (add them to {po_path}): {missing}"
    unused = sorted(set(translated) - set(page_msgids()))
    assert not unused, f"{po_path} has strings the page no longer uses: {unused}"
    # the .mo that runs is the .po compiled: same messages, same translations
    with (po_path.with_suffix(".mo")).open("rb") as f:
        mo = gettext.GNUTranslations(f)
    stale = [m for m, s in translated.items() if mo.gettext(m) != s]
    assert not stale, (f"playground.mo is older than playground.po for {stale[:3]}...; run "
                       "`pybabel compile -d src/chainrule/locale -D playground`")
    # placeholders survive translation
    for m, s in translated.items():
        assert sorted(re.findall(r"\{\w+\}", m)) == sorted(re.findall(r"\{\w+\}", s)), m



# ------------------------------------------------------------------- the server
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
URL_LINE = re.compile(r"http://127\.0\.0\.1:\d+/")


def _cli() -> list:
    """The `chainrule` command of this environment."""
    script = Path(sys.executable).with_name("chainrule")
    found = str(script) if script.exists() else shutil.which("chainrule")
    if not found:
        pytest.skip("the `chainrule` command is not installed (pip install -e .)")
    return [found]


@pytest.fixture(scope="module")
def server(request, tmp_path_factory):
    """`chainrule playground --port 0 --no-browser`: its URL; SIGTERM at the end, which
    must stop it cleanly (exit status 0)."""
    log = tmp_path_factory.mktemp("playground-server") / "stderr.txt"
    with log.open("w") as err:         # a file, not a pipe nobody reads, which could fill
        proc = subprocess.Popen(_cli() + ["playground", "--port", "0", "--no-browser"],
                                stdout=subprocess.PIPE, stderr=err, text=True)

    def stop():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                pytest.fail("chainrule playground did not stop within 10 s of SIGTERM")
        proc.stdout.close()
        assert proc.returncode == 0, (f"chainrule playground exited with {proc.returncode} "
                                      f"after SIGTERM; stderr: {log.read_text()[-2000:]}")

    request.addfinalizer(stop)
    deadline, line = time.monotonic() + 30, ""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.5)
        if ready:
            line = proc.stdout.readline()
            if URL_LINE.search(line) or not line:
                break
        if proc.poll() is not None:
            break
    match = URL_LINE.search(line)
    if not match:
        proc.kill()
        proc.wait()
        pytest.fail(f"chainrule playground printed no URL (stdout {line!r}, "
                    f"stderr {log.read_text()[-2000:]!r})")
    return match.group(0)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="Playwright drives the browser (pip install playwright)")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("no chromium on PATH (apt-get install chromium); no browser is downloaded")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    env = os.environ.get("CHAINRULE_ARTIFACTS")
    path = Path(env) / "playground" if env else tmp_path_factory.mktemp("playground-screens")
    path.mkdir(parents=True, exist_ok=True)
    print(f"\nplayground screenshots: {path}")
    return path


class Page:
    """A browser tab on the playground with helpers; errors in the page (exceptions,
    console errors such as a file that did not load) fail the test."""

    def __init__(self, page, base):
        self.page, self.base, self.errors = page, base, []
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def open(self, hash_: str = ""):
        """Load the page with this hash (a fresh load: a new hash alone would not reload)."""
        self.page.goto("about:blank")
        self.page.goto(self.base + ("#" + hash_ if hash_ else ""))
        self.page.evaluate("() => window.playground.ready")
        return self.state()

    def state(self) -> dict:
        return self.page.evaluate("() => window.playground.state()")

    def wait(self, condition: str, timeout: float = 15):
        """Wait until the JS expression over `s` (the state) holds."""
        self.page.wait_for_function(f"() => {{ const s = window.playground.state(); return {condition}; }}",
                                    timeout=timeout * 1000)
        return self.state()


@pytest.fixture
def tab(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    page = Page(context.new_page(), server)
    yield page
    context.close()
    assert not page.errors, f"errors in the page: {page.errors}"


# ------------------------------------------------------------------- the page
def test_play_trains_and_the_loss_falls_on_circle(tab, artifacts):
    first = tab.open("dataset=circle&networkShape=8,8&learningRate=0.1&activation=tanh")
    assert first["config"]["networkShape"] == [8, 8] and first["epoch"] == 0
    assert first["running"] is False
    tab.page.click("#play")                           # through the page, as a user does
    tab.wait("s.running && s.epoch >= 25")
    tab.page.click("#play")                           # the same button pauses
    after = tab.wait("!s.running")
    assert after["trainLoss"] < 0.3 * first["trainLoss"], (first["trainLoss"], after["trainLoss"])
    assert after["testLoss"] < 0.3 * first["testLoss"]
    # the hash holds the whole normalised setup, and the page shows the epoch it got
    hash_ = tab.page.evaluate("() => location.hash")
    assert "networkShape=8,8" in hash_ and "learningRate=0.1" in hash_ and "activation=tanh" in hash_
    assert int(tab.page.inner_text("#epoch").replace(",", "")) == after["epoch"]
    # drawing keeps up: it draws the latest state, well within a 30 frames/s budget
    stats = tab.page.evaluate("() => window.playground.stats()")
    assert stats["frames"] >= 10 and stats["drawMs"] / stats["frames"] < 33, stats
    tab.page.screenshot(path=artifacts / "circle-trained.png")


def test_the_controls_change_the_setup_and_the_hash(tab):
    tab.open("networkShape=4,2")
    tab.page.select_option("#ctl-activation", "relu")
    tab.wait("s.config.activation === 'relu'")
    tab.page.click("#add-layer")
    tab.wait("s.config.networkShape.length === 3")
    tab.page.locator("#net-overlay .layer-head").nth(0).get_by_role("button", name="Add a neuron").click()
    state = tab.wait("s.config.networkShape[0] === 5")
    assert state["config"]["networkShape"] == [5, 2, 2]
    tab.page.click('#net-overlay .feature[data-feature="sinX"]')
    tab.wait("s.config.sinX === true")
    hash_ = tab.page.evaluate("() => location.hash")
    assert "activation=relu" in hash_ and "networkShape=5,2,2" in hash_ and "sinX=true" in hash_
    # the hash reproduces the setup in a fresh page
    again = tab.open(hash_.lstrip("#"))
    assert again["config"] == state["config"] | {"sinX": True}


def _ratio_after_one_epoch(tab, hash_: str) -> float:
    tab.open(hash_)
    tab.page.click("#step")
    norms = tab.wait("s.epoch === 1")["gradNorms"]
    assert len(norms) == 9 and all(v is not None and v > 0 for v in norms), norms
    return norms[0] / norms[-1]


def test_eight_sigmoid_layers_starve_the_first_layer_and_skip_restores_it(tab, artifacts):
    deep = "networkShape=8,8,8,8,8,8,8,8&activation=sigmoid"
    plain = _ratio_after_one_epoch(tab, deep)
    tab.page.screenshot(path=artifacts / "sigmoid-8-layers.png")
    skip = _ratio_after_one_epoch(tab, deep + "&skip=true")
    tab.page.screenshot(path=artifacts / "sigmoid-8-layers-skip.png")
    assert plain < 1e-3, plain                        # measured about 1e-5
    assert skip > 1e-2 and skip > 100 * plain, (plain, skip)


def test_a_learning_rate_of_10_diverges_and_the_banner_says_so(tab, artifacts):
    # regression with a linear network: the squared error blows up within two steps
    tab.open("problem=regression&regDataset=reg-plane&activation=linear&networkShape=8,8,8"
             "&learningRate=10")
    banner = tab.page.locator("#divergence-banner")
    assert banner.is_hidden()
    tab.page.click("#play")
    state = tab.wait("s.diverged")
    tab.wait("!s.running")                            # training stopped by itself
    assert banner.is_visible() and banner.get_attribute("role") == "alert"
    text = banner.inner_text()
    assert "learning rate 10" in text and "step" in text, text
    assert state["config"]["learningRate"] == 10
    tab.page.screenshot(path=artifacts / "diverged.png")


def test_export_downloads_a_model_that_cr_load_reads(tab, tmp_path):
    tab.open("networkShape=5,3&x=true&y=true&xSquared=true")
    tab.page.click("#step")
    tab.wait("s.epoch === 1")
    with tab.page.expect_download() as info:
        tab.page.click("#export-model")
    download = info.value
    assert download.suggested_filename.endswith(".safetensors")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    saved = cr.load(path)
    assert saved["epoch"] == 1 and saved["config"]["networkShape"] == [5, 3]
    # 3 features -> 5 -> 3 -> 1: weights of 15, 15 and 3 numbers, biases of 5, 3 and 1
    sizes = sorted(int(v.size) for v in saved["model"].values())
    assert sizes == sorted([15, 5, 15, 3, 3, 1]), {k: v.shape for k, v in saved["model"].items()}
    # the Python code panel shows code that uses chainrule, with a download of its own
    tab.page.click("#export-code")
    tab.page.wait_for_selector("#code-dialog[open]")
    assert "chainrule" in tab.page.inner_text("#code-text")
    with tab.page.expect_download() as info:
        tab.page.click("#download-code")
    assert info.value.suggested_filename.endswith(".py")


def test_lang_vi_shows_vietnamese(tab, artifacts):
    from chainrule.i18n import catalog

    vi = catalog("vi", "playground")
    tab.open("lang=vi&networkShape=6,4")
    tab.page.wait_for_function("() => document.documentElement.lang === 'vi'")
    tab.page.wait_for_function("() => document.querySelector('#play').title !== 'Run / pause'")
    assert tab.state()["config"]["lang"] == "vi"
    body = tab.page.text_content("body")
    for word in ("Tốc độ học", "Hàm kích hoạt", "Dữ liệu", "Đầu ra", "tầng ẩn", "nơ-ron"):
        assert word in body, word
    # every marked string shows its translation, none is left in English
    left = tab.page.evaluate("""() => [...document.querySelectorAll('[data-i18n]')]
        .filter(el => el.dataset.i18n && el.textContent.trim() === el.dataset.i18n)
        .map(el => el.dataset.i18n)""")
    assert not [m for m in left if vi.get(m, m) != m], left
    tab.page.screenshot(path=artifacts / "vietnamese.png")
    # and back to English from the language control
    tab.page.select_option("#ctl-lang", "en")
    tab.page.wait_for_function("() => document.documentElement.lang === 'en'")
    tab.wait("s.config.lang === 'en'")
    tab.page.wait_for_function("() => document.body.textContent.includes('Learning rate')")
    tab.page.select_option("#ctl-lang", "vi")
    tab.page.wait_for_function("() => document.documentElement.lang === 'vi'")
    tab.page.click("#tab-backprop")
    tab.page.wait_for_selector("#bp-svg .node")
    tab.page.click("#bp-all")
    assert "Lan truyền ngược" in tab.page.inner_text("#bp-log")
    tab.page.screenshot(path=artifacts / "vietnamese-backprop.png")


def test_backprop_tab_steps_forward_then_backward(tab, artifacts):
    tab.open()
    tab.page.click("#tab-backprop")
    tab.page.wait_for_selector("#bp-svg .node")
    assert tab.page.input_value("#bp-expression") == "(x + y) * z"
    assert tab.page.locator("#bp-svg .node").count() == 5
    assert tab.page.locator("#bp-svg .node-value").count() == 0
    for _ in range(5):                                # forward: the five nodes' values
        tab.page.click("#bp-next")
    assert tab.page.locator("#bp-svg .node-value").count() == 5
    assert "= -5" in tab.page.text_content("#bp-svg")
    tab.page.click("#bp-next")                        # the seed, then the four edges
    for _ in range(4):
        tab.page.click("#bp-next")
    labels = tab.page.locator("#bp-svg .edge-label").all_text_contents()
    assert sorted(labels) == sorted(["1 × 5 = 5", "1 × -1 = -1", "5 × 1 = 5", "5 × 1 = 5"]), labels
    assert "∂L/∂x = 5" in tab.page.inner_text("#bp-explain")
    assert tab.page.is_disabled("#bp-next")
    tab.page.screenshot(path=artifacts / "backprop-sum.png")
    # the second preset: sigmoid(t0 + t1*x) at x=1, t0=-3, t1=3
    tab.page.select_option("#bp-preset", "1")
    tab.page.wait_for_function("() => document.querySelectorAll('#bp-svg .node').length === 6")
    tab.page.click("#bp-all")
    explain = tab.page.inner_text("#bp-explain")
    assert "∂L/∂x = 0.75" in explain and "∂L/∂t0 = 0.25" in explain, explain
    tab.page.screenshot(path=artifacts / "backprop-sigmoid.png")


def test_a_big_network_draws_without_weights_or_neuron_maps(tab, artifacts):
    shape = ",".join(["64"] * 32)
    state = tab.open(f"networkShape={shape}&activation=tanh")
    assert state["config"]["networkShape"] == [64] * 32
    assert tab.page.evaluate("() => document.querySelectorAll('#net-overlay .layer-head').length") == 32
    tab.page.screenshot(path=artifacts / "big-network.png")


# ------------------------------------------------------------------- the socket
def _ws_url(server: str) -> str:
    return server.replace("http://", "ws://") + "ws"


def test_a_foreign_origin_websocket_is_refused(server):
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    with pytest.raises(InvalidStatus) as err:
        connect(_ws_url(server), origin="http://evil.example", open_timeout=10).close()
    assert err.value.response.status_code == 403
    with connect(_ws_url(server), origin=server.rstrip("/"), open_timeout=10) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "hello"


def test_a_malformed_message_gets_an_error_and_the_connection_stays(server):
    from websockets.sync.client import connect

    with connect(_ws_url(server), open_timeout=10) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "hello"
        for bad in ("not json", json.dumps({"type": "fly"}), json.dumps([1, 2]),
                    json.dumps({"type": "config", "config": {"learningRate": "fast"}})):
            ws.send(bad)
            reply = json.loads(ws.recv(timeout=10))
            assert reply["type"] == "error" and reply["message"], (bad, reply)
        assert reply["field"] == "learningRate"
        ws.send(json.dumps({"type": "config", "config": {"networkShape": "3"}}))
        assert json.loads(ws.recv(timeout=10))["config"]["networkShape"] == [3]
