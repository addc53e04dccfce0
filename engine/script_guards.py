"""The guards of sandboxed scripts (see engine.script_limits for the limits, the memory meter and the
sizes they check against): every operation that can make a big object out of small ones is rewritten
(AST transform, :func:`guarded_code`) into a call of a guard that computes the size of the result
*before* allocating it — sequence repetition and concatenation, ``**`` and ``<<`` on integers, ``%``
and f-string formatting widths, the allocating ``str``/``bytes``/``list``/``dict`` methods — and the
builtins that make new objects per item (``str``, ``zip``, ``map``, ``sorted``, ``sum``, ``round``) are
replaced by metered ones (:data:`GUARDED_BUILTINS`). The guards are bound as globals of every
evaluation (:data:`GUARDS`) under names starting with ``__sb_``, which no script can write.
"""

from __future__ import annotations

import ast
import builtins
import functools
import math
import operator
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, cast

from engine.errors import UnsafeScriptError
from engine.script_check import SANDBOX_FILENAME
from engine.script_limits import (
    MAX_ROUND_DIGITS,
    MAX_ZIP_ARITY,
    METER_EVERY,
    SEQUENCES,
    check_result,
    current,
    expanded_size,
    meter_check,
    refuse,
)

Label = tuple[str, str]  # (Chinese, English) name of an operation, for messages

REPEAT: Label = ("序列重复", "sequence repetition")
CONCAT: Label = ("序列拼接", "concatenation")
PERCENT: Label = ("%-格式化", "%-formatting")
PADDING: Label = ("填充宽度", "padding width")
EXPANDTABS: Label = ("制表符展开", "expandtabs")
REPLACE: Label = ("替换", "replace")
TRANSLATE: Label = ("字符替换", "translate")
TO_BYTES: Label = ("转为字节", "int.to_bytes")
JOIN: Label = ("连接", "join")
EXTEND: Label = ("列表扩展", "list.extend")
FROMKEYS: Label = ("建立字典", "dict.fromkeys")
SORTED: Label = ("排序", "sorted()")


def _too_many(n: int, what: Label) -> UnsafeScriptError:
    limit = current().max_items
    shown = f"{n:,}" if n < 10**30 else "more than 10^30"
    return refuse(
        f"{what[1]} of {shown} items exceeds the sandbox limit of {limit:,}", f"{what[0]}结果过大：{shown} 项"
    )


def _check_len(n: int, what: Label) -> None:
    if n > current().max_items:
        raise _too_many(n, what)


def _int_bits(what: Label, bits: float) -> None:
    limit = current().max_int_bits
    if bits > limit:
        raise refuse(
            f"{what[1]} would have about {bits:,.0f} bits, over the limit of {limit:,}",
            f"{what[0]}结果过大：约 {bits:,.0f} 位",
        )


def _check_mul(a: Any, b: Any) -> None:
    if isinstance(a, SEQUENCES) and isinstance(b, int):
        _check_len(len(a) * max(b, 0), REPEAT)
    elif isinstance(b, SEQUENCES) and isinstance(a, int):
        _check_len(len(b) * max(a, 0), REPEAT)
    elif isinstance(a, int) and isinstance(b, int):
        _int_bits(("整数乘法", "integer multiplication"), a.bit_length() + b.bit_length())


def _check_pow(a: Any, b: Any) -> None:
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
        _int_bits(("乘方", "exponentiation"), b * math.log2(abs(a)))


def _check_lshift(a: Any, b: Any) -> None:
    if isinstance(a, int) and isinstance(b, int) and a and b > 0:
        _int_bits(("移位", "left shift"), a.bit_length() + b)


def _check_add(a: Any, b: Any) -> None:
    if isinstance(a, SEQUENCES) and isinstance(b, SEQUENCES):
        _check_len(len(a) + len(b), CONCAT)


_PERCENT = re.compile(rb"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([a-zA-Z%])")


def _check_mod(a: Any, b: Any) -> None:
    if not isinstance(a, str | bytes):
        return
    limits = current()
    fmt = a.encode("utf-8", "replace") if isinstance(a, str) else a
    args = b if isinstance(b, tuple) else (b,)
    star = any(w == b"*" or p == b"*" for w, p, _t in _PERCENT.findall(fmt))
    widths = [int(x) for w, p, _t in _PERCENT.findall(fmt) for x in (w, p) if x and x != b"*"]
    if star:
        widths += [abs(x) for x in args if isinstance(x, int)]
    size = len(a) + sum(widths) + expanded_size(b, limits.max_items)
    _check_len(size, PERCENT)


_BINOPS: dict[
    str, tuple[Callable[[Any, Any], None], Callable[[Any, Any], Any], Callable[[Any, Any], Any]]
] = {
    "*": (_check_mul, operator.mul, operator.imul),
    "**": (_check_pow, operator.pow, operator.ipow),
    "<<": (_check_lshift, operator.lshift, operator.ilshift),
    "+": (_check_add, operator.add, operator.iadd),
    "%": (_check_mod, operator.mod, operator.imod),
}
_OP_NAMES = {ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Add: "+", ast.Mod: "%"}


# One function per operator (each a single frame: the common case, numbers, costs one call).
def guard_add(a: Any, b: Any) -> Any:
    if isinstance(a, SEQUENCES) and isinstance(b, SEQUENCES):
        _check_len(len(a) + len(b), CONCAT)
    return a + b


def guard_mul(a: Any, b: Any) -> Any:
    if not (isinstance(a, float) or isinstance(b, float)):
        _check_mul(a, b)
    return a * b


def guard_pow(a: Any, b: Any) -> Any:
    _check_pow(a, b)
    return a**b


def guard_lshift(a: Any, b: Any) -> Any:
    _check_lshift(a, b)
    return a << b


def guard_mod(a: Any, b: Any) -> Any:
    if isinstance(a, str | bytes):
        _check_mod(a, b)
    return a % b


_BINOP_GUARDS = {"+": "__sb_add", "*": "__sb_mul", "**": "__sb_pow", "<<": "__sb_lshift", "%": "__sb_mod"}


def guard_inplace(op: str, a: Any, b: Any) -> Any:
    check, _plain, inplace = _BINOPS[op]
    check(a, b)
    return inplace(a, b)


def guard_setitem_inplace(container: Any, key: Any, op: str, value: Any) -> None:
    container[key] = guard_inplace(op, container[key], value)


def guard_slice(lower: Any, upper: Any, step: Any) -> slice:
    return slice(lower, upper, step)


# -- formatting ----------------------------------------------------------------------------------

_DIGITS = re.compile(r"\d+")


def _check_spec(spec: str) -> None:
    for run in _DIGITS.findall(spec):
        if len(run) > 12 or int(run) > current().max_items:
            raise refuse(
                f"format width or precision {run[:20]} exceeds the sandbox limit of {current().max_items:,}",
                "格式宽度或精度过大",
            )


def guard_format(value: Any, conversion: int, spec: str) -> str:
    """One f-string field, with its width, precision and printed size checked first."""
    if not isinstance(value, str | int | float):
        check_result(value, "the printed value")
    _check_spec(spec)
    if conversion == ord("r"):
        value = repr(value)
    elif conversion == ord("a"):
        value = ascii(value)
    elif conversion == ord("s"):
        value = str(value)
    return format(value, spec)


# -- methods -----------------------------------------------------------------------------------


def _width(self: Any, args: tuple, kwargs: dict) -> None:
    width = args[0] if args else kwargs.get("width", 0)
    if isinstance(self, str | bytes) and isinstance(width, int):
        _check_len(width, PADDING)


def _expandtabs(self: Any, args: tuple, kwargs: dict) -> None:
    size = args[0] if args else kwargs.get("tabsize", 8)
    if isinstance(self, str | bytes) and isinstance(size, int):
        tabs = self.count("\t") if isinstance(self, str) else self.count(b"\t")
        _check_len(len(self) + tabs * max(size, 0), EXPANDTABS)


def _replace(self: Any, args: tuple, kwargs: dict) -> None:
    if not isinstance(self, str | bytes) or len(args) < 2:
        return
    old, new = args[0], args[1]
    if not isinstance(old, str | bytes) or not isinstance(new, str | bytes):
        return
    count = args[2] if len(args) > 2 else kwargs.get("count", -1)
    hits = len(self) + 1 if not old else cast(Any, self).count(old)  # str.count(str) / bytes.count(bytes)
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    _check_len(len(self) + hits * (len(new) - len(old)), REPLACE)


def _translate(self: Any, args: tuple, kwargs: dict) -> None:
    table = args[0] if args else None
    if isinstance(self, str) and isinstance(table, dict):
        longest = max((len(v) for v in table.values() if isinstance(v, str)), default=1)
        _check_len(len(self) * max(longest, 1), TRANSLATE)


def _to_bytes(self: Any, args: tuple, kwargs: dict) -> None:
    length = args[0] if args else kwargs.get("length", 1)
    if isinstance(length, int):
        _check_len(length, TO_BYTES)


def counted(items: Iterable[Any], what: Label, room: int | None = None) -> list[Any]:
    """Materialise ITEMS, refusing more than ROOM (default: the item limit) of them."""
    limit = current().max_items if room is None else room
    if hasattr(items, "__len__"):
        _check_len(len(items), what)  # type: ignore[arg-type]
        return list(items)
    out = []
    for n, item in enumerate(items, 1):
        if n > limit:
            raise _too_many(n, what)
        if n % METER_EVERY == 0:
            meter_check()
        out.append(item)
    return out


def _join_call(real: Callable, sep: Any, items: Any) -> Any:
    materialised = counted(items, JOIN)
    if isinstance(sep, str | bytes):
        total = len(sep) * max(len(materialised) - 1, 0)
        total += sum(len(i) for i in materialised if isinstance(i, str | bytes))
        _check_len(total, JOIN)
    return real(materialised)


# name -> check(self, args, kwargs) run before the real method
METHOD_CHECKS: dict[str, Callable[[Any, tuple, dict], None]] = {
    "ljust": _width,
    "rjust": _width,
    "center": _width,
    "zfill": _width,
    "expandtabs": _expandtabs,
    "replace": _replace,
    "translate": _translate,
    "to_bytes": _to_bytes,
}
SPECIAL_METHODS = frozenset({"join", "extend", "fromkeys"})
GUARDED_METHODS = frozenset(METHOD_CHECKS) | SPECIAL_METHODS


def guard_attr(obj: Any, name: str) -> Any:
    """``obj.name`` for a method that can allocate a lot: the bound method with its check."""
    real_obj = obj.real if isinstance(obj, GuardedType) else obj
    attr = getattr(real_obj, name)
    unbound = isinstance(real_obj, type)
    if name == "join":
        if unbound:
            return lambda sep, items: _join_call(functools.partial(attr, sep), sep, items)
        return lambda items: _join_call(attr, real_obj, items)
    if name == "extend":
        if unbound:
            return lambda target, items: attr(target, _extension(target, items))
        return lambda items: attr(_extension(real_obj, items))
    if name == "fromkeys":
        return lambda keys, *rest: attr(counted(keys, FROMKEYS), *rest)
    check = METHOD_CHECKS[name]
    if unbound:

        def call_unbound(*args: Any, **kwargs: Any) -> Any:
            check(args[0] if args else None, args[1:], kwargs)
            return attr(*args, **kwargs)

        return call_unbound

    def call(*args: Any, **kwargs: Any) -> Any:
        check(real_obj, args, kwargs)
        return attr(*args, **kwargs)

    return call


def _extension(target: Any, items: Any) -> Any:
    if not isinstance(target, list):
        return items
    room = current().max_items - len(target)
    if hasattr(items, "__len__"):
        _check_len(len(target) + len(items), EXTEND)
        return items
    return counted(items, EXTEND, room=max(room, 0))


# -- builtins that make new objects per item, or that can print a value ----------------------------


class GuardedType:
    """A builtin type whose calls are checked, that still works with ``isinstance`` and class
    attributes (``str.upper``)."""

    def __init__(self, real: type, call: Callable[..., Any]) -> None:
        self.real = real
        self._call = call

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call(*args, **kwargs)

    def __instancecheck__(self, instance: Any) -> bool:
        return isinstance(instance, self.real)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.real, name)

    def __repr__(self) -> str:
        return repr(self.real)


def _str(*args: Any, **kwargs: Any) -> str:
    if args and not isinstance(args[0], str | int | float | bytes):
        check_result(args[0], "the printed value")
    return str(*args, **kwargs)


def _zip(*iterables: Any, **kwargs: Any) -> Iterator[tuple]:
    if len(iterables) > MAX_ZIP_ARITY:
        raise refuse(f"zip() of {len(iterables)} iterables (limit {MAX_ZIP_ARITY})", "zip() 的参数过多")
    return _metered(zip(*iterables, **kwargs))  # noqa: B905 - the script chooses strict= itself


def _map(function: Callable, *iterables: Any) -> Iterator[Any]:
    if len(iterables) > MAX_ZIP_ARITY:
        raise refuse(f"map() over {len(iterables)} iterables (limit {MAX_ZIP_ARITY})", "map() 的参数过多")
    return _metered(map(function, *iterables))


def _metered(inner: Iterator[Any]) -> Iterator[Any]:
    for n, item in enumerate(inner, 1):
        if n % METER_EVERY == 0:
            meter_check()
        yield item


def _sorted(iterable: Any, /, *, key: Callable | None = None, reverse: bool = False) -> list:
    items = counted(iterable, SORTED)
    if key is None:
        return sorted(items, reverse=reverse)
    calls = [0]

    def metered_key(item: Any) -> Any:
        calls[0] += 1
        if calls[0] % METER_EVERY == 0:
            meter_check()
        return key(item)

    return sorted(items, key=metered_key, reverse=reverse)


def _sum(iterable: Any, /, start: Any = 0) -> Any:
    if not isinstance(start, int | float):
        raise refuse("sum() adds numbers only in scripts", "sum() 只能对数字求和")
    return sum(iterable, start)


def _round(number: Any, ndigits: Any = None) -> Any:
    if isinstance(ndigits, int) and abs(ndigits) > MAX_ROUND_DIGITS:
        raise refuse(f"round() to {ndigits} digits (limit {MAX_ROUND_DIGITS})", "round() 的位数过大")
    return round(number) if ndigits is None else round(number, ndigits)


GUARDED_BUILTINS: dict[str, Any] = {
    "str": GuardedType(str, _str),
    "zip": GuardedType(zip, _zip),
    "map": GuardedType(map, _map),
    "sorted": _sorted,
    "sum": _sum,
    "round": _round,
}

# bound as globals of every evaluation, after the task data
GUARDS: dict[str, Any] = {
    "__sb_add": guard_add,
    "__sb_mul": guard_mul,
    "__sb_pow": guard_pow,
    "__sb_lshift": guard_lshift,
    "__sb_mod": guard_mod,
    "__sb_inplace": guard_inplace,
    "__sb_setitem_inplace": guard_setitem_inplace,
    "__sb_slice": guard_slice,
    "__sb_format": guard_format,
    "__sb_attr": guard_attr,
}


# -- the AST rewrite ---------------------------------------------------------------------------


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=list(args), keywords=[])


class _Guard(ast.NodeTransformer):
    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        op = _OP_NAMES.get(type(node.op))
        if op is None:
            return node
        return ast.copy_location(_call(_BINOP_GUARDS[op], node.left, node.right), node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        op = _OP_NAMES.get(type(node.op))
        target = node.target
        if op is None:
            return node
        if isinstance(target, ast.Name):
            value = _call(
                "__sb_inplace", ast.Constant(op), ast.Name(id=target.id, ctx=ast.Load()), node.value
            )
            return ast.copy_location(ast.Assign(targets=[target], value=value), node)
        if isinstance(target, ast.Subscript):
            key = target.slice
            if isinstance(key, ast.Slice):
                none = ast.Constant(None)
                key = _call("__sb_slice", key.lower or none, key.upper or none, key.step or none)
            call = _call("__sb_setitem_inplace", target.value, key, ast.Constant(op), node.value)
            return ast.copy_location(ast.Expr(value=call), node)
        return node  # attribute targets: no script object takes attributes

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        values: list[ast.expr] = []
        for part in node.values:
            if isinstance(part, ast.FormattedValue):
                spec: ast.expr = ast.Constant("")
                if part.format_spec is not None:
                    assert isinstance(part.format_spec, ast.JoinedStr)  # the parser makes specs JoinedStr
                    spec = cast(ast.expr, self.visit_JoinedStr(part.format_spec))
                call = _call("__sb_format", self.visit(part.value), ast.Constant(part.conversion), spec)
                values.append(
                    ast.copy_location(ast.FormattedValue(value=call, conversion=-1, format_spec=None), part)
                )
            else:
                values.append(part)
        return ast.copy_location(ast.JoinedStr(values=values), node)

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.ctx, ast.Load) and node.attr in GUARDED_METHODS:
            return ast.copy_location(_call("__sb_attr", node.value, ast.Constant(node.attr)), node)
        return node


@functools.lru_cache(maxsize=4096)
def guarded_code(source: str, mode: str) -> Any:
    """Compile checked SOURCE with every allocating operation routed through the guards."""
    tree = ast.parse(source, filename=SANDBOX_FILENAME, mode=mode)
    tree = ast.fix_missing_locations(_Guard().visit(tree))
    return compile(tree, SANDBOX_FILENAME, mode, dont_inherit=True)


assert not set(GUARDED_BUILTINS) - set(dir(builtins))  # they shadow real builtins only
