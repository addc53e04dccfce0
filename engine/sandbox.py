"""Restricted evaluation of BPMN scripts and gateway conditions.

SpiffWorkflow's default script engine runs scripts with plain ``eval``/``exec`` and the full
builtins, so ``__import__('os').system(...)`` in a condition runs. This module replaces it:

1. **Static check** (:func:`check_source`): the source is parsed with :mod:`ast` and refused
   (:class:`~engine.errors.UnsafeScriptError`) if it uses imports, ``global``/``nonlocal``,
   any identifier or attribute starting with ``_`` (``__class__``, ``__subclasses__``,
   ``__globals__``, ``__builtins__`` ...), frame/generator introspection attributes, calls to
   dangerous builtins (``open``, ``eval``, ``getattr`` ...), ``str.format``, class definitions,
   generators/async, bare ``except:`` and ``finally:`` (which could run after a timeout), and
   constant exponent bombs. Results are cached per ``(source, mode)``.
2. **Restricted globals**: ``{"__builtins__": SAFE_BUILTINS}`` — a whitelist; ``range`` is
   bounded to 1,000,000 items.
3. **Time bound**: code runs under :func:`sys.settrace` with a deadline (default 0.5 s); past it
   the tracer raises :class:`~engine.errors.ScriptTimeoutError` inside the script's own frame.
   Works in any thread (unlike signals). A previous trace function (debugger, coverage) is
   restored afterwards.

What callers see
----------------
:class:`SafeScriptEngine` does **not** let SpiffWorkflow wrap sandbox failures into
``WorkflowTaskException``: ``workflow.do_engine_steps()`` / ``task.run()`` raise our own
exceptions directly, with ``element`` set to the BPMN id of the task/gateway:

* :class:`UnsafeScriptError` (``code == "script_forbidden"``) — forbidden construct, or a
  runtime resource limit (``range`` too large);
* :class:`ScriptTimeoutError` (``code == "script_timeout"``);
* :class:`ScriptError` (``code == "script_error"``) — syntax error, missing variable (``field``
  is the variable name), any other runtime error; the original exception is ``__cause__``.

All three subclass :class:`~engine.errors.EngineError`, so ``except EngineError`` catches them.
The failing task is left in SpiffWorkflow's ERROR state, as with the default engine.

Limitations: the tracer only runs between Python bytecode lines, so a single long C-level
operation (``10**10 * "a"``, ``[0] * 10**9``, a huge ``f"{x:>1000000000}"``, a big-integer
power computed from variables) cannot be interrupted; the AST guard only catches constant
exponent/shift bombs. Memory is not bounded. Run workers under an OS memory limit.
"""

from __future__ import annotations

import ast
import builtins
import copy
import datetime as _dt
import functools
import sys
import time
from collections.abc import Callable
from typing import Any, Literal

from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.errors import EngineError, ScriptError, ScriptTimeoutError, UnsafeScriptError

__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_RANGE",
    "SAFE_BUILTINS",
    "SafeEnvironment",
    "SafeScriptEngine",
    "check_source",
    "lint_source",
]

Mode = Literal["eval", "exec"]

DEFAULT_TIMEOUT = 0.5
MAX_RANGE = 1_000_000
MAX_CONST_EXPONENT = 10_000
SANDBOX_FILENAME = "<sandbox>"

#: Builtins that may never be called from a script (most are also absent from SAFE_BUILTINS).
DENIED_CALLS = frozenset(
    {
        "open", "eval", "exec", "compile", "globals", "locals", "vars", "dir", "getattr",
        "setattr", "delattr", "hasattr", "input", "breakpoint", "help", "exit", "quit",
        "memoryview", "type", "object", "super", "classmethod", "staticmethod", "property",
        "__import__", "iter", "id", "print",
    }
)

#: Attribute names that reach frames, code objects, globals or the class hierarchy without a
#: leading underscore, plus ``str.format``/``format_map`` (whose format strings can walk
#: attributes, e.g. ``"{0.__class__}".format(x)``, invisibly to the AST check).
DENIED_ATTRIBUTES = frozenset(
    {
        "gi_frame", "gi_code", "gi_yieldfrom", "gi_running", "gi_suspended",
        "cr_frame", "cr_code", "cr_await", "cr_origin", "cr_running",
        "ag_frame", "ag_code", "ag_await", "ag_running",
        "f_globals", "f_locals", "f_builtins", "f_back", "f_code", "f_trace", "f_lasti",
        "tb_frame", "tb_next", "tb_lasti",
        "co_code", "co_consts", "co_names",
        "func_globals", "func_code", "im_func", "im_self",
        "mro", "format", "format_map", "with_traceback",
    }
)


# ---------------------------------------------------------------------------------------------
# Static check


def _forbid(problems: list, node: ast.AST, reason: str) -> None:
    problems.append(("forbidden", getattr(node, "lineno", None), getattr(node, "end_col_offset", 0) or 0, reason))


_KINDS = {"名称": "name", "属性": "attribute", "参数名": "parameter name", "函数名": "function name"}


def _check_identifier(problems: list, node: ast.AST, name: str | None, what: str) -> None:
    if name and name.startswith("_"):
        _forbid(problems, node, f"不允许以下划线开头的{what} '{name}' ({_KINDS[what]} '{name}' starting with '_' is not allowed)")


def _is_big_const(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(
        node.value, bool
    ) and abs(node.value) > MAX_CONST_EXPONENT


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
            self.bad(node, "不允许使用 finally (finally blocks are not allowed: they could run after a timeout)")
        for handler in node.handlers:
            if handler.type is None:
                self.bad(handler, "不允许使用不带异常类型的 except (a bare 'except:' is not allowed; name the exception)")
            else:
                for sub in ast.walk(handler.type):
                    if isinstance(sub, ast.Name) and sub.id in ("BaseException", "Exception"):
                        self.bad(handler, f"不允许捕获 {sub.id} (catching {sub.id} is not allowed; name the exception)")
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
            _is_big_const(node.right) or (isinstance(node.op, ast.Pow) and isinstance(node.right, ast.BinOp)
                                          and isinstance(node.right.op, ast.Pow))
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
        raise ScriptError(f"脚本必须是字符串 (script must be a string, got {type(source).__name__})", element=element)
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


# ---------------------------------------------------------------------------------------------
# Restricted builtins


def _bounded_range(*args: int) -> range:
    r = range(*args)
    try:
        n = len(r)
    except OverflowError:
        n = MAX_RANGE + 1
    if n > MAX_RANGE:
        raise UnsafeScriptError(
            f"range() 元素过多 (range() of {n if n <= sys.maxsize else 'more than sys.maxsize'} items "
            f"exceeds the sandbox limit of {MAX_RANGE:,})"
        )
    return r


SAFE_BUILTINS: dict[str, Any] = {
    name: getattr(builtins, name)
    for name in (
        "abs", "all", "any", "bool", "dict", "divmod", "enumerate", "filter", "float", "int",
        "isinstance", "len", "list", "map", "max", "min", "reversed", "round", "set", "sorted",
        "str", "sum", "tuple", "zip", "frozenset",
        "ValueError", "TypeError", "KeyError", "IndexError", "ZeroDivisionError",
        "ArithmeticError", "LookupError",
    )
}
SAFE_BUILTINS.update(
    {
        "range": _bounded_range,
        "True": True,
        "False": False,
        "None": None,
        "date": _dt.date,
        "datetime": _dt.datetime,
        "timedelta": _dt.timedelta,
    }
)


# ---------------------------------------------------------------------------------------------
# Time-bounded execution


class _Deadline:
    """A trace function that raises ScriptTimeoutError in sandbox frames after the deadline."""

    __slots__ = ("deadline", "timeout", "fired")

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.fired = False

    def _timeout(self, frame) -> ScriptTimeoutError:
        self.fired = True
        return ScriptTimeoutError(
            f"脚本执行超时 (script exceeded the time limit of {self.timeout:g} s)", line=frame.f_lineno
        )

    def global_trace(self, frame, event, arg):
        if frame.f_code.co_filename != SANDBOX_FILENAME:
            return None  # library frames (datetime, our helpers) are not traced line by line
        if time.monotonic() > self.deadline:
            raise self._timeout(frame)
        # Line events alone miss one-line loops ("while True: pass" jumps back mid-line in 3.11),
        # so ask for an event per bytecode instruction in sandbox frames.
        frame.f_trace_opcodes = True
        return self.local_trace

    def local_trace(self, frame, event, arg):
        if time.monotonic() > self.deadline:
            raise self._timeout(frame)
        return self.local_trace


def _sandbox_line(tb) -> int | None:
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == SANDBOX_FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _source_line(source: str, line: int | None) -> str:
    if not line:
        return ""
    lines = source.splitlines()
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def _run(source: str, mode: Mode, glb: dict, timeout: float | None) -> Any:
    code = _compile(source, mode)
    if timeout is None:
        return eval(code, glb)  # noqa: S307 - checked source, restricted builtins
    guard = _Deadline(timeout)
    previous = sys.gettrace()
    sys.settrace(guard.global_trace)
    try:
        result = eval(code, glb)  # noqa: S307 - checked source, restricted builtins (exec code too)
    except ScriptTimeoutError:
        raise
    except BaseException as exc:
        if guard.fired:  # the timeout was turned into another error on its way out
            raise ScriptTimeoutError(
                f"脚本执行超时 (script exceeded the time limit of {timeout:g} s)", line=_sandbox_line(exc.__traceback__)
            ) from exc
        raise
    finally:
        sys.settrace(previous)
    if guard.fired:  # swallowed by the script somehow: still a timeout
        raise ScriptTimeoutError(f"脚本执行超时 (script exceeded the time limit of {timeout:g} s)")
    return result


def _translate(exc: BaseException, source: str, element: str | None) -> EngineError:
    """Turn an exception raised by user code into a ScriptError with line and variable."""
    line = _sandbox_line(exc.__traceback__)
    if isinstance(exc, EngineError):
        if exc.element is None:
            exc.element = element
        if exc.line is None:
            exc.line = line
        return exc
    code_line = _source_line(source, line)
    ctx = f" — {code_line}" if code_line else ""
    if isinstance(exc, NameError):
        name = getattr(exc, "name", None)
        if name:
            return ScriptError(
                f"变量 '{name}' 未定义 (variable '{name}' is not defined){ctx}",
                element=element, line=line, field=name,
            )
    if isinstance(exc, KeyError):
        return ScriptError(f"键不存在 (KeyError: key {exc} not found){ctx}", element=element, line=line)
    return ScriptError(f"脚本运行错误 ({type(exc).__name__}: {exc}){ctx}", element=element, line=line)


class SafeEnvironment(BasePythonScriptEngineEnvironment):
    """Drop-in for SpiffWorkflow's ``TaskDataEnvironment`` with the sandbox applied.

    * context = task data; ``execute`` updates it in place; callables, the environment's
      globals and the external context are removed afterwards (as TaskDataEnvironment does);
    * every source goes through :func:`check_source` first;
    * globals are ``{"__builtins__": SAFE_BUILTINS}`` plus ``environment_globals``;
    * ``timeout`` seconds (default 0.5; ``None`` disables) bounds each evaluation.
    """

    def __init__(self, environment_globals: dict | None = None, timeout: float | None = DEFAULT_TIMEOUT):
        super().__init__(environment_globals)
        for name in self.globals:
            if name.startswith("_"):
                raise ValueError(f"environment global {name!r} must not start with '_'")
        self.timeout = timeout

    def _globals(self, external_context: dict | None) -> dict:
        glb = copy.copy(self.globals)
        glb.update(external_context or {})
        return glb

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None,
                 element: str | None = None) -> Any:
        check_source(expression, "eval", element)
        glb = self._globals(external_context)
        glb.update(context)
        glb["__builtins__"] = SAFE_BUILTINS  # set last: task data must not override it
        try:
            return _run(expression, "eval", glb, self.timeout)
        except EngineError as exc:
            raise _translate(exc, expression, element)  # noqa: B904 - re-raise ours unchanged
        except Exception as exc:
            raise _translate(exc, expression, element) from exc

    def execute(self, script: str, context: dict, external_context: dict | None = None,
                element: str | None = None) -> bool:
        check_source(script, "exec", element)
        self.check_for_overwrite(context, external_context or {})
        context.update(self._globals(external_context))
        context["__builtins__"] = SAFE_BUILTINS
        try:
            _run(script, "exec", context, self.timeout)
        except EngineError as exc:
            raise _translate(exc, script, element)  # noqa: B904 - re-raise ours unchanged
        except Exception as exc:
            raise _translate(exc, script, element) from exc
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        return True

    def _remove_globals_and_functions_from_context(self, context: dict, external_context: dict | None = None):
        for k in list(context):
            if (
                k == "__builtins__"
                or callable(context[k])
                or k in self.globals
                or (external_context and k in external_context)
            ):
                context.pop(k)

    def check_for_overwrite(self, context: dict, external_context: dict) -> None:
        clashes = set(self.globals).intersection(context) | set(external_context).intersection(context)
        if clashes:
            raise ScriptError(
                f"任务数据覆盖了预定义函数 (task data overwrites predefined function(s)): {sorted(clashes)}"
            )


def _element_of(task) -> str | None:
    spec = getattr(task, "task_spec", None)
    return getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)


class SafeScriptEngine(PythonScriptEngine):
    """SpiffWorkflow script engine that runs every script/condition in the sandbox.

    Raises :class:`UnsafeScriptError`, :class:`ScriptTimeoutError` or :class:`ScriptError`
    unwrapped (never ``WorkflowTaskException``), with ``element`` = the task's BPMN id.
    """

    def __init__(self, environment: SafeEnvironment | None = None, timeout: float | None = DEFAULT_TIMEOUT):
        if environment is not None and not isinstance(environment, SafeEnvironment):
            raise TypeError("SafeScriptEngine needs a SafeEnvironment")
        super().__init__(environment=environment or SafeEnvironment(timeout=timeout))

    def validate(self, expression: str) -> None:
        check_source(expression, "eval")

    @staticmethod
    def _call(fn: Callable, task, source: str, external_context: dict | None, element: str | None):
        try:
            return fn(source, task.data, external_context, element=element)
        except EngineError as exc:
            if exc.element is None:
                exc.element = element
            raise

    def evaluate(self, task, expression: str, external_context: dict | None = None) -> Any:
        return self._call(self.environment.evaluate, task, expression, external_context, _element_of(task))

    def execute(self, task, script: str, external_context: dict | None = None) -> bool:
        return self._call(self.environment.execute, task, script, external_context or {}, _element_of(task))
