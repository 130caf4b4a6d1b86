"""The admin speaks Chinese everywhere: every ``_("...")`` in the templates and in web/'s Python, and
every label an entity declares in app/ (``N_("...")`` in its fields, enums and spec), has a
non-empty zh_CN translation in the merged catalogs (``web/translations/zh_CN/LC_MESSAGES/*.po``).

Also pinned: no msgid is translated in two area catalogs (the later file would silently win at
start-up), and a translation keeps the msgid's ``%(name)s`` placeholders (a missing one would raise
at render time, only in Chinese).
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parents[2] / "web"
APP = WEB.parent / "app"
CATALOGS = WEB / "translations" / "zh_CN" / "LC_MESSAGES"
METHODS = [("templates/**.html", "jinja2.ext.babel_extract"), ("**.py", "python")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def used_msgids() -> dict[str, list[str]]:
    """msgid → where it is used (file:line), from templates and Python under web/."""
    found: dict[str, list[str]] = defaultdict(list)
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(WEB), METHODS, OPTIONS, strip_comment_tags=True
    ):
        msgid = message if isinstance(message, str) else message[0]
        if msgid:
            found[msgid].append(f"{filename}:{lineno}")
    # Entities declare their labels next to their model (app/<area>/): only N_() marks are shown.
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(APP), [("**.py", "python")], keywords={"N_": None}, strip_comment_tags=True
    ):
        msgid = message if isinstance(message, str) else message[0]
        if msgid:
            found[msgid].append(f"app/{filename}:{lineno}")
    return found


def catalog_entries() -> list[tuple[str, str, str]]:
    """(file, msgid, translation) for every message of every zh_CN catalog."""
    entries = []
    for po in sorted(CATALOGS.glob("*.po")):
        with po.open("rb") as fh:
            for message in read_po(fh, locale="zh_CN"):
                if message.id and isinstance(message.id, str):
                    entries.append((po.name, message.id, "" if message.fuzzy else str(message.string or "")))
    return entries


def test_the_extractor_sees_the_admin() -> None:
    # Guards the guard: if extraction silently found nothing, the next test could not fail.
    used = used_msgids()
    assert "Customers" in used and "Log in" in used and len(used) > 100


def test_every_admin_message_has_a_chinese_translation() -> None:
    translated = {msgid for _file, msgid, text in catalog_entries() if text.strip()}
    missing = {msgid: where for msgid, where in used_msgids().items() if msgid not in translated}
    assert not missing, "untranslated (add them to your area's .po):\n" + "\n".join(
        f"  {where[0]}: {msgid!r}" for msgid, where in sorted(missing.items(), key=lambda kv: kv[1][0])
    )


def test_no_message_is_translated_in_two_catalogs() -> None:
    files: dict[str, list[str]] = defaultdict(list)
    for name, msgid, _text in catalog_entries():
        files[msgid].append(name)
    twice = {msgid: names for msgid, names in files.items() if len(names) > 1}
    assert not twice, f"msgids in more than one .po: {twice}"


def test_translations_keep_their_placeholders() -> None:
    broken = [
        (name, msgid)
        for name, msgid, text in catalog_entries()
        if text and set(PLACEHOLDER.findall(msgid)) != set(PLACEHOLDER.findall(text))
    ]
    assert not broken, broken
