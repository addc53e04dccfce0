"""The password policy: one function, used wherever a password is set."""

from __future__ import annotations

import pytest

from app.config import load_settings
from app.services.passwords import check_password
from tests.conftest import DEMO_PASSWORD


def test_a_strong_password_has_no_problems():
    assert check_password("Tongban#2026", "env_clerk") == []


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("Ab1$xyz", "至少 8 个字符"),
        ("alllowercase", "至少三类"),
        ("lowercase123", None),  # two classes plus nothing else: refused for classes
        ("ALLUPPER123", "至少三类"),
        ("12345678", "至少三类"),
        ("Password1", None),
        ("x" * 200 + "A1!", "至多 128 个字符"),
    ],
)
def test_weak_passwords_are_refused_with_a_chinese_reason(password, fragment):
    problems = check_password(password)
    assert problems, password
    if fragment:
        assert any(fragment in p for p in problems), problems


def test_a_password_containing_the_username_is_refused():
    assert check_password("Env_Clerk-2026", "env_clerk") == ["密码不能包含用户名"]


def test_a_common_password_is_refused_even_with_three_classes():
    assert check_password("Passw0rd") == ["密码过于常见，请换一个"]


def test_control_characters_are_refused():
    assert "密码不能包含控制字符" in check_password("Abc-123\x00xyz")


def test_the_default_demo_password_and_the_test_password_pass_the_policy(tmp_path):
    default = load_settings({"TONGBAN_DATA_DIR": str(tmp_path)}).demo_password
    assert check_password(default) == []
    assert check_password(DEMO_PASSWORD) == []
