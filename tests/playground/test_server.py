"""The playground's server: routes, the WebSocket protocol, message checks, the Host and
Origin guards (Starlette's TestClient), and the real CLI as a subprocess."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

import chainrule.playground as playground
from chainrule.playground.protocol import MAX_MESSAGE_BYTES
from chainrule.playground.server import STATIC_DIR, HostGuard, create_app, split_host


@pytest.fixture
def client():
    with TestClient(create_app(HostGuard("testserver"))) as c:
        yield c


@pytest.fixture
def ws(client):
    with client.websocket_connect("/ws") as ws:
        hello = ws.receive_json()
        assert hello["type"] == "hello"
        yield ws


def send(ws, msg) -> None:
    ws.send_text(json.dumps(msg))


def until(ws, kind: str, limit: int = 200) -> dict:
    """The next message of this type (skipping others, e.g. frames of a running loop)."""
    for _ in range(limit):
        msg = ws.receive_json()
        if msg["type"] == kind:
            return msg
    raise AssertionError(f"no {kind} message in {limit}")


def configure(ws, **setup) -> tuple:
    send(ws, {"type": "config", "config": setup})
    return ws.receive_json(), ws.receive_json(), ws.receive_json()


# ------------------------------------------------------------------- HTTP
def test_index_and_static_files(client):
    if not (STATIC_DIR / "index.html").is_file():
        pytest.skip("the page (static/index.html) is not there yet")
    r = client.get("/")
    assert r.status_code == 200 and "<html" in r.text.lower()


def test_messages_api(client):
    assert client.get("/api/messages/en").json() == {}
    vi = client.get("/api/messages/vi")
    assert vi.status_code == 200 and isinstance(vi.json(), dict)
    assert client.get("/api/messages/fr").status_code == 404
    assert client.get("/api/messages/..%2F..%2Fetc").status_code == 404


def test_nothing_else_is_served(client):
    assert client.get("/api/state").status_code == 404
    assert client.post("/").status_code == 405


# ------------------------------------------------------------------ guards
@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.nip.io"])
def test_foreign_host_header_is_refused(client, host):
    assert client.get("/", headers={"host": host}).status_code == 403
    with pytest.raises(WebSocketDisconnect):
        with client.websocket_connect("/ws", headers={"host": host}) as ws:
            ws.receive_json()


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "https://testserver",
                                    "http://testserver:9999"])
def test_foreign_origin_websocket_is_refused(client, origin):
    with pytest.raises(WebSocketDisconnect):
        with client.websocket_connect("/ws", headers={"origin": origin}) as ws:
            ws.receive_json()


def test_own_origin_is_accepted(client):
    with client.websocket_connect("/ws", headers={"origin": "http://testserver"}) as ws:
        assert ws.receive_json()["type"] == "hello"


def test_host_guard():
    guard = HostGuard("127.0.0.1", 8000)
    assert guard.allows("127.0.0.1:8000") and guard.allows("localhost:8000")
    assert guard.allows("[::1]:8000")
    assert not guard.allows("127.0.0.1:8001") and not guard.allows("127.0.0.1")
    assert not guard.allows("attacker.example:8000") and not guard.allows("")
    wildcard = HostGuard("0.0.0.0", 8000)
    assert wildcard.allows("192.168.1.5:8000") and not wildcard.allows("rebind.example:8000")
    assert split_host("[::1]:80") == ("::1", 80) and split_host("a:b") == (None, None)


# --------------------------------------------------------------- protocol
def test_hello_lists_limits_defaults_and_presets(client):
    with client.websocket_connect("/ws") as ws:
        hello = ws.receive_json()
    assert hello["limits"]["maxLayers"] == 32 and hello["limits"]["maxNeurons"] == 64
    assert hello["limits"]["maxMessageBytes"] == MAX_MESSAGE_BYTES
    assert hello["defaults"]["networkShape"] == [4, 2]
    assert [p["expression"] for p in hello["presets"]] == ["(x + y) * z", "sigmoid(t0 + t1*x)"]


def test_config_replies_config_data_state(ws):
    config, data, state = configure(ws, dataset="xor", networkShape="6,3", sinX="true")
    assert [config["type"], data["type"], state["type"]] == ["config", "data", "state"]
    assert config["type"] == "config" and config["config"]["networkShape"] == [6, 3]
    assert config["config"]["sinX"] is True and config["config"]["learningRate"] == 0.03
    assert data["type"] == "data" and len(data["train"]) == 250
    assert state["type"] == "state" and state["layers"] == [3, 6, 3, 1]
    assert state["epoch"] == 0 and state["running"] is False


def test_step_pause_play_reset(ws):
    configure(ws)
    send(ws, {"type": "step"})
    state = until(ws, "state")
    assert (state["epoch"], state["step"]) == (1, 25) and state["running"] is False
    send(ws, {"type": "play"})
    frames = [until(ws, "state") for _ in range(3)]
    assert all(f["running"] for f in frames)
    assert [f["epoch"] for f in frames] == [2, 3, 4]
    send(ws, {"type": "pause"})
    while (state := until(ws, "state"))["running"]:
        pass
    paused_at = state["epoch"]
    send(ws, {"type": "step"})
    assert until(ws, "state")["epoch"] == paused_at + 1
    send(ws, {"type": "reset"})
    assert until(ws, "data")["type"] == "data"
    state = until(ws, "state")
    assert (state["epoch"], state["step"], state["running"]) == (0, 0, False)


def test_learning_rate_change_keeps_training(ws):
    configure(ws)
    send(ws, {"type": "play"})
    until(ws, "state")
    send(ws, {"type": "config", "config": {"learningRate": 0.1}})
    until(ws, "config")                   # (after the frames already on their way)
    data, state = ws.receive_json(), ws.receive_json()
    assert data["type"] == "data" and state["running"] is True and state["lr"] == 0.1
    assert until(ws, "state")["epoch"] > state["epoch"]      # the loop goes on
    _, _, state = configure(ws, networkShape="3")             # a new network pauses
    assert state["running"] is False and state["epoch"] == 0
    send(ws, {"type": "graph", "expression": "x", "at": {"x": 1}})
    assert until(ws, "graph")["value"] == 1.0               # no stray frames in between


def test_divergence_over_the_socket(ws):
    configure(ws, problem="regression", activation="linear", learningRate=10)
    send(ws, {"type": "play"})
    state = until(ws, "state")
    while not state["diverged"]:
        state = until(ws, "state")
    assert state["running"] is False and state["divergence"]["lr"] == 10
    assert state["trainLoss"] is None
    send(ws, {"type": "play"})
    err = until(ws, "error")
    assert "diverged" in err["message"]
    send(ws, {"type": "reset"})
    until(ws, "data")
    assert until(ws, "state")["diverged"] is False


def test_export_message(ws):
    configure(ws, networkShape="3")
    send(ws, {"type": "step"})
    until(ws, "state")
    send(ws, {"type": "export"})
    msg = until(ws, "export")
    assert msg["filename"].endswith(".safetensors") and "def train(" in msg["python"]
    assert "EPOCHS = 1" in msg["python"]


def test_graph_message(ws):
    send(ws, {"type": "graph", "expression": "(x + y) * z", "at": {"x": 3, "y": -4, "z": 5}})
    msg = until(ws, "graph")
    assert msg["value"] == -5.0 and msg["gradients"] == {"x": 5.0, "y": 5.0, "z": -1.0}
    assert msg["forward"] == [1, 2, 3, 4, 5]
    first = msg["backward"][0]
    assert (first["upstream"], first["local"], first["contribution"]) == (1.0, 5.0, 5.0)
    for e in msg["backward"]:
        assert e["upstream"] * e["local"] == pytest.approx(e["contribution"])
    send(ws, {"type": "graph", "expression": "sigmoid(t0 + t1*x)",
              "at": {"x": 1, "t0": -3, "t1": 3}})
    msg = until(ws, "graph")
    assert msg["value"] == 0.5 and msg["gradients"] == {"t0": 0.25, "t1": 0.25, "x": 0.75}
    send(ws, {"type": "graph", "expression": "__import__('os')", "at": {}})
    err = until(ws, "error")
    assert err["field"] == "expression" and "unknown function" in err["message"]


BAD_MESSAGES = [
    ("not json", None, "not valid JSON"),
    ("[1, 2]", None, "JSON object"),
    ('{"type": "dance"}', "type", "unknown message type"),
    ('{"no": "type"}', "type", "unknown message type"),
    ('{"type": "config"}', "config", "needs a \"config\""),
    ('{"type": "config", "config": {"learningRate": "x"}}', "learningRate", "a number"),
    ('{"type": "config", "config": {"networkShape": "' + ",".join(["64"] * 40) + '"}}',
     "networkShape", "at most 32"),
    ('{"type": "config", "config": {"networkShape": [1e9]}}', "networkShape", "1 to 64"),
    ('{"type": "config", "config": {"noise": NaN}}', None, "not valid JSON"),
    ('{"type": "config", "config": 5}', None, "object of name"),
    ('{"type": "graph", "expression": 5}', "expression", "expression"),
    ('{"type": "graph", "expression": "x", "at": {"x": "1"}}', "at", "finite number"),
    ('{"type": "graph", "expression": "x", "at": {"x": 1e999}}', "at", "finite number"),
    ('{"type": "graph", "expression": "' + "x+" * 600 + 'x", "at": {"x": 1}}', "expression",
     "longer than"),
    ("[" * 100000, None, "larger than"),
    ("[" * 50000 + "]" * 50000, None, "larger than"),
    ("[" * 30000 + "]" * 30000, None, "not valid JSON"),    # too deep, under the size cap
]


@pytest.mark.parametrize("raw, field, words", BAD_MESSAGES)
def test_bad_messages_get_an_error_and_the_connection_lives(ws, raw, field, words):
    ws.send_text(raw)
    err = ws.receive_json()
    assert err["type"] == "error" and err["field"] == field
    assert words in err["message"]
    send(ws, {"type": "graph", "expression": "x*x", "at": {"x": 3}})
    assert ws.receive_json()["gradients"] == {"x": 6.0}


def test_binary_messages_are_refused(ws):
    ws.send_bytes(b"\x00\x01")
    assert "binary" in ws.receive_json()["message"]


def test_errors_in_the_pages_language(client):
    with client.websocket_connect("/ws?lang=vi") as ws:
        ws.receive_json()
        ws.send_text("{")
        assert ws.receive_json()["message"] == "thông điệp không phải JSON hợp lệ"
        send(ws, {"type": "config", "config": {"lang": "en"}})
        for _ in range(3):
            ws.receive_json()
        ws.send_text("{")
        assert ws.receive_json()["message"] == "the message is not valid JSON"
        # a bad setup is explained in the language it asks for
        send(ws, {"type": "config", "config": {"lang": "vi", "batchSize": 0}})
        assert ws.receive_json()["message"] == \
            "batchSize phải là số nguyên từ 1 đến 500, nhận được 0"


def test_two_pages_train_independently(client):
    with client.websocket_connect("/ws") as a, client.websocket_connect("/ws") as b:
        a.receive_json(), b.receive_json()
        configure(a, networkShape="2")
        configure(b, networkShape="5,5")
        send(a, {"type": "play"})
        send(b, {"type": "step"})
        assert until(b, "state")["layers"] == [2, 5, 5, 1]
        assert until(a, "state")["layers"] == [2, 2, 1]
        send(a, {"type": "pause"})


# --------------------------------------------------------------------- CLI
def test_without_the_web_packages_serve_says_what_to_install(monkeypatch, capsys):
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "uvicorn" else real(name, *a))
    assert playground.serve(port=0, open_browser=False) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert 'needs uvicorn: pip install "chainrule[playground]"' in err


def test_importing_the_playground_needs_no_web_packages():
    code = ("import sys, chainrule, chainrule.playground.session, chainrule.playground.export; "
            "print(sorted(m for m in ('starlette', 'uvicorn') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.strip() == "[]", done.stderr


def test_cli_serves_until_sigterm():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "chainrule.cli", "playground", "--port", "0",
                             "--no-browser"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        line = proc.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert found, (line, proc.stderr.read() if proc.poll() is not None else "")
        url = found.group(0)
        assert int(found.group(1)) > 0
        with urllib.request.urlopen(url + "api/messages/en", timeout=10) as r:
            assert r.status == 200 and json.load(r) == {}
        if (STATIC_DIR / "index.html").is_file():
            with urllib.request.urlopen(url, timeout=10) as r:
                assert r.status == 200 and b"<html" in r.read().lower()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=15)
        rest = proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 0, proc.stderr.read()
    assert rest == ""                  # exactly one line on stdout


def test_cli_reports_a_port_in_use():
    import socket
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        start = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "chainrule.cli", "playground", "--port",
                               str(port), "--no-browser"], capture_output=True, text=True,
                              timeout=30)
    assert done.returncode == 1 and time.monotonic() - start < 30
    assert done.stderr.startswith("chainrule playground: error: cannot listen on")
    assert done.stdout == ""
