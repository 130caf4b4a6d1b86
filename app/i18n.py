"""Translation: per-request locale and lookups in Babel catalogs (``.po`` files read at start-up).

Message ids are English; ``zh_CN`` is the default locale. The catalogs live with the admin
(``web/translations/<locale>/LC_MESSAGES/*.po``, one file per area); ``load_catalogs`` is handed that folder.
"""

from __future__ import annotations

from contextvars import ContextVar
from pathlib import Path

from babel.messages.pofile import read_po

DEFAULT_LOCALE = "zh_CN"
SUPPORTED_LOCALES = ("zh_CN", "en")
LOCALE_COOKIE = "dcrm_lang"

locale_var: ContextVar[str] = ContextVar("locale", default=DEFAULT_LOCALE)
_catalogs: dict[str, dict[str, str]] = {}


def load_catalogs(folder: Path) -> dict[str, dict[str, str]]:
    """Read every ``*.po`` of each locale (one file per area of the admin) into one lookup."""
    for locale in SUPPORTED_LOCALES:
        merged: dict[str, str] = {}
        for po in sorted((folder / locale / "LC_MESSAGES").glob("*.po")):
            with po.open("rb") as fh:
                catalog = read_po(fh, locale=locale)
            merged.update(
                {
                    str(m.id): str(m.string)
                    for m in catalog
                    if m.id and m.string and not m.fuzzy and isinstance(m.id, str)
                }
            )
        _catalogs[locale] = merged
    return _catalogs


def gettext(message: str) -> str:
    return _catalogs.get(locale_var.get(), {}).get(message, message)


def translate(message: str, locale: str) -> str:
    """``message`` in ``locale`` whatever the request's language (files made for Chinese readers)."""
    return _catalogs.get(locale, {}).get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return gettext(singular if n == 1 else plural)


def pick_locale(requested: str | None, cookie: str | None, accept_language: str | None = None) -> str:
    """zh-CN unless the user chose English (``?lang=en``, remembered in a cookie).

    The browser's Accept-Language is deliberately not followed: shops run Chinese admin screens
    on whatever browser they have, often an English-language install.
    """
    for candidate in (requested, cookie):
        if candidate in SUPPORTED_LOCALES:
            return candidate
    return DEFAULT_LOCALE


_ = gettext
