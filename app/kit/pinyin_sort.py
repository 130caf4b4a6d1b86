"""Sorting Chinese names in pinyin order (安 before 张), on a stored sort key.

PostgreSQL compares text by code point under the "C" collation (丁, 万, 东...), and the embedded
server may lack ICU's ``zh-x-icu``, so a name sortable in pinyin keeps a key column beside it,
filled whenever the record is written and compared in byte order (``COLLATE "C"``)::

    张三丰 → "zhang san feng !张三丰"

Each CJK character becomes its toneless syllable (a name's first character read as a surname, as the
search does: 曾 zeng, 单 shan), other runs stay as they are (lower-cased), tokens separated by a
space, so 西安 (xi an) sorts before 先 (xian) and 张 before 张三. The name itself follows after
``" !"``, so names reading alike keep their own characters together (张三, 章三). Keyset paging
orders by (key, id) like any other column (``app.kit.paging``).

An entity declares it once: ``EntitySpec(pinyin_sort=("name",))`` and a ``name_pinyin`` column made
by ``pinyin_column("name")``. The key is computed on insert (ORM or core) and on every ORM flush
that changes the name.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from sqlalchemy import Text, event
from sqlalchemy.orm import Mapped, mapped_column

from app.search.grams import _CJK, _SURNAME_READINGS, normalize, run_syllables

# Token runs: CJK ideographs one at a time, or a run of anything else that is not a space.
_TOKENS = re.compile(rf"[{_CJK}]+|[^\s{_CJK}]+")
_CJK_RUN = re.compile(rf"[{_CJK}]+")
# Between the pinyin and the name: after the syllable separator, before every letter and digit.
_NAME_MARK = " !"
MAX_KEY = 1000


def key_column_name(field: str) -> str:
    return f"{field}_pinyin"


@lru_cache(maxsize=65536)
def sort_key(value: str | None) -> str:
    """The pinyin sort key of ``value`` (empty for an empty value)."""
    if not value:
        return ""
    text = normalize(value).strip()
    tokens: list[str] = []
    for run in _TOKENS.findall(text):
        if _CJK_RUN.fullmatch(run):
            syllables = list(run_syllables(run)[0])  # read once for the search document too
            if not tokens and (surname := _SURNAME_READINGS.get(run[0])) and syllables:
                syllables[0] = surname
            tokens.extend(syllables)
        else:
            tokens.append(run)
    return (" ".join(tokens) + _NAME_MARK + text)[:MAX_KEY]


def pinyin_column(field: str) -> Mapped[str]:
    """The key column of ``field``: byte-ordered, filled from ``field`` when a row is inserted
    without one (core inserts included)."""

    def from_row(context: Any) -> str:
        return sort_key(context.get_current_parameters().get(field))

    return mapped_column(Text(collation="C"), default=from_row, nullable=False, server_default="")


_tracked: set[tuple[type, str]] = set()


def track(model: type, field: str) -> None:
    """Keep ``model.<field>_pinyin`` equal to the key of ``model.<field>`` on every ORM flush."""
    if (model, field) in _tracked:
        return
    key_attr = key_column_name(field)
    if not hasattr(model, key_attr):
        raise ValueError(f"{model.__name__} declares {field} sortable in pinyin but has no {key_attr}")
    _tracked.add((model, field))

    def fill(_mapper: Any, _connection: Any, target: Any) -> None:
        setattr(target, key_attr, sort_key(getattr(target, field)))

    event.listen(model, "before_insert", fill)
    event.listen(model, "before_update", fill)


def sort_attribute(model: Any, field: str) -> str:
    """The attribute a list sorted by ``field`` orders by: its key column when it has one."""
    try:
        tracked = (model, field) in _tracked
    except TypeError:  # not a mapped class (a subquery's columns, as the timeline pages): no key column
        return field
    return key_column_name(field) if tracked else field
