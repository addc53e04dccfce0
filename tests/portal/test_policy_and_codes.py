"""The password policy and the receipt's query code (pure functions, no app)."""

from __future__ import annotations

from app.services.passwords import check_password
from app.services.receipts import ALPHABET, new_query_code, query_code_matches


def test_a_strong_password_has_no_problems():
    assert check_password("Tongban-2026") == []
    assert check_password("abcdEF12") == []  # exactly 8, three classes


def test_short_password_is_named_in_chinese():
    problems = check_password("Ab1-")
    assert any("至少 8 个字符" in p for p in problems)


def test_two_character_classes_are_not_enough():
    assert check_password("abcdefgh12") == ["密码须包含大写字母、小写字母、数字、其他字符四类中的至少三类"]
    assert check_password("ABCDEFGH!!") != []


def test_symbols_and_non_ascii_count_as_the_fourth_class():
    assert check_password("abcdefg1!") == []
    assert check_password("abcdefg1通") == []


def test_password_may_not_contain_the_username():
    assert check_password("Xyz-13900001111", "13900001111") == ["密码不能包含用户名"]
    assert check_password("Xyz-abcdef12", "13900001111") == []


def test_query_codes_are_8_unambiguous_characters_and_differ():
    codes = {new_query_code() for _ in range(500)}
    assert len(codes) == 500
    assert all(len(c) == 8 and set(c) <= set(ALPHABET) for c in codes)
    assert not set("01OIL") & set(ALPHABET)


def test_query_code_comparison_ignores_case_and_spaces_but_not_digits():
    assert query_code_matches("AB23CD45", " ab23 cd45 ")
    assert not query_code_matches("AB23CD45", "AB23CD46")
    assert not query_code_matches(None, "AB23CD45")
