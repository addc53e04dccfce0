"""Static check of BPMN scripts and conditions, before they ever run (see engine.sandbox).

The source is parsed with :mod:`ast` and refused (:class:`~engine.errors.UnsafeScriptError`) if it
uses imports, ``global``/``nonlocal``, any identifier or attribute starting with ``_``,
frame/generator introspection attributes, calls to dangerous builtins, ``str.format``, class
definitions, generators/async, bare ``except:``/``finally:``, or constant exponent bombs. Results are
cached per ``(source, mode)``; :func:`lint_source` lists every finding for deploy-time lint.
"""

from __future__ import annotations

import ast
import functools
from typing import Literal

from engine.errors import ScriptError, UnsafeScriptError

Mode = Literal["eval", "exec"]

MAX_CONST_EXPONENT = 10_000
SANDBOX_FILENAME = "<sandbox>"

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
