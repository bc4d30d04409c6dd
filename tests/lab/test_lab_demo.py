"""chainrule demo end to end (at a reduced size): it prints the worked example and the
measured table, and writes figures and a report whose numbers are that run's."""
import json

import pytest

from chainrule.lab import demo
from chainrule.lab.tables import format_value

pytest.importorskip("matplotlib", reason="the demo's figures need matplotlib")


def test_demo_runs_end_to_end_and_writes_its_report(tmp_path):
    lines = []
    report = demo.run_demo(tmp_path / "out", quick=True, echo=lines.append)
    text = "\n".join(lines)
    assert "gradients: df/dx = 5, df/dy = 5, df/dz = -1" in text
    assert "-> #1 x    upstream 5  x local 1   =  5" in text
    assert report == tmp_path / "out" / "index.html"
    html = report.read_text()
    assert "data:image/png;base64," in html and "df/dz = -1" in html
    numbers = json.loads((tmp_path / "out" / "vanishing.json").read_text())["numbers"]
    assert list(numbers["per_activation"]) == list(demo.VARIANTS)
    # the table shows the numbers of this very run
    header, rows = demo.gradient_table(numbers)
    first = numbers["per_activation"]["sigmoid"]["init_grad_norm"][0]
    assert rows[0][1] == f"{first:.2e}" and format_value(first) in html
    for name in ("init-gradients", "weight-movement", "loss"):
        assert (tmp_path / "out" / f"vanishing-{name}.png").stat().st_size > 1000
    # the heading names what the demo runs (not the full experiment's tanh); layers are
    # numbered 1 (input side) .. 10 in the report's tables, as in the figures and the terminal
    assert f'<span class="num">1</span>{demo.HEADING}</h2>'.replace("'", "&#x27;") in html
    assert "tanh" not in html
    key = html[html.index("<h3>Key numbers</h3>"):html.index("<details>")]
    assert "<th>layer 1</th>" in key and "<th>layer 10</th>" in key and "[0]" not in key
    assert "2.block.0" not in key and "<th>[0]</th>" not in html
    assert '<a href="vanishing.json">' in html             # the raw JSON is a link away


def test_gradient_table_layout():
    per = {v: {"init_grad_norm": [1e-6, 1e-3], "init_ratio": 1e-3, "train_accuracy": 0.5,
               "test_accuracy": 0.25} for v in demo.VARIANTS}
    header, rows = demo.gradient_table({"per_activation": per, "layer_names": ["0", "1"]})
    assert header == ["layer", "sigmoid", "ReLU", "sigmoid + skip connections"]
    assert rows[0] == ["1", "1.00e-06", "1.00e-06", "1.00e-06"]
    assert rows[-1] == ["test accuracy", "25.0%", "25.0%", "25.0%"]


def test_report_table_keeps_numbers_and_numbers_layers_from_1():
    per = {v: {"init_grad_norm": [1e-6, 1e-3], "init_ratio": 1e-3} for v in demo.VARIANTS}
    table = demo.report_table({"per_activation": per, "layer_names": ["0", "2.block.0"],
                               "seeds": [0, 1, 2]})
    assert table.caption.endswith("(layer 1 = input side), mean over seeds 0-2")
    assert demo.table_title({"seeds": [4]}).endswith("(layer 1 = input side), seed 4")
    assert table.header == ["", "sigmoid", "ReLU", "sigmoid + skip connections"]
    assert table.rows == [["layer 1", 1e-6, 1e-6, 1e-6], ["layer 2", 1e-3, 1e-3, 1e-3],
                          ["first / last", 1e-3, 1e-3, 1e-3]]
