"""The password policy for every account (staff and applicants): one function, one place."""

from __future__ import annotations

import string

MIN_LENGTH = 8
MIN_CLASSES = 3
_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits)


def check_password(password: str, username: str | None = None) -> list[str]:
    """What is wrong with ``password``, in zh-CN; an empty list means it is acceptable.

    At least 8 characters and 3 of the 4 character classes (lower-case letters, upper-case letters,
    digits, other characters); it must not contain the username.
    """
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(f"密码至少需要 {MIN_LENGTH} 个字符")
    classes = sum(1 for chars in _CLASSES if any(c in chars for c in password))
    classes += 1 if any(not (c.isascii() and c.isalnum()) for c in password) else 0
    if classes < MIN_CLASSES:
        problems.append("密码需包含小写字母、大写字母、数字、符号中的至少三类")
    if username and len(username) >= 3 and username.lower() in password.lower():
        problems.append("密码不能包含用户名")
    return problems
