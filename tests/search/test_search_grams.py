"""Search grams: what a user can type to find a customer, and the invariant the index relies on.

The database runs ``search_grams @> query.grams AND search_text LIKE every pattern``; ``matches``
does the same in Python, so these tests pin what the database returns.
"""

from __future__ import annotations

import random

import pytest

from app.search.grams import (
    FIELD_SEPARATOR,
    MAX_TERM_LENGTH,
    MAX_TERMS,
    SearchDocument,
    build_document,
    build_query,
    escape_like,
    matches,
    normalize,
)


def customer(
    name: str,
    mobile: str | None = None,
    email: str | None = None,
    province: str | None = None,
    city: str | None = None,
    district: str | None = None,
    address_detail: str | None = None,
) -> SearchDocument:
    """A customer row as the customer service indexes it: the name also by its pinyin."""
    return build_document([name, mobile, email, province, city, district, address_detail], [name])


# 张伟明, a homeowner in Beijing's Haidian district who bought an air conditioner.
ZHANG_WEIMING = customer(
    "张伟明",
    "13800138000",
    "Zhang.WeiMing@QQ.com",
    "北京市",
    "市辖区",
    "海淀区",
    "中关村大街27号1栋3单元502室",
)
# 李秀英, a retired teacher in Shanghai's Pudong, interested in a water heater.
LI_XIUYING = customer("李秀英", "15912345678", None, "上海市", "市辖区", "浦东新区", "张杨路1500号")
# 曾国华: 曾 is read zeng as a surname, although pypinyin reads it ceng on its own.
ZENG_GUOHUA = customer("曾国华", "18688886666")


def found(document: SearchDocument, q: str) -> bool:
    query = build_query(q)
    assert query is not None
    return matches(document, query)


@pytest.mark.parametrize("q", ["张伟", "伟明", "张伟明"])
def test_part_of_a_chinese_name_finds_the_customer(q: str) -> None:
    assert found(ZHANG_WEIMING, q)
    assert not found(LI_XIUYING, q)


def test_a_single_chinese_character_finds_every_name_containing_it() -> None:
    assert found(ZHANG_WEIMING, "伟")
    assert found(ZHANG_WEIMING, "明")
    # 张 is also in 李秀英's street, 张杨路.
    assert found(LI_XIUYING, "张")
    assert not found(LI_XIUYING, "伟")


def test_characters_in_the_wrong_order_do_not_match() -> None:
    assert not found(ZHANG_WEIMING, "明伟")


def test_part_of_an_address_finds_the_customer() -> None:
    assert found(ZHANG_WEIMING, "海淀")
    assert found(ZHANG_WEIMING, "北京")
    assert found(ZHANG_WEIMING, "中关村")
    assert found(ZHANG_WEIMING, "502室")
    assert found(LI_XIUYING, "浦东")
    assert not found(LI_XIUYING, "海淀")


def test_a_match_never_spans_two_fields() -> None:
    # 北京市 and 海淀区 are separate fields: "市海" is not in either of them.
    assert not found(ZHANG_WEIMING, "市海")
    assert not found(ZHANG_WEIMING, "北京市海淀区")
    # Neither does a name run on into its phone number.
    assert not found(ZHANG_WEIMING, "明138")


@pytest.mark.parametrize("q", ["0013", "138", "13800138000", "8000", "001380"])
def test_any_three_or_more_digits_of_a_phone_find_the_customer(q: str) -> None:
    assert found(ZHANG_WEIMING, q)
    assert not found(LI_XIUYING, q)


def test_one_or_two_digits_are_checked_by_like_alone() -> None:
    # Too short for a trigram: no grams, so the database scans and rechecks with LIKE.
    query = build_query("13")
    assert query is not None
    assert query.grams == []
    assert matches(ZHANG_WEIMING, query)
    assert not found(LI_XIUYING, "99")


@pytest.mark.parametrize("q", ["zwm", "zw", "ZWM"])
def test_pinyin_initials_find_a_name(q: str) -> None:
    assert found(ZHANG_WEIMING, q)
    assert not found(LI_XIUYING, q)


@pytest.mark.parametrize("q", ["zhangwei", "zhangweiming", "weiming", "xiuying"])
def test_full_pinyin_finds_a_name(q: str) -> None:
    assert found(ZHANG_WEIMING, q) == ("wei" in q)
    assert found(LI_XIUYING, q) == ("xiu" in q)


def test_a_polyphonic_surname_is_read_as_a_surname() -> None:
    assert found(ZENG_GUOHUA, "zgh")
    assert found(ZENG_GUOHUA, "zengguohua")
    assert not found(ZENG_GUOHUA, "ceng")


def test_two_letters_are_initials_or_a_whole_word_not_any_two_letters() -> None:
    """A two-letter term is its own gram, found in initials prefixes and two-letter words only."""
    assert found(ZHANG_WEIMING, "zw")
    assert found(ZHANG_WEIMING, "qq")  # the word "qq" of the email
    # "wm" is in the initials zwm, but not at their start; "an" is inside "zhang".
    assert not found(ZHANG_WEIMING, "wm")
    assert not found(ZHANG_WEIMING, "an")


def test_a_single_letter_is_checked_by_like_alone() -> None:
    query = build_query("z")
    assert query is not None
    assert query.grams == []
    assert matches(ZHANG_WEIMING, query)


def test_latin_text_is_case_insensitive() -> None:
    # Emails are stored lowercased, and queries are lowercased the same way.
    assert found(ZHANG_WEIMING, "zhang.weiming@qq.com")
    assert found(ZHANG_WEIMING, "WeiMing@QQ")
    assert found(ZHANG_WEIMING, "@qq.com")


def test_full_width_characters_match_their_ascii_forms() -> None:
    # Chinese input methods often type full-width digits and letters.
    assert found(ZHANG_WEIMING, "１３８００")
    assert found(ZHANG_WEIMING, "ＱＱ．ｃｏｍ")


def test_every_term_must_match() -> None:
    assert found(ZHANG_WEIMING, "张伟 海淀")
    assert found(ZHANG_WEIMING, "海淀 zw 0013")
    assert not found(ZHANG_WEIMING, "张伟 浦东")


def test_like_wildcards_in_a_term_are_escaped() -> None:
    query = build_query("100%_off")
    assert query is not None
    assert query.like_patterns == [r"%100\%\_off%"]
    sale = build_document(["以旧换新 100%_off"])
    assert matches(sale, query)
    # Unescaped, "%" and "_" would have matched any text between 100 and off.
    assert not matches(build_document(["100 percent off"]), query)
    assert not matches(build_document(["100%xoff"]), query)


def test_a_backslash_is_escaped_too() -> None:
    assert escape_like("a\\b") == "a\\\\b"
    query = build_query("c:\\temp")
    assert query is not None
    assert matches(build_document(["c:\\temp"]), query)
    assert not matches(build_document(["c:temp"]), query)


@pytest.mark.parametrize("q", ["", "   ", "\t\n", "\u3000"])
def test_a_blank_query_is_no_query(q: str) -> None:
    # \u3000 is the full-width space of Chinese input methods.
    assert build_query(q) is None


def test_only_the_first_five_terms_count() -> None:
    query = build_query("张 伟 明 北 京 海")
    assert query is not None
    assert MAX_TERMS == 5
    assert query.like_patterns == ["%张%", "%伟%", "%明%", "%北%", "%京%"]
    assert "海" not in query.grams


def test_repeated_terms_count_once() -> None:
    query = build_query("张伟 张伟 海淀")
    assert query is not None
    assert query.like_patterns == ["%张伟%", "%海淀%"]


def test_an_overlong_term_is_cut() -> None:
    query = build_query("1" * 60 + "x")
    assert query is not None
    assert query.like_patterns == ["%" + "1" * MAX_TERM_LENGTH + "%"]
    assert query.grams == ["111"]


def test_a_query_asks_for_the_fewest_grams() -> None:
    # Each gram is one GIN posting list to intersect: a bigram already implies its characters.
    query = build_query("张伟明")
    assert query is not None
    assert query.grams == ["伟明", "张伟"]


def test_document_text_and_grams() -> None:
    document = build_document(["张伟明", None, "A3"], ["张伟明"])
    assert document.text == FIELD_SEPARATOR.join(["张伟明", "a3", "zwm", "zhangweiming"])
    # Letters and digits are separate runs; runs shorter than three are kept whole.
    assert document.grams == sorted(
        ["张", "伟", "明", "张伟", "伟明", "a", "3", "zw", "zwm", "zha", "han", "ang", "ngw", "gwe", "wei"]
        + ["eim", "imi", "min", "ing"]
    )


def test_a_name_without_chinese_characters_has_no_pinyin() -> None:
    document = build_document(["Haier"], ["Haier"])
    assert document.text == "haier"


# The invariant: a term that is a substring of one field of a row gives grams the row holds, and its
# LIKE pattern matches the row's text, so the index never hides a match from the LIKE recheck.

_ALPHABET = "张伟明李秀英海淀区市路号栋单元室" + "0123456789" + "abcxyz" + " -.@#_%"


def _random_fields(rng: random.Random) -> list[str]:
    return [
        "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(1, 16))) for _ in range(rng.randint(1, 4))
    ]


def _is_two_letter_term(term: str) -> bool:
    return len(term) == 2 and term.isascii() and term.isalpha()


def _assert_invariant(document: SearchDocument, term: str) -> None:
    query = build_query(term)
    assert query is not None
    assert set(query.grams) <= set(document.grams), term
    assert matches(document, query), term


@pytest.mark.parametrize("seed", range(40))
def test_any_substring_of_a_field_finds_its_row(seed: int) -> None:
    rng = random.Random(seed)
    fields = _random_fields(rng)
    document = build_document(fields, fields)
    for field in map(normalize, fields):
        for term in field.split():
            for start in range(len(term)):
                for end in range(start + 1, len(term) + 1):
                    piece = term[start:end]
                    # Two letters are initials or a whole word (see above), not any two letters.
                    if not _is_two_letter_term(piece):
                        _assert_invariant(document, piece)


@pytest.mark.parametrize("document", [ZHANG_WEIMING, LI_XIUYING, ZENG_GUOHUA])
def test_any_substring_of_the_pinyin_finds_its_row(document: SearchDocument) -> None:
    *_, initials, full = document.text.split(FIELD_SEPARATOR)
    for end in range(2, len(initials) + 1):
        _assert_invariant(document, initials[:end])
    for text in (initials, full):
        for start in range(len(text)):
            for end in range(start + 3, len(text) + 1):
                _assert_invariant(document, text[start:end])
