"""Static check of BPMN scripts and conditions, before they ever run (see engine.sandbox).

The source is parsed with :mod:`ast` and refused (:class:`~engine.errors.UnsafeScriptError`) if it
uses imports, ``global``/``nonlocal``, any identifier or attribute starting with ``_``,
frame/generator introspection attributes, calls to dangerous builtins, ``str.format``, class
definitions, generators/async, bare ``except:``/``finally:``, or constant exponent bombs. Results are
cached per ``(source, mode)``; :func:`lint_source` lists every finding for deploy-time lint.

Sizes that can be known before running are bounded here too, so that deploy refuses them: sequence
repetition and concatenation (``[1]*10**9``, ``'a'*10**9``), integer powers and shifts
(``10**10**10``), ``%`` and f-string widths and precisions (``f"{x:>999999999}"``), padding widths
(``s.ljust(10**9)``), ``range`` lengths and list/set/dict comprehension sizes (the product of the
loops' lengths). What depends on data (``'a'*(5*a**b)``) is bounded at run time by
engine.script_limits.
"""

from __future__ import annotations

import ast
import functools
import math
import re
from typing import Literal

from engine.errors import ScriptError, UnsafeScriptError

Mode = Literal["eval", "exec"]

MAX_CONST_EXPONENT = 10_000
SANDBOX_FILENAME = "<sandbox>"
#: Largest sequence, string, formatted width, range or comprehension a script may make.
MAX_ITEMS = 1_000_000
#: Largest integer a script may compute, in bits (30,000 decimal digits).
MAX_INT_BITS = 100_000
PADDING_METHODS = frozenset({"ljust", "rjust", "center", "zfill"})

#: Builtins that may never be called from a script (most are also absent from SAFE_BUILTINS).
DENIED_CALLS = frozenset(
    {
        "open",
        "eval",
        "exec",
        "compile",
        "globals",
        "locals",
        "vars",
        "dir",
        "getattr",
        "setattr",
        "delattr",
        "hasattr",
        "input",
        "breakpoint",
        "help",
        "exit",
        "quit",
        "memoryview",
        "type",
        "object",
        "super",
        "classmethod",
        "staticmethod",
        "property",
        "__import__",
        "iter",
        "id",
        "print",
    }
)

#: Attribute names that reach frames, code objects, globals or the class hierarchy without a
#: leading underscore, plus ``str.format``/``format_map`` (whose format strings can walk
#: attributes, e.g. ``"{0.__class__}".format(x)``, invisibly to the AST check).
DENIED_ATTRIBUTES = frozenset(
    {
        "gi_frame",
        "gi_code",
        "gi_yieldfrom",
        "gi_running",
        "gi_suspended",
        "cr_frame",
        "cr_code",
        "cr_await",
        "cr_origin",
        "cr_running",
        "ag_frame",
        "ag_code",
        "ag_await",
        "ag_running",
        "f_globals",
        "f_locals",
        "f_builtins",
        "f_back",
        "f_code",
        "f_trace",
        "f_lasti",
        "tb_frame",
        "tb_next",
        "tb_lasti",
        "co_code",
        "co_consts",
        "co_names",
        "func_globals",
        "func_code",
        "im_func",
        "im_self",
        "mro",
        "format",
        "format_map",
        "with_traceback",
    }
)


# ---------------------------------------------------------------------------------------------
# Static check


def _forbid(problems: list, node: ast.AST, reason: str) -> None:
    problems.append(
        ("forbidden", getattr(node, "lineno", None), getattr(node, "end_col_offset", 0) or 0, reason)
    )


_KINDS = {"名称": "name", "属性": "attribute", "参数名": "parameter name", "函数名": "function name"}


def _check_identifier(problems: list, node: ast.AST, name: str | None, what: str) -> None:
    if name and name.startswith("_"):
        _forbid(
            problems,
            node,
            f"不允许以下划线开头的{what} '{name}' ({_KINDS[what]} '{name}' starting with '_' is not allowed)",
        )


def _is_big_const(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int)
        and not isinstance(node.value, bool)
        and abs(node.value) > MAX_CONST_EXPONENT
    )


def _const_int(node: ast.AST) -> int | None:
    """The value of a constant integer expression, if it is one and small enough to compute."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, int) and not isinstance(node.value, bool) else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _const_int(node.operand)
        return None if value is None else (-value if isinstance(node.op, ast.USub) else value)
    if not isinstance(node, ast.BinOp):
        return None
    a, b = _const_int(node.left), _const_int(node.right)
    if a is None or b is None:
        return None
    op = node.op
    if isinstance(op, ast.Add):
        return a + b
    if isinstance(op, ast.Sub):
        return a - b
    if isinstance(op, ast.Mult):
        return a * b if a.bit_length() + b.bit_length() <= MAX_INT_BITS else None
    if isinstance(op, ast.Pow):
        if b < 0:
            return None
        return a**b if abs(a) <= 1 or b * math.log2(abs(a)) <= MAX_INT_BITS else None
    if isinstance(op, ast.LShift):
        return a << b if 0 <= b and a.bit_length() + b <= MAX_INT_BITS else None
    if isinstance(op, ast.FloorDiv | ast.Mod) and b != 0:
        return a // b if isinstance(op, ast.FloorDiv) else a % b
    return None


def _seq_len(node: ast.AST) -> int | None:
    """Items of a literal sequence expression once built (nested literals counted in full)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes):
        return len(node.value)
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        if any(isinstance(e, ast.Starred) for e in node.elts):
            return None
        return sum(max(1, _seq_len(e) or 1) for e in node.elts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        for seq, count in ((node.left, node.right), (node.right, node.left)):
            n, k = _seq_len(seq), _const_int(count)
            if n is not None and k is not None:
                return n * max(k, 0)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        a, b = _seq_len(node.left), _seq_len(node.right)
        return None if a is None or b is None else a + b
    return None


def _range_len(node: ast.AST) -> int | None:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range"):
        return None
    args = [_const_int(a) for a in node.args]
    if not args or len(args) > 3 or any(a is None for a in args) or node.keywords:
        return None
    try:
        return len(range(*args))  # type: ignore[arg-type]
    except (OverflowError, ValueError):
        return MAX_ITEMS + 1


def _iter_len(node: ast.AST) -> int | None:
    return _range_len(node) if _range_len(node) is not None else _seq_len(node)


_PERCENT_WIDTH = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\d+)?(?:\.(\d+))?[hlL]?[a-zA-Z%]")


def _too_big(n: int) -> str:
    return f"{n:,}" if n < 10**30 else "more than 10^30"


class _Checker(ast.NodeVisitor):
    def __init__(self) -> None:
        self.problems: list[tuple[str, int | None, int, str]] = []

    def bad(self, node: ast.AST, reason: str) -> None:
        _forbid(self.problems, node, reason)

    # statements -------------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        names = ", ".join(a.name for a in node.names)
        self.bad(node, f"不允许导入模块 (import is not allowed): import {names}")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.bad(node, f"不允许导入模块 (import is not allowed): from {node.module or '.'} import ...")

    def visit_Global(self, node: ast.Global) -> None:
        self.bad(node, "不允许使用 global 语句 (the global statement is not allowed)")

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.bad(node, "不允许使用 nonlocal 语句 (the nonlocal statement is not allowed)")

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.bad(node, f"不允许定义类 (class definitions are not allowed): class {node.name}")
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        _check_identifier(self.problems, node, node.name, "函数名")
        if node.decorator_list:
            self.bad(node, "不允许使用装饰器 (decorators are not allowed)")
        self.generic_visit(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self.bad(node, "不允许使用 async (async code is not allowed)")
        self.generic_visit(node)

    def visit_AsyncFor(self, node: ast.AsyncFor) -> None:
        self.bad(node, "不允许使用 async (async code is not allowed)")
        self.generic_visit(node)

    def visit_AsyncWith(self, node: ast.AsyncWith) -> None:
        self.bad(node, "不允许使用 async (async code is not allowed)")
        self.generic_visit(node)

    def visit_Await(self, node: ast.Await) -> None:
        self.bad(node, "不允许使用 await (await is not allowed)")
        self.generic_visit(node)

    def visit_Yield(self, node: ast.Yield) -> None:
        self.bad(node, "不允许使用 yield / 生成器函数 (yield / generator functions are not allowed)")
        self.generic_visit(node)

    def visit_YieldFrom(self, node: ast.YieldFrom) -> None:
        self.bad(node, "不允许使用 yield / 生成器函数 (yield / generator functions are not allowed)")
        self.generic_visit(node)

    def _visit_try(self, node: ast.Try | ast.TryStar) -> None:
        if node.finalbody:
            self.bad(
                node, "不允许使用 finally (finally blocks are not allowed: they could run after a timeout)"
            )
        for handler in node.handlers:
            if handler.type is None:
                self.bad(
                    handler,
                    "不允许使用不带异常类型的 except (a bare 'except:' is not allowed; name the exception)",
                )
            else:
                for sub in ast.walk(handler.type):
                    if isinstance(sub, ast.Name) and sub.id in ("BaseException", "Exception"):
                        self.bad(
                            handler,
                            f"不允许捕获 {sub.id} (catching {sub.id} is not allowed; name the exception)",
                        )
            _check_identifier(self.problems, handler, handler.name, "名称")
        self.generic_visit(node)

    visit_Try = _visit_try
    visit_TryStar = _visit_try

    # names and attributes -----------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        _check_identifier(self.problems, node, node.id, "名称")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        _check_identifier(self.problems, node, node.attr, "属性")
        if node.attr in DENIED_ATTRIBUTES:
            self.bad(node, f"不允许访问属性 '{node.attr}' (attribute '{node.attr}' is not allowed)")
        self.generic_visit(node)

    def visit_keyword(self, node: ast.keyword) -> None:
        _check_identifier(self.problems, node, node.arg, "参数名")
        self.generic_visit(node)

    def visit_arg(self, node: ast.arg) -> None:
        _check_identifier(self.problems, node, node.arg, "参数名")
        self.generic_visit(node)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        _check_identifier(self.problems, node, node.name, "名称")
        self.generic_visit(node)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        _check_identifier(self.problems, node, node.name, "名称")
        self.generic_visit(node)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        _check_identifier(self.problems, node, node.rest, "名称")
        self.generic_visit(node)

    # calls and operators ------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id in DENIED_CALLS:
            self.bad(node, f"不允许调用 {node.func.id}() (calling {node.func.id}() is not allowed)")
        n = _range_len(node)
        if n is not None and n > MAX_ITEMS:
            self.bad(
                node,
                f"range() 元素过多：{_too_big(n)} 项 (range() of {_too_big(n)} items exceeds {MAX_ITEMS:,})",
            )
        if isinstance(node.func, ast.Attribute) and node.func.attr in PADDING_METHODS and node.args:
            width = _const_int(node.args[0])
            if width is not None and width > MAX_ITEMS:
                self.bad(node, f"填充宽度过大：{_too_big(width)} (a padding width exceeds {MAX_ITEMS:,})")
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if isinstance(node.op, ast.Pow | ast.LShift) and (
            _is_big_const(node.right)
            or (
                isinstance(node.op, ast.Pow)
                and isinstance(node.right, ast.BinOp)
                and isinstance(node.right.op, ast.Pow)
            )
        ):
            self.bad(node, "指数或移位过大 (exponent or shift too large)")
        elif isinstance(node.op, ast.Pow | ast.LShift | ast.Mult):
            self._int_size(node)
        if isinstance(node.op, ast.Mult | ast.Add):
            n = _seq_len(node)
            if n is not None and n > MAX_ITEMS:
                self.bad(
                    node,
                    f"序列过大：{_too_big(n)} 项 (a sequence of {_too_big(n)} items exceeds the limit of {MAX_ITEMS:,})",
                )
        if (
            isinstance(node.op, ast.Mod)
            and isinstance(node.left, ast.Constant)
            and isinstance(node.left.value, str)
        ):
            for width, precision in _PERCENT_WIDTH.findall(node.left.value):
                for digits in (width, precision):
                    if digits and (len(digits) > 12 or int(digits) > MAX_ITEMS):
                        self.bad(
                            node, f"格式宽度过大：{digits[:20]} (a %-format width exceeds {MAX_ITEMS:,})"
                        )
        self.generic_visit(node)

    def _int_size(self, node: ast.BinOp) -> None:
        a, b = _const_int(node.left), _const_int(node.right)
        if a is None or b is None:
            return
        bits = 0.0
        if isinstance(node.op, ast.Pow) and b > 0 and abs(a) > 1:
            bits = b * math.log2(abs(a))
        elif isinstance(node.op, ast.LShift) and a and b > 0:
            bits = a.bit_length() + b
        elif isinstance(node.op, ast.Mult):
            bits = a.bit_length() + b.bit_length()
        if bits > MAX_INT_BITS:
            self.bad(
                node,
                f"整数结果过大：约 {bits:,.0f} 位 (the integer would have about {bits:,.0f} bits; limit {MAX_INT_BITS:,})",
            )

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        for part in node.values:
            spec = part.format_spec if isinstance(part, ast.FormattedValue) else None
            if isinstance(spec, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in spec.values):
                text = "".join(str(v.value) for v in spec.values)  # type: ignore[attr-defined]
                for digits in re.findall(r"\d+", text):
                    if len(digits) > 12 or int(digits) > MAX_ITEMS:
                        self.bad(
                            part,
                            f"格式宽度或精度过大：{digits[:20]} (a format width or precision exceeds {MAX_ITEMS:,})",
                        )
        self.generic_visit(node)

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.DictComp) -> None:
        total = 1
        for gen in node.generators:
            n = _iter_len(gen.iter)
            if n is None:
                return
            total *= n
        if total > MAX_ITEMS:
            self.bad(
                node,
                f"推导式元素过多：{_too_big(total)} 项 (a comprehension of {_too_big(total)} items exceeds {MAX_ITEMS:,})",
            )

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self._comprehension(node)
        self.generic_visit(node)

    def visit_SetComp(self, node: ast.SetComp) -> None:
        self._comprehension(node)
        self.generic_visit(node)

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node)
        self.generic_visit(node)


@functools.lru_cache(maxsize=4096)
def _analyse(source: str, mode: Mode) -> tuple[tuple[str, int | None, str], ...]:
    if mode not in ("eval", "exec"):
        raise ValueError(f"mode must be 'eval' or 'exec', not {mode!r}")
    try:
        tree = ast.parse(source, filename=SANDBOX_FILENAME, mode=mode)
    except SyntaxError as exc:
        text = (exc.text or "").strip()
        detail = f"{exc.msg}" + (f": {text}" if text else "")
        return (("syntax", exc.lineno, f"语法错误 (syntax error): {detail}"),)
    except ValueError as exc:  # e.g. null bytes
        return (("syntax", None, f"语法错误 (syntax error): {exc}"),)
    checker = _Checker()
    checker.visit(tree)
    ordered = sorted(checker.problems, key=lambda p: (p[1] or 0, p[2]))  # source order
    return tuple((kind, line, msg) for kind, line, _col, msg in ordered)


@functools.lru_cache(maxsize=4096)
def _compile(source: str, mode: Mode):
    return compile(source, SANDBOX_FILENAME, mode, dont_inherit=True)


def check_source(source: str, mode: Mode, element: str | None = None) -> None:
    """Refuse ``source`` unless it is syntactically valid and uses no forbidden construct.

    Raises :class:`ScriptError` (syntax error) or :class:`UnsafeScriptError` (first forbidden
    construct, in source order), both with ``line`` and ``element``.
    """
    if not isinstance(source, str):
        raise ScriptError(
            f"脚本必须是字符串 (script must be a string, got {type(source).__name__})", element=element
        )
    problems = _analyse(source, mode)
    if not problems:
        return
    kind, line, message = problems[0]
    if kind == "syntax":
        raise ScriptError(message, element=element, line=line)
    extra = f"; 另有 {len(problems) - 1} 处问题 ({len(problems) - 1} more)" if len(problems) > 1 else ""
    raise UnsafeScriptError(message + extra, element=element, line=line)


def lint_source(source: str, mode: Mode, element: str | None = None) -> list[str]:
    """All syntax/forbidden-construct findings as messages (for deploy-time lint). Empty = OK."""
    prefix = f"{element}: " if element else ""
    out = []
    for _kind, line, message in _analyse(source, mode):
        where = f"第 {line} 行 (line {line}): " if line else ""
        out.append(f"{prefix}{where}{message}")
    return out
