"""Which rules of a UNIQUE decision table can both match, where that is certain from the cells alone.

A cell is reduced to the set of values it accepts: any (``-`` or empty), one literal (``"pass"``, ``5``),
or an interval (``>= 10``, ``< 500``); any other expression is "not known" and never reported. SpiffWorkflow
takes the first matching rule of a UNIQUE table without checking uniqueness, so a rule that an earlier rule
covers in every column can never apply, and two rules that can both match are worth a warning.
"""

from __future__ import annotations

import ast
import re
from typing import Any

MAX_RULES_COMPARED = 300


_CMP = re.compile(r"^(<=|>=|<|>|==|!=)?\s*(.+)$")


def constraint(text: str) -> tuple | None:
    """None = accepts anything; ("eq", v) / ("range", lo, lo_incl, hi, hi_incl); ("?",) = not known."""
    if not text or text == "-":
        return None
    match = _CMP.match(text)
    if not match:
        return ("?",)
    op, rest = match.group(1), match.group(2).strip()
    try:
        value = ast.literal_eval(rest)
    except (ValueError, SyntaxError):
        return ("?",)
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return ("?",)
    if op in (None, "=="):
        return ("eq", value)
    if isinstance(value, str) or op == "!=":
        return ("?",)
    inf = float("inf")
    return {
        "<": ("range", -inf, False, value, False),
        "<=": ("range", -inf, False, value, True),
        ">": ("range", value, False, inf, False),
        ">=": ("range", value, True, inf, False),
    }[op]


def _in_range(v: Any, r: tuple) -> bool:
    if isinstance(v, str) or isinstance(v, bool):
        return False
    _, lo, lo_in, hi, hi_in = r
    return (lo < v or (lo_in and lo == v)) and (v < hi or (hi_in and hi == v))


def _overlap(a: tuple | None, b: tuple | None) -> bool | None:
    """True: some value matches both; False: none does; None: cannot tell."""
    if a is None or b is None:
        return True
    if a[0] == "?" or b[0] == "?":
        return None
    if a[0] == "eq" and b[0] == "eq":
        return bool(a[1] == b[1])
    if a[0] == "eq":
        return _in_range(a[1], b)
    if b[0] == "eq":
        return _in_range(b[1], a)
    _, alo, alo_in, ahi, ahi_in = a
    _, blo, blo_in, bhi, bhi_in = b
    lo, lo_in = max((alo, alo_in), (blo, blo_in), key=lambda p: (p[0], not p[1]))
    hi, hi_in = min((ahi, ahi_in), (bhi, bhi_in), key=lambda p: (p[0], p[1]))
    return lo < hi or (lo == hi and lo_in and hi_in)


def _covers(a: tuple | None, b: tuple | None) -> bool:
    """Every value cell ``b`` accepts, cell ``a`` accepts too (where that is certain)."""
    if a is None:
        return True
    if b is None or a[0] == "?" or b[0] == "?":
        return False
    if a[0] == "eq":
        return b[0] == "eq" and a[1] == b[1]
    if b[0] == "eq":
        return _in_range(b[1], a)
    _, alo, alo_in, ahi, ahi_in = a
    _, blo, blo_in, bhi, bhi_in = b
    low_ok = alo < blo or (alo == blo and (alo_in or not blo_in))
    high_ok = bhi < ahi or (bhi == ahi and (ahi_in or not bhi_in))
    return low_ok and high_ok


def unique_conflicts(cells_of: list[list[tuple | None]]) -> list[tuple[int, int, str]]:
    """(earlier rule, later rule, "shadowed" | "overlap") for each later rule, the first conflict only."""
    out: list[tuple[int, int, str]] = []
    if len(cells_of) > MAX_RULES_COMPARED:
        return out
    for j in range(len(cells_of)):
        for i in range(j):
            a, b = cells_of[i], cells_of[j]
            if len(a) != len(b):
                continue
            if all(_covers(x, y) for x, y in zip(a, b, strict=True)):
                out.append((i, j, "shadowed"))
                break
            if all(_overlap(x, y) is True for x, y in zip(a, b, strict=True)):
                out.append((i, j, "overlap"))
                break
    return out
