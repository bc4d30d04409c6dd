"""`chainrule --lang vi` / CHAINRULE_LANG=vi: the CLI's messages, the demo's printed text
and the reports in Vietnamese, from the gettext catalog; every message has its Vietnamese."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from chainrule import i18n
from chainrule.cli import main

babel = pytest.importorskip("babel")
from babel.messages.extract import extract_from_dir  # noqa: E402
from babel.messages.pofile import read_po  # noqa: E402

SRC = Path(i18n.__file__).resolve().parent
PO = i18n.LOCALE_DIR / "vi" / "LC_MESSAGES" / "chainrule.po"


@pytest.fixture(autouse=True)
def english_by_default(monkeypatch):
    monkeypatch.delenv(i18n.ENV_VAR, raising=False)


def test_every_gettext_message_has_vietnamese():
    """Each _("...") and N_("...") of the package (CLI, demo, report, figure captions) is in
    the catalog with a translation: a new message without one fails here."""
    used = {msg for _, _, msg, _, _ in extract_from_dir(
        str(SRC), method_map=[("**.py", "python")], keywords={"_": None, "N_": None})}
    assert {"Key numbers", "Contents", "chainrule {command}: error: {error}",
            "1. Backpropagation by hand: the lectures' worked example"} <= used
    with open(PO, "rb") as fh:
        known = {m.id: m.string for m in read_po(fh) if m.id}
    assert sorted(m for m in used if not known.get(m)) == []


def test_lang_vi_error_line_and_exit_status(capsys):
    assert main(["--lang", "vi", "lab", "no-such-experiment"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chainrule lab: lỗi: ") and "no-such-experiment" in err
    assert i18n.ENV_VAR not in os.environ              # --lang held for that command only
    assert main(["lab", "no-such-experiment"]) == 2
    assert capsys.readouterr().err.startswith("chainrule lab: error: ")


def test_environment_variable_and_a_bad_language(capsys, monkeypatch):
    monkeypatch.setenv(i18n.ENV_VAR, "vi")
    assert main(["lab", "no-such-experiment"]) == 2
    assert capsys.readouterr().err.startswith("chainrule lab: lỗi: ")
    assert os.environ[i18n.ENV_VAR] == "vi"            # restored, not dropped
    monkeypatch.setenv(i18n.ENV_VAR, "klingon")
    assert main(["lab", "list"]) == 2
    assert capsys.readouterr().err == ("chainrule: error: CHAINRULE_LANG must be one of en, "
                                       "vi, got 'klingon'\n")
    with pytest.raises(SystemExit):                    # argparse's own choices check
        main(["--lang", "fr", "lab", "list"])


def test_lang_vi_demo_prints_and_writes_vietnamese(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the demo's figures need matplotlib")
    assert main(["--lang", "vi", "demo", "--quick", "--out", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "1. Lan truyền ngược bằng tay: ví dụ mẫu của bài giảng" in out
    assert "2. Gradient triệt tiêu: 10 tầng Linear" in out and "kết nối tắt" in out
    assert "3. Đo trong " in out and "báo cáo: " in out
    html = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    assert html.startswith('<!DOCTYPE html>\n<html lang="vi">')
    assert "<h3>Mục lục</h3>" in html and "Số liệu chính" in html
    assert "10 tầng sigmoid: gradient của tầng đầu tiên triệt tiêu" in html
    assert '<span class="fig">Hình 1.</span>Chuẩn của gradient ‖dL/dW‖' in html
