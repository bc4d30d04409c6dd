"""The lab's HTML report and the numbers tables behind it (and the terminal summary)."""
from __future__ import annotations

import datetime
import math
import re
import sys

import pytest

import chainrule.lab as lab
from chainrule import __version__
from chainrule.lab import Failure, Result
from chainrule.lab.report import (caption, format_result, print_result, render_report,
                                  rerun_command, write_report)
from chainrule.lab.tables import Table, format_value, key_tables, number_tables

DATE = datetime.datetime(2026, 5, 9, 14, 3)
# A stand-in for an experiment's numbers: scalars, a long series, a short one, a
# per-activation dict of dicts with per-layer lists inside, and per-epoch records.
NUMBERS = {
    "max_derivative": 0.25, "underflow_depth": 75, "converged": True, "note": "<b>bold</b>",
    "loss": [1.0 / (i + 1) for i in range(500)] + [float("nan")],
    "depths": [2, 4, 8],
    "per_activation": {
        "sigmoid": {"ratio": 7.4e-06, "grad_norm": [1e-6, 1e-4, 0.01, 0.25],
                    "train_loss": [0.69 - 0.001 * i for i in range(50)]},
        "relu": {"ratio": 2.8, "grad_norm": [3.0, 2.9, 3.9, 1.1],
                 "train_loss": [0.62 - 0.01 * i for i in range(50)]},
    },
    "history": [{"epoch": e, "loss": 1.0 / e} for e in range(1, 4)],
}


@pytest.fixture(autouse=True)
def titles(monkeypatch):
    """Titles without importing the real experiment modules."""
    monkeypatch.setattr(lab, "title", lambda name: f"Title of {name}")


def result(name="vanishing", conclusion="The gradient vanished.", figures=None, **kw):
    params = {"seed": 0, "layers": 10, "lr": 0.1, "activations": ["sigmoid", "relu"],
              "scale": False, "progress": False}
    return Result(name, params, NUMBERS, conclusion, seconds=4.25, figures=figures or {}, **kw)


def figure():
    from matplotlib.figure import Figure
    fig = Figure(figsize=(3, 2))
    ax = fig.subplots()
    ax.plot([1, 2, 3], [1, 4, 9])
    ax.set_title("a figure")
    return fig


def external_references(html: str) -> list[str]:
    """Resources the page would fetch: src/href/url() pointing at http(s), @import."""
    return (re.findall(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html)
            + re.findall(r"url\(\s*['\"]?(?:https?:)?//", html) + re.findall("@import", html))


def test_format_value():
    assert [format_value(v) for v in (None, True, False, 3, 80001, 0.123456, 1.5e-12,
                                      float("nan"), float("inf"), -float("inf"), "x")] == \
        ["—", "yes", "no", "3", "80,001", "0.1235", "1.5e-12", "NaN", "∞", "−∞", "x"]


def test_number_tables_scalars_series_and_pivots():
    tables = {t.caption: t for t in number_tables(NUMBERS)}
    scalars = tables[""]
    assert scalars.header == ["", "value"]
    assert ["max_derivative", 0.25] in scalars.rows and ["depths", "2, 4, 8"] in scalars.rows
    # the long list is summarised: n (NaN counted), first, last, min, max -- not dumped
    (loss,) = tables["series"].rows
    assert loss == ["loss", "501 (1 NaN)", 1.0, loss[3], 1.0 / 500, 1.0]
    assert math.isnan(loss[3])
    # a dict of dicts becomes 2-D tables, rows = the outer keys
    assert tables["per_activation"].header == ["", "ratio"]
    assert tables["per_activation"].rows == [["sigmoid", 7.4e-06], ["relu", 2.8]]
    grads = tables["per_activation › grad_norm"]
    # per-layer lists are numbered as the figures number layers: 1 = the input side
    assert grads.header == ["", "layer 1", "layer 2", "layer 3", "layer 4"]
    assert grads.rows[1] == ["relu", 3.0, 2.9, 3.9, 1.1]
    curves = tables["per_activation › train_loss"]
    assert curves.header[1:] == ["n", "first", "last", "min", "max"]
    assert curves.rows[0][:3] == ["sigmoid", 50, 0.69]
    history = tables["history"]
    assert history.header == ["epoch", "loss"] and history.rows[2] == [3, 1.0 / 3]


def test_number_tables_other_shapes():
    tables = number_tables({"by_depth": {"2": 0.5, "4": 0.25}, "empty": {},
                            "matrix": [[1, 2], [3, 4]], "big": [[0.0] * 20] * 20,
                            "records": [{"step": i, "loss": 1.0} for i in range(40)]})
    by = {t.caption: t for t in tables}
    assert by["by_depth"].header == ["2", "4"] and by["by_depth"].rows == [[0.5, 0.25]]
    assert by["empty"].rows == [] and by["empty"].note == "(empty)"
    assert by["matrix"].rows == [["[0]", 1, 2], ["[1]", 3, 4]]
    assert by["big"].rows == [[20, 20, 0.0, 0.0]]
    assert by["records (40 records)"].rows[0] == ["step", 40, 0, 39, 0, 39]


def test_report_is_self_contained_with_png_figures():
    html = render_report([result(figures={"gradients": figure()})], "My lab", date=DATE)
    assert html.startswith("<!DOCTYPE html>")
    assert "data:image/png;base64," in html
    assert "http" not in html                      # no resource, no link anywhere
    assert "<script" not in html.lower()
    assert f"chainrule {__version__}" in html and "2026-05-09 14:03" in html
    assert "<h2><span class=\"num\">1</span>Title of vanishing</h2>" in html
    assert '<a href="#x-vanishing">' in html and 'id="x-vanishing"' in html


def test_report_with_inline_svg_fetches_nothing():
    html = render_report([result(figures={"gradients": figure()})], figure_format="svg",
                         date=DATE)
    assert "<svg" in html and "<?xml" not in html and "<!DOCTYPE svg" not in html
    assert external_references(html) == []
    with pytest.raises(ValueError, match="figure_format"):
        render_report([result(figures={"g": figure()})], figure_format="gif")


def test_report_escapes_everything():
    evil = result(conclusion="Beware <script>alert('x')</script> & co.")
    html = render_report([evil], title="<i>title</i>", note="a <note>", date=DATE)
    assert "<script>" not in html and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "&amp; co." in html
    assert "<i>title</i>" not in html and "&lt;i&gt;title&lt;/i&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold</b>" not in html
    assert "a &lt;note&gt;" in html


def test_report_shows_numbers_params_runtime_and_rerun():
    html = render_report([result()], date=DATE)
    assert html.count("<table") >= 6
    assert "<caption>per_activation › grad_norm</caption>" in html
    assert "<td class=num>7.4e-06</td>" in html
    assert format_value(NUMBERS["loss"][100]) == "0.009901"
    assert "0.009901" not in html                  # the middle of the long list is not dumped
    assert repr(NUMBERS["loss"][100]) in html.split("<details>")[1]    # but in the raw JSON
    assert "ran in 4.2 s" in html
    assert "<caption>parameters</caption>" in html and ">layers</th>" in html
    assert ("chainrule lab vanishing --seed 0 --layers 10 --lr 0.1 --activations sigmoid "
            "relu --no-scale") in html
    assert "The gradient vanished." in html


def test_report_lists_contents_and_shows_failures():
    failure = Failure("skip", "RuntimeError: boom", "Traceback (most recent call last):\n  "
                      "File \"x.py\"\nRuntimeError: boom <here>", seconds=0.5)
    html = render_report([result(), failure], date=DATE)
    assert html.index('href="#x-vanishing"') < html.index('href="#x-skip"')
    assert "2 experiments (1 failed)" in html
    assert "RuntimeError: boom &lt;here&gt;" in html and "class=badge>failed" in html


def test_write_report_writes_the_rendered_html(tmp_path):
    path = write_report([result()], tmp_path / "sub" / "report.html", title="T", date=DATE)
    assert path.read_text(encoding="utf-8") == render_report([result()], "T", date=DATE)
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]   # no temp file left


def test_rerun_command_quotes_and_flags():
    r = Result("x", {"seed": 1, "name": "a b", "on": True, "off": False, "none": None,
                     "lrs": (0.1, 1.0), "progress": True}, {}, "")
    assert rerun_command(r) == "chainrule lab x --seed 1 --name 'a b' --on --no-off --lrs 0.1 1.0"


def test_format_result_plain_text():
    text = format_result(result(conclusion="Line one.\n\nLine two."))
    assert text.startswith("vanishing: Title of vanishing\n")
    assert "\nran in 4.2 s with seed=0, layers=10" in text
    assert "\nLine one.\n\nLine two.\n" in text
    assert "per_activation › grad_norm" in text and "7.4e-06" in text


def test_print_result_with_and_without_rich(capsys, monkeypatch):
    print_result(result())
    out = capsys.readouterr().out
    assert "The gradient vanished." in out and "per_activation › grad_norm" in out
    monkeypatch.setitem(sys.modules, "rich", None)             # as if rich were not installed
    monkeypatch.setitem(sys.modules, "rich.console", None)
    print_result(result())
    assert capsys.readouterr().out == format_result(result())


def test_wide_tables_turn_tall_for_the_terminal():
    numbers = {"per": {k: [float(i) * 1.234567e-5 for i in range(12)] for k in "abcd"}}
    lines = format_result(Result("w", {}, numbers, "c")).splitlines()
    assert max(map(len, lines)) <= 88
    assert any(line.split()[:1] == ["[11]"] for line in lines)   # the indices became rows


def test_table_is_plain_data():
    t = Table("c", ["", "v"], [["a", 1]])
    assert t.row_labels and t.note == ""


def test_report_reuses_saved_pngs(tmp_path):
    import base64
    r = result(figures={"gradients": figure()})
    (tmp_path / "vanishing-gradients.png").write_bytes(b"\x89PNG saved earlier")
    html = render_report([r], date=DATE, figure_dir=tmp_path)
    assert base64.b64encode(b"\x89PNG saved earlier").decode() in html
    assert render_report([r], date=DATE, figure_dir=tmp_path / "elsewhere").count(
        "data:image/png;base64,") == 1            # no saved file: drawn afresh


def test_key_tables_are_the_few_single_numbers():
    tables = key_tables(NUMBERS)
    assert [t.caption for t in tables] == ["", "per_activation", "history"]
    assert tables[0].rows[:3] == [["max_derivative", 0.25], ["underflow_depth", 75],
                                  ["converged", True]]
    assert ["depths", "2, 4, 8"] not in tables[0].rows        # lists are for the figures
    assert len(key_tables({f"k{i}": {"a": 1, "b": {"c": 2}} for i in range(9)})) == 4


def test_layers_are_numbered_from_1_and_seeds_too():
    tables = {t.caption: t for t in number_tables(
        {"layer_names": ["0", "2.block.0", "3"], "per": {"a": {"dead_per_layer": [0.1, 0.2]},
                                                         "b": {"dead_per_layer": [0.3, 0.4]}},
         "loss_per_seed": {"plain": [1.0, 2.0, 3.0]}})}
    assert tables["layer_names"].header == ["", "layer 1", "layer 2", "layer 3"]
    assert tables["layer_names"].rows == [["module", "0", "2.block.0", "3"]]
    assert tables["per › dead_per_layer"].header == ["", "layer 1", "layer 2"]
    assert tables["loss_per_seed"].header == ["", "seed 1", "seed 2", "seed 3"]


def test_captions_come_from_the_experiment_module():
    from chainrule.lab.vanishing import CAPTIONS
    assert caption("vanishing", "init-gradients") == CAPTIONS["init-gradients"]
    assert caption("vanishing", "no-such-figure") == "No such figure"
    assert caption("not-an-experiment", "weight_movement") == "Weight movement"
    for name in lab.names():                          # every experiment captions its figures
        assert lab.get(name).CAPTIONS, name


def test_report_sections_show_conclusion_captions_key_numbers_and_fold_the_rest(tmp_path):
    r = result(figures={"init-gradients": figure(), "gradients": figure()})
    html = render_report([r], date=DATE)
    section = html[html.index('<section id="x-vanishing">'):]
    order = [section.index(s) for s in ('class="conclusion"', 'class="figures"',
                                         "<h3>Key numbers</h3>", "<details>", "Rerun:")]
    assert order == sorted(order)
    assert ('<figcaption><span class="fig">Figure 1.</span>The gradient norm ‖dL/dW‖ that '
            "reaches each layer") in html
    assert '<span class="fig">Figure 2.</span>Gradients</figcaption>' in html
    key, folded = section.split("<details>")
    assert "<caption>per_activation</caption>" in key
    assert "per_activation › grad_norm" not in key and "per_activation › grad_norm" in folded
    assert "<caption>parameters</caption>" in folded and "<pre>" in folded   # the JSON itself
    (tmp_path / "vanishing.json").write_text(r.to_json())
    linked = render_report([r], date=DATE, figure_dir=tmp_path)
    assert '<a href="vanishing.json"><code>vanishing.json</code></a>' in linked
    assert "<pre>" not in linked.split('<section id="x-vanishing">')[1]


def test_wide_figures_take_two_columns():
    from matplotlib.figure import Figure
    wide = Figure(figsize=(9, 3))
    wide.subplots(1, 3)
    html = render_report([result(figures={"wide": wide, "narrow": figure()})], date=DATE)
    assert html.count('<figure class="wide">') == 1


def test_report_in_vietnamese_with_its_own_headings():
    html = render_report([result(figures={"init-gradients": figure()})], date=DATE,
                         lang="vi", titles={"vanishing": "Contents"})
    assert html.startswith('<!DOCTYPE html>\n<html lang="vi">')
    assert "<h3>Mục lục</h3>" in html and "<h3>Số liệu chính</h3>" in html
    assert '<span class="fig">Hình 1.</span>Chuẩn của gradient ‖dL/dW‖' in html
    assert "chạy trong 4.2 s" in html and "1 thí nghiệm" in html
    assert '<span class="num">1</span>Mục lục</h2>' in html    # titles= overrides, translated
    assert "<th>giá trị</th>" in html and "<td>có</td>" in html          # the tables' words
    assert "<th>tầng 1</th>" in html or "<th class=num>tầng 1</th>" in html
    assert 'lang="en"' in render_report([result()], date=DATE)
