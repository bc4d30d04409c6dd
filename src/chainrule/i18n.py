"""Translations: English by default, Vietnamese with ``lang="vi"`` or ``CHAINRULE_LANG=vi``.

The messages are gettext catalogs, read with the standard library's ``gettext``: the
sources are ``locale/<lang>/LC_MESSAGES/<domain>.po`` inside the package and the compiled
``.mo`` files next to them are what runs (``pybabel compile -d src/chainrule/locale -D
DOMAIN`` rebuilds them; both are committed). English needs no catalog: the messages are
written in English and a missing translation falls back to the English text.

Domains: ``chainrule`` (messages of the library, the CLI, the lab's reports and the
playground's server) and ``playground`` (the playground page's strings, sent to the
browser by ``catalog``). The ``chainrule`` domain's messages are every ``_("...")`` and
``N_("...")`` under ``src/chainrule``: ``babel.cfg`` at the repository's root has the
``pybabel extract`` / ``update`` / ``compile`` commands that refresh the catalog.

>>> from chainrule.i18n import translator
>>> translator("vi").gettext("empty message")
'thông điệp rỗng'
"""
from __future__ import annotations

import functools
import gettext as _gettext
import os
from pathlib import Path

__all__ = ["LANGS", "DEFAULT_LANG", "LOCALE_DIR", "resolve_lang", "translator", "gettext",
           "catalog", "N_", "_"]

LANGS = ("en", "vi")
DEFAULT_LANG = "en"
ENV_VAR = "CHAINRULE_LANG"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


def N_(message: str) -> str:
    """Mark a message for translation without translating it (it is looked up later, in
    the language of whoever reads it); extraction tools find it by this name."""
    return message


def _(message: str) -> str:
    """``message`` in the language of this run: ``CHAINRULE_LANG``, which ``chainrule
    --lang`` sets (the CLI's and the reports' words go through it; extraction tools find
    them by this name, as gettext's ``_``).

    >>> _("Contents")      # English, unless CHAINRULE_LANG=vi says "Mục lục"
    'Contents'
    """
    return gettext(message) if message else message


def resolve_lang(lang: str | None = None) -> str:
    """The language to use: ``lang`` if given, else the environment's ``CHAINRULE_LANG``,
    else English. Raises ValueError for a language without a catalog.

    >>> resolve_lang("vi"), resolve_lang()
    ('vi', 'en')
    """
    source = "lang"
    if lang is None:
        lang, source = os.environ.get(ENV_VAR) or DEFAULT_LANG, ENV_VAR
    if not isinstance(lang, str) or lang.strip().lower() not in LANGS:
        raise ValueError(f"{source} must be one of {', '.join(LANGS)}, got {lang!r}")
    return lang.strip().lower()


@functools.lru_cache(maxsize=None)
def _translations(lang: str, domain: str) -> _gettext.NullTranslations:
    if lang == DEFAULT_LANG:
        return _gettext.NullTranslations()
    return _gettext.translation(domain, localedir=str(LOCALE_DIR), languages=[lang],
                                fallback=True)


def translator(lang: str | None = None, domain: str = "chainrule") -> _gettext.NullTranslations:
    """The translations of ``domain`` into ``lang`` (see ``resolve_lang``), with
    ``.gettext(message)``; untranslated messages come back in English."""
    return _translations(resolve_lang(lang), _check_domain(domain))


def gettext(message: str, lang: str | None = None, domain: str = "chainrule") -> str:
    """``message`` in ``lang``.

    >>> gettext("learning rate", "en")
    'learning rate'
    """
    return translator(lang, domain).gettext(message)


def catalog(lang: str | None = None, domain: str = "chainrule") -> dict:
    """Every translated message of ``domain`` as ``{msgid: translation}`` (the page's
    strings travel to the browser this way); ``{}`` for English or a missing catalog."""
    t = translator(lang, domain)
    # GNUTranslations keeps the parsed .mo in _catalog; "" is the header, tuples are
    # plural forms, which the page's strings do not use.
    entries = getattr(t, "_catalog", {})
    return {k: v for k, v in entries.items() if isinstance(k, str) and k and v}


def _check_domain(domain) -> str:
    if not isinstance(domain, str) or not domain.isidentifier():
        raise ValueError(f"i18n: domain must be a catalog name such as 'chainrule', got "
                         f"{domain!r}")
    return domain
