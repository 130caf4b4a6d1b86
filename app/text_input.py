"""Text that no field may hold: NUL bytes and lone surrogates.

PostgreSQL refuses NUL in text and asyncpg cannot encode a lone surrogate, so either would surface
as a 500 (with the row's data in the traceback). Every way in (form bodies, query strings, GraphQL
variables and literals, cursors, login, sign-up, console filters) checks with this one module and
answers with a field error instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

NUL = "nul_byte"
SURROGATE = "lone_surrogate"

MESSAGES = {
    NUL: "contains a NUL character (\\x00), which no field accepts",
    SURROGATE: "contains an invalid Unicode character (a lone surrogate)",
}


def problem(text: str) -> str | None:
    """The code of what is wrong with ``text`` (``nul_byte``, ``lone_surrogate``), or None."""
    if "\x00" in text:
        return NUL
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return SURROGATE
    return None


def _walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        code = problem(value)
        if code:
            yield path, code
    elif isinstance(value, Mapping):
        for key, item in value.items():
            key_text = str(key)
            key_code = problem(key_text)
            # The key itself is broken: report it without echoing it.
            step = f"{path}.{key_text}" if path else key_text
            if key_code:
                yield path or "input", key_code
                continue
            yield from _walk(item, step)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}.{index}" if path else str(index))


def first_problem(value: Any, path: str = "") -> tuple[str, str] | None:
    """The first ``(path, code)`` anywhere in a nested structure of strings, dicts and lists."""
    return next(_walk(value, path), None)
