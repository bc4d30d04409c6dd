"""Translations: the language switch, and the catalogs themselves (complete, compiled,
with the same placeholders as the English)."""
from __future__ import annotations

import io
import string
from pathlib import Path

import pytest

from chainrule import i18n

babel = pytest.importorskip("babel")
from babel.messages.extract import extract_from_dir  # noqa: E402
from babel.messages.mofile import read_mo, write_mo  # noqa: E402
from babel.messages.pofile import read_po  # noqa: E402

PO_FILES = sorted(i18n.LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))
SRC = Path(i18n.__file__).resolve().parent


def entries(catalog) -> dict:
    return {m.id: m.string for m in catalog if m.id}


def load_po(path: Path):
    with open(path, "rb") as fh:
        return read_po(fh)


def test_resolve_lang(monkeypatch):
    monkeypatch.delenv(i18n.ENV_VAR, raising=False)
    assert i18n.resolve_lang() == "en"
    assert i18n.resolve_lang("vi") == "vi" and i18n.resolve_lang(" VI ") == "vi"
    monkeypatch.setenv(i18n.ENV_VAR, "vi")
    assert i18n.resolve_lang() == "vi"
    assert i18n.resolve_lang("en") == "en"          # the argument wins over the environment
    monkeypatch.setenv(i18n.ENV_VAR, "klingon")
    with pytest.raises(ValueError, match="CHAINRULE_LANG must be one of en, vi, got 'klingon'"):
        i18n.resolve_lang()
    with pytest.raises(ValueError, match="lang must be one of en, vi, got 'fr'"):
        i18n.resolve_lang("fr")


def test_translations():
    assert i18n.gettext("empty message", "vi") == "thông điệp rỗng"
    assert i18n.gettext("empty message", "en") == "empty message"
    assert i18n.gettext("a message nobody translated", "vi") == "a message nobody translated"
    assert i18n.catalog("en", "playground") == {}
    server = i18n.catalog("vi", "chainrule")
    assert server["the message is not valid JSON"] == "thông điệp không phải JSON hợp lệ"
    assert "" not in server
    with pytest.raises(ValueError, match="domain"):
        i18n.translator("vi", "../etc")


def test_there_are_catalogs():
    names = {p.name for p in PO_FILES}
    assert "chainrule.po" in names


@pytest.mark.parametrize("po", PO_FILES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_message_is_translated(po):
    catalog = load_po(po)
    missing = [m.id for m in catalog if m.id and not (m.string if isinstance(m.string, str)
                                                      else all(m.string))]
    assert not missing, f"{po}: untranslated: {missing}"
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not fuzzy, f"{po}: fuzzy (unchecked) entries: {fuzzy}"


def _fields(text: str) -> set:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}


@pytest.mark.parametrize("po", PO_FILES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_translations_keep_the_placeholders(po):
    """A translation that drops or renames {name} would fail when formatted."""
    for m in load_po(po):
        if m.id and isinstance(m.id, str) and "{" in m.id:
            assert _fields(m.string) == _fields(m.id), m.id


@pytest.mark.parametrize("po", PO_FILES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_committed_mo_matches_its_po(po):
    mo = po.with_suffix(".mo")
    assert mo.is_file(), f"{mo} is missing: pybabel compile -d {i18n.LOCALE_DIR} -D {po.stem}"
    with open(mo, "rb") as fh:
        committed = entries(read_mo(fh))
    buf = io.BytesIO()
    write_mo(buf, load_po(po))
    buf.seek(0)
    assert committed == entries(read_mo(buf)), \
        f"{mo} is stale: pybabel compile -d {i18n.LOCALE_DIR} -D {po.stem}"


def test_every_server_message_is_in_the_catalog():
    """Each N_("...") message of the package has its Vietnamese translation."""
    used = {msg for _, _, msg, _, _ in extract_from_dir(
        str(SRC), method_map=[("**.py", "python")], keywords={"N_": None})}
    assert len(used) > 20
    known = entries(load_po(i18n.LOCALE_DIR / "vi" / "LC_MESSAGES" / "chainrule.po"))
    assert sorted(used - set(known)) == []
