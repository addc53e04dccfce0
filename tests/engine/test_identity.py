"""Resident id (GB 11643-1999) and unified social credit code (GB 32100-2015) validators."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.identity import (
    USCC_CHARSET,
    org_code_check_char,
    resident_id_birth_date,
    resident_id_check_char,
    resident_id_gender,
    uscc_check_char,
    validate_resident_id,
    validate_uscc,
)

# The standard example of GB 11643-1999 (a woman born 1949-12-31 in Beijing Chaoyang).
GB_EXAMPLE_ID = "11010519491231002X"
# Published codes, each checked against the algorithm before being relied on here.
PUBLISHED_USCC = ["91350100M000100Y43", "914403001922038216"]


def make_resident_id(region: str, birth: str, seq: str) -> str:
    body = region + birth + seq
    return body + resident_id_check_char(body)


def make_uscc(authority: str, kind: str, region: str, org8: str) -> str:
    body = authority + kind + region + org8 + org_code_check_char(org8)
    return body + uscc_check_char(body)


# ---------------------------------------------------------------------------------------------
# resident id


def test_gb_standard_example_is_valid():
    assert validate_resident_id(GB_EXAMPLE_ID) == GB_EXAMPLE_ID


def test_lowercase_x_is_accepted_and_uppercased():
    assert validate_resident_id("11010519491231002x") == GB_EXAMPLE_ID


def test_spaces_are_stripped():
    assert validate_resident_id(" 110105 19491231 002X ") == GB_EXAMPLE_ID


def test_gender_and_birth_date_of_example():
    assert resident_id_gender(GB_EXAMPLE_ID) == "female"  # 17th digit 2 is even
    assert resident_id_birth_date(GB_EXAMPLE_ID) == dt.date(1949, 12, 31)


def test_gender_male_for_odd_sequence():
    rid = make_resident_id("350203", "19800229", "013")
    assert resident_id_gender(rid) == "male"
    assert resident_id_birth_date(rid) == dt.date(1980, 2, 29)


def test_synthetic_ids_are_valid():
    for region, birth, seq in [
        ("350203", "20000101", "001"),
        ("440305", "19991231", "998"),
        ("650102", "19000101", "123"),
    ]:
        rid = make_resident_id(region, birth, seq)
        assert validate_resident_id(rid) == rid


def test_check_char_x_case_is_produced():
    # sum % 11 == 2 → "X"; find one body by search to prove the X path works end to end
    for seq in range(1000):
        body = f"35020319850615{seq:03d}"
        if resident_id_check_char(body) == "X":
            assert validate_resident_id(body + "x") == body + "X"
            return
    pytest.fail("no X check char found")


@pytest.mark.parametrize("bad", ["", "11010519491231002", "11010519491231002X1", "110105194912310"])
def test_wrong_length_is_rejected(bad):
    with pytest.raises(ValueError, match="18"):
        validate_resident_id(bad)


@pytest.mark.parametrize("birth", ["19490230", "19491301", "19490000", "18991231"])
def test_bad_birth_date_is_rejected(birth):
    body = "110105" + birth + "002"
    with pytest.raises(ValueError, match="birth date"):
        validate_resident_id(body + resident_id_check_char(body))


def test_future_birth_date_is_rejected():
    body = "110105" + "20300101" + "002"
    with pytest.raises(ValueError, match="future"):
        validate_resident_id(body + resident_id_check_char(body), today=dt.date(2025, 1, 1))


def test_region_starting_with_zero_is_rejected():
    rid = make_resident_id("010105", "19491231", "002")
    with pytest.raises(ValueError, match="region"):
        validate_resident_id(rid)


def test_all_zero_region_is_rejected():
    rid = make_resident_id("000000", "19491231", "002")
    with pytest.raises(ValueError, match="region"):
        validate_resident_id(rid)


def test_letter_in_body_is_rejected():
    with pytest.raises(ValueError, match="position 7"):
        validate_resident_id("110105A9491231002X")


def test_bad_check_character_symbol_is_rejected():
    with pytest.raises(ValueError, match="0-9 or X"):
        validate_resident_id("11010519491231002Y")


def test_every_wrong_check_char_is_rejected():
    for c in "0123456789X":
        if c != "X":
            with pytest.raises(ValueError, match="check character mismatch"):
                validate_resident_id(GB_EXAMPLE_ID[:17] + c)


def test_error_message_is_chinese_and_english():
    with pytest.raises(ValueError) as info:
        validate_resident_id("11010519491231002")
    msg = str(info.value)
    assert "公民身份号码" in msg and "resident id" in msg


def test_non_string_is_rejected():
    with pytest.raises(ValueError, match="string"):
        validate_resident_id(11010519491231002)


valid_ids = st.builds(
    make_resident_id,
    st.integers(100000, 999999).map(str),
    st.dates(dt.date(1900, 1, 1), dt.date(2020, 12, 31)).map(lambda d: d.strftime("%Y%m%d")),
    st.integers(0, 999).map(lambda n: f"{n:03d}"),
)


@settings(max_examples=300, deadline=None)
@given(valid_ids)
def test_generated_ids_are_valid(rid):
    assert validate_resident_id(rid) == rid


@settings(max_examples=500, deadline=None)
@given(valid_ids, st.integers(0, 17), st.sampled_from("0123456789X"))
def test_mutating_one_character_is_rejected(rid, pos, new):
    if pos < 17 and new == "X":
        new = "7"
    mutated = rid[:pos] + new + rid[pos + 1 :]
    if mutated == rid:
        return
    # MOD 11-2 detects every single-character substitution.
    with pytest.raises(ValueError):
        validate_resident_id(mutated)


# ---------------------------------------------------------------------------------------------
# unified social credit code


@pytest.mark.parametrize("code", PUBLISHED_USCC)
def test_published_uscc_is_valid(code):
    assert validate_uscc(code) == code


def test_uscc_lowercase_and_spaces_are_normalised():
    assert validate_uscc(" 91350100m000100y43 ") == "91350100M000100Y43"
    assert validate_uscc("9135 0100 M000 100Y 43") == "91350100M000100Y43"


def test_synthetic_uscc_are_valid():
    for parts in [
        ("9", "1", "350203", "MA2Y3K8D"),
        ("5", "2", "110105", "50000123"),
        ("Y", "1", "440305", "00000000"),
    ]:
        code = make_uscc(*parts)
        assert validate_uscc(code) == code


def test_org_code_check_produces_x_and_zero():
    # Both special cases of 11 - sum % 11 are reachable.
    seen = {org_code_check_char(f"{n:08d}") for n in range(200)}
    assert "X" in seen and "0" in seen


@pytest.mark.parametrize("bad", ["", "91350100M000100Y4", "91350100M000100Y433"])
def test_uscc_wrong_length_is_rejected(bad):
    with pytest.raises(ValueError, match="18"):
        validate_uscc(bad)


@pytest.mark.parametrize("letter", "IOZSV")
def test_uscc_forbidden_letters_are_rejected(letter):
    code = "91350100M000100Y43"
    bad = code[:8] + letter + code[9:]
    with pytest.raises(ValueError, match="I, O, Z, S and V"):
        validate_uscc(bad)


def test_uscc_non_numeric_region_is_rejected():
    code = make_uscc("9", "1", "35A100", "M000100Y")
    with pytest.raises(ValueError, match="region"):
        validate_uscc(code)


def test_uscc_wrong_org_code_check_is_rejected():
    body = "91350100M000100Y" + "5"  # org check should be 4
    with pytest.raises(ValueError, match="organisation code"):
        validate_uscc(body + uscc_check_char(body))


def test_uscc_every_wrong_check_char_is_rejected():
    code = "91350100M000100Y43"
    for c in USCC_CHARSET:
        if c != code[17]:
            with pytest.raises(ValueError, match="check character mismatch"):
                validate_uscc(code[:17] + c)


valid_uscc = st.builds(
    make_uscc,
    st.sampled_from("159Y"),
    st.sampled_from("123"),
    st.integers(110000, 659999).map(str),
    st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8),
)


@settings(max_examples=300, deadline=None)
@given(valid_uscc)
def test_generated_uscc_are_valid(code):
    assert validate_uscc(code) == code


@settings(max_examples=500, deadline=None)
@given(valid_uscc, st.integers(0, 17), st.sampled_from(USCC_CHARSET))
def test_uscc_mutating_one_character_is_rejected(code, pos, new):
    mutated = code[:pos] + new + code[pos + 1 :]
    if mutated == code:
        return
    # MOD 31 with weights coprime to 31 detects every single-character substitution.
    with pytest.raises(ValueError):
        validate_uscc(mutated)
