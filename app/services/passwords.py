"""The password policy, in one place: every place that sets a password calls `check_password`.

At least 8 characters with three of the four classes (upper case, lower case, digits, other
characters), as 等保 2.0 level 3 and OWASP ASVS L2 expect; not the user name and not one of the
passwords every attacker tries first. Messages are in Chinese (the users' language).
"""

from __future__ import annotations

import unicodedata

MIN_LENGTH = 8
MAX_LENGTH = 128  # long enough for a passphrase; bounds the hashing work of one attempt
MIN_CLASSES = 3

# Passwords that satisfy the class rule yet head every guessing list.
COMMON = frozenset(
    {
        "password1",
        "password123",
        "passw0rd",
        "p@ssw0rd",
        "p@ssword1",
        "admin123",
        "admin@123",
        "qwer1234",
        "qwerty123",
        "abc@1234",
        "abcd1234",
        "aa123456",
        "a1234567",
        "1qaz2wsx",
        "1qaz@wsx",
        "welcome1",
        "changeme1",
    }
)


def _classes(password: str) -> int:
    upper = lower = digit = other = False
    for ch in password:
        if ch.isdigit():
            digit = True
        elif ch.isalpha() and ch.isupper():
            upper = True
        elif ch.isalpha() and ch.islower():
            lower = True
        else:
            other = True  # punctuation, spaces, and letters without case (汉字) count as "other"
    return upper + lower + digit + other


def check_password(password: str, username: str | None = None) -> list[str]:
    """What is wrong with PASSWORD for USERNAME; an empty list means it may be used."""
    if not isinstance(password, str):
        return ["密码必须是文本"]
    problems = []
    length = len(password)
    if length < MIN_LENGTH:
        problems.append(f"密码至少 {MIN_LENGTH} 个字符（现为 {length} 个）")
    if length > MAX_LENGTH:
        problems.append(f"密码至多 {MAX_LENGTH} 个字符")
    if _classes(password) < MIN_CLASSES:
        problems.append("密码须包含大写字母、小写字母、数字、其他字符四类中的至少三类")
    if any(unicodedata.category(ch) == "Cc" for ch in password):
        problems.append("密码不能包含控制字符")
    folded = password.casefold()
    if username and len(username) >= 3 and username.casefold() in folded:
        problems.append("密码不能包含用户名")
    if folded in COMMON:
        problems.append("密码过于常见，请换一个")
    return problems
