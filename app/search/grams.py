"""Grams for finding customers by any part of a name, phone, address or email.

A searchable row stores what ``build_document`` returns (``Customer.search_text`` and
``Customer.search_grams``, the latter GIN-indexed), and a search runs what ``build_query`` returns::

    WHERE search_grams @> :grams AND search_text LIKE :pattern_1 AND ... AND search_text LIKE :pattern_n

``text`` is the row's fields normalised (NFKC, lowercased) and joined with ``FIELD_SEPARATOR``,
followed by the pinyin initials and the full pinyin of its name-like fields (张伟明 → zwm,
zhangweiming). The separator is whitespace to ``str.split``, so no query term contains it and no
match spans two fields.

``grams`` are short strings taken run by run, a run being a maximal stretch of one kind of character:

- a CJK run gives every character and every adjacent pair (张伟明 → 张 伟 明 张伟 伟明);
- a digit run gives its trigrams (13800 → 138 380 800), a shorter run itself (12);
- a letter run gives its trigrams (zhang → zha han ang), a shorter run itself (qq);
- pinyin initials also give every prefix of two or more letters (zwm → zw zwm).

A query term becomes grams by the same rules, so whenever the term is a substring of one field of a
row, its grams are a subset of the row's grams: the index never loses a match, and the LIKE recheck
removes rows whose grams match but whose text does not (order, adjacency). A run touching either
end of the term may be the middle of a longer run in the row, so such a run shorter than three
characters gives no gram; a term like "12" or "a" gives no grams at all and the LIKE recheck alone
decides (a sequential scan). Terms give only the fewest grams that imply the rest (bigrams, not the
characters inside them), because every extra gram is one more GIN posting list to intersect.

One exception, on purpose: a term of exactly two letters ("zw") is read as pinyin initials or a
whole two-letter word and is its own gram. It finds 张伟 and 张伟明 by their initials and
"li.na@qq.com" by its word "li", but not "zhangwei" by the "an" inside it: a substring search for
two letters would need letter bigrams on every row, or a sequential scan.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pypinyin import Style
from pypinyin.constants import PHRASES_DICT
from pypinyin.converter import UltimateConverter
from pypinyin.core import Pinyin

FIELD_SEPARATOR = "\x1f"
MAX_TERMS = 5
MAX_TERM_LENGTH = 50

# Ideographs of the CJK blocks (Extension A, Unified, Compatibility, Extensions B-H) and 〇.
_CJK = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U000323af"
_RUNS = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<digit>[0-9]+)|(?P<letter>(?:(?![{_CJK}])[^\W\d_])+)")
_CJK_RUNS = re.compile(rf"[{_CJK}]+")

# pypinyin reads these characters by their common word, not as the surname they are at the start of
# a name (曾 ceng, 单 dan, 解 jie ...). Only the first character of a name-like field is corrected.
_SURNAME_READINGS = {
    "曾": "zeng",
    "单": "shan",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "查": "zha",
    "朴": "piao",
    "盖": "ge",
    "缪": "miao",
    "覃": "qin",
    "翟": "zhai",
    "阚": "kan",
    "召": "shao",
}


@dataclass(frozen=True)
class SearchDocument:
    """What a searchable row stores: the text for the LIKE recheck and the grams for the index."""

    text: str
    grams: list[str]


@dataclass(frozen=True)
class SearchQuery:
    """What a search asks: rows holding all ``grams`` whose text is LIKE every pattern."""

    grams: list[str]
    like_patterns: list[str]


def normalize(value: str) -> str:
    """Fold full-width forms, compatibility characters and case, as both rows and queries need."""
    return unicodedata.normalize("NFKC", value).lower()


def escape_like(term: str) -> str:
    """Escape ``%``, ``_`` and the escape character itself for PostgreSQL's default ``LIKE`` escape."""
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def build_document(fields: Sequence[str | None], pinyin_fields: Sequence[str | None] = ()) -> SearchDocument:
    """Build the search text and grams of a row.

    Args:
        fields: Every searchable value (name, mobile, email, province, city, district, address...).
            ``None`` and empty values are skipped.
        pinyin_fields: The name-like values (a person's or a company's name) also searchable by
            their pinyin initials and full pinyin.
    """
    parts = [normalize(field) for field in fields if field]
    grams: set[str] = set()
    for part in parts:
        grams.update(_text_grams(part))
    for field in pinyin_fields:
        if not field:
            continue
        syllables = _pinyin_syllables(normalize(field))
        if not syllables:
            continue
        initials = "".join(syllable[0] for syllable in syllables)
        full = "".join(syllables)
        parts += [initials, full]
        _add_run_grams(initials, grams)
        grams.update(initials[:end] for end in range(2, len(initials) + 1))
        _add_run_grams(full, grams)
    return SearchDocument(text=FIELD_SEPARATOR.join(parts), grams=sorted(grams))


def build_query(q: str) -> SearchQuery | None:
    """Turn what a user typed into grams and LIKE patterns; ``None`` when there is nothing to search.

    Whitespace separates terms, and a row must contain every term. Only the first ``MAX_TERMS``
    distinct terms count, each cut to ``MAX_TERM_LENGTH`` characters.
    """
    terms = list(dict.fromkeys(term[:MAX_TERM_LENGTH] for term in normalize(q).split()))[:MAX_TERMS]
    if not terms:
        return None
    grams: set[str] = set()
    for term in terms:
        grams.update(_term_grams(term))
    return SearchQuery(grams=sorted(grams), like_patterns=[f"%{escape_like(term)}%" for term in terms])


def matches(document: SearchDocument, query: SearchQuery) -> bool:
    """Whether the database would return the row for the query: ``@>`` on grams, then every LIKE."""
    return set(document.grams).issuperset(query.grams) and all(
        _like_regex(pattern).fullmatch(document.text) for pattern in query.like_patterns
    )


# Provinces, cities, districts, tags and streets repeat from row to row: a field's grams are kept.
@lru_cache(maxsize=16384)
def _text_grams(text: str) -> frozenset[str]:
    grams: set[str] = set()
    _add_text_grams(text, grams)
    return frozenset(grams)


def _add_text_grams(text: str, grams: set[str]) -> None:
    for run in _RUNS.finditer(text):
        if run.lastgroup == "cjk":
            chars = run.group()
            grams.update(chars)
            grams.update(_ngrams(chars, 2))
        else:
            _add_run_grams(run.group(), grams)


def _add_run_grams(run: str, grams: set[str]) -> None:
    """A digit or letter run: its trigrams, or the run itself when shorter."""
    if len(run) < 3:
        grams.add(run)
    else:
        grams.update(_ngrams(run, 3))


def _term_grams(term: str) -> set[str]:
    if len(term) == 2 and (whole := _RUNS.fullmatch(term)) and whole.lastgroup == "letter":
        # Two letters: pinyin initials (zw → 张伟明) or a whole word; see the module docstring.
        return {term}
    grams: set[str] = set()
    for run in _RUNS.finditer(term):
        chars = run.group()
        if run.lastgroup == "cjk":
            grams.update(chars if len(chars) == 1 else _ngrams(chars, 2))
        elif len(chars) >= 3:
            grams.update(_ngrams(chars, 3))
        elif run.start() > 0 and run.end() < len(term):
            # Bounded on both sides within the term, so the row's run is exactly this one.
            grams.add(chars)
    return grams


def _ngrams(run: str, n: int) -> Iterable[str]:
    return [run[i : i + n] for i in range(len(run) - n + 1)]


class _Converter(UltimateConverter):
    """pypinyin's converter as ``lazy_pinyin`` builds it for every call (no ü, no tone sandhi),
    built once, with each character's style conversion (a reading without its tone) and each
    one-character word's syllables remembered: both depend on the character (and its reading)
    alone, and are most of the cost (a name is segmented into one-character words when no phrase
    of the dictionary is in it)."""

    def convert(
        self, words: str, style: Any, heteronym: Any, errors: Any, strict: Any = True, **kwargs: Any
    ) -> list[list[str]]:
        if len(words) != 1 or kwargs:
            return super().convert(words, style, heteronym, errors, strict, **kwargs)
        key = (words, style, heteronym, errors, strict)
        found = _WORDS.get(key)
        if found is None:
            found = tuple(tuple(item) for item in super().convert(words, style, heteronym, errors, strict))
            if len(_WORDS) < 100_000:
                _WORDS[key] = found
        return [list(item) for item in found]

    def convert_style(self, han: str, orig_pinyin: str, style: Any, strict: Any, **kwargs: Any) -> Any:
        key = (han, orig_pinyin, style, strict)
        found = _STYLED.get(key)
        if found is None:
            found = super().convert_style(han, orig_pinyin, style, strict, **kwargs)
            if len(_STYLED) < 100_000:
                _STYLED[key] = found
        return found


_STYLED: dict[tuple[str, str, Any, Any], Any] = {}
_WORDS: dict[tuple[str, Any, Any, Any, Any], tuple[tuple[str, ...], ...]] = {}
_PINYIN = Pinyin(_Converter())


def lazy_pinyin(hans: str | list[str]) -> list[str]:
    """``pypinyin.lazy_pinyin(hans, errors="ignore")``, the same syllables for less work."""
    return _PINYIN.lazy_pinyin(hans, style=Style.NORMAL, errors="ignore", strict=True)  # type: ignore[no-any-return]


@lru_cache(maxsize=65536)
def run_syllables(run: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A CJK run's toneless syllables as pypinyin reads it two ways: split into the dictionary's
    words (``lazy_pinyin(run)``: the pinyin sort key's, ``app.kit.pinyin_sort``) and as one word
    (``lazy_pinyin([run])``: the search document's). A name is both (each new customer's), so the
    answer is remembered per run, and read once when the two cannot differ: the run is one word of
    the split, or splits into single characters none of which (nor the run) is a dictionary phrase
    (then both read each character alone)."""
    split = tuple(lazy_pinyin(run))
    segments = _PINYIN.seg(run)
    if list(segments) == [run] or (
        all(len(part) == 1 and part not in PHRASES_DICT for part in segments) and run not in PHRASES_DICT
    ):
        return split, split
    return split, tuple(lazy_pinyin([run]))


# Names repeat (张伟, 王芳...), and pypinyin is most of the cost of a document.
@lru_cache(maxsize=65536)
def _pinyin_syllables(name: str) -> tuple[str, ...]:
    """Toneless pinyin of the CJK characters of a name, one syllable each, surname read as a surname."""
    runs = _CJK_RUNS.findall(name)
    if not runs:
        return ()
    # Initials are the first letters of these syllables, as Style.FIRST_LETTER gives them (checked for
    # every character of the Unified block), with one pypinyin call instead of two.
    syllables = [syllable for run in runs for syllable in run_syllables(run)[1]]
    surname = _SURNAME_READINGS.get(name.lstrip()[:1])
    if surname and syllables:
        syllables[0] = surname
    return tuple(syllable for syllable in syllables if syllable)


@lru_cache(maxsize=256)
def _like_regex(pattern: str) -> re.Pattern[str]:
    """PostgreSQL's LIKE with the default backslash escape, as a regular expression."""
    parts: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            parts.append(re.escape(next(chars, "\\")))
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)
