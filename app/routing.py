"""Integers from the URL are bounded before they reach the database.

PostgreSQL's ``bigint`` ends at 2^63−1; a larger id or page number used to reach the driver and come
back as a 500. Identifiers in paths go through the ``id`` converter (1..2^63−1, anything else is the
404 of a URL that does not exist; ``id32`` for the few tables keyed by a 32-bit integer) and paging numbers in query strings through `query_int` (422 naming
the field).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from werkzeug.routing import IntegerConverter, Map

from app.services.errors import ValidationFailed
from app.services.i18n import t

MAX_ID = 2**63 - 1  # PostgreSQL bigint, SQLite's INTEGER
MAX_ID32 = 2**31 - 1  # PostgreSQL integer: the ids of users, service items and process drafts
MAX_PAGE = 100_000  # a page number; far beyond any list here
MAX_OFFSET = 10**9  # far beyond any table here, far below an overflow of offset = (page - 1) * size
_DIGITS = 19  # len(str(MAX_ID)): a longer query number is refused before int() parses it


def _up_to(bound: int) -> str:
    """A regular expression matching exactly the decimal numbers 1..BOUND (no sign, no leading zero).

    The bound is in the pattern itself, not only in ``to_python``: Werkzeug answers 405 instead of 404
    when a converter refuses a value after the path matched a rule of another method."""
    digits = str(bound)
    shorter = rf"[1-9]\d{{0,{len(digits) - 2}}}"
    same_length = []
    for i, ch in enumerate(digits):
        low = "1" if i == 0 else "0"
        if ch > low:
            rest = len(digits) - i - 1
            same_length.append(f"{digits[:i]}[{low}-{int(ch) - 1}]" + (rf"\d{{{rest}}}" if rest else ""))
    same_length.append(digits)
    return "(?:" + "|".join([shorter, *same_length]) + ")"


class IdConverter(IntegerConverter):
    """``<id:task_id>``: a positive row id that fits a bigint; otherwise the route does not match (404)."""

    regex = _up_to(MAX_ID)

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(map, min=1, max=MAX_ID)


class Id32Converter(IdConverter):
    """``<id32:user_id>``: the id of a table whose key is a 32-bit ``integer`` on PostgreSQL."""

    regex = _up_to(MAX_ID32)

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        IntegerConverter.__init__(self, map, min=1, max=MAX_ID32)


def init_app(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["id32"] = Id32Converter


def query_int(name: str, default: int, *, minimum: int = 0, maximum: int = MAX_OFFSET) -> int:
    """The query argument NAME as an integer in [MINIMUM, MAXIMUM]; absent or empty is DEFAULT.

    Anything else is a 422 naming the field, the value echoed only in part."""
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        return default
    raw = raw.strip()
    value: int | None = None
    if len(raw) <= _DIGITS + 1 and raw.lstrip("+-").isdigit() and raw.isascii():
        value = int(raw)
    if value is None or not minimum <= value <= maximum:
        raise ValidationFailed(
            t("参数 %(name)s 应为 %(lo)s–%(hi)s 的整数", name=name, lo=minimum, hi=maximum),
            [{"field": name, "message": f"integer {minimum}..{maximum}, got {raw[:40]!r}"}],
            code="invalid_query",
        )
    return value
