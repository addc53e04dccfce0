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

4. **Memory bound** (engine.script_limits, engine.script_guards): operations that can build a big object in one C-level
   step (``"a" * n``, ``[0] * 10**9``, ``a ** b``, ``f"{x:>1000000000}"``, ``s.ljust(n)``,
   ``str()`` of aliased nested lists …) are rewritten into guards that refuse a result over
   ``Limits.max_items`` (or ``max_int_bits``) *before* allocating it; the tracer stops a script whose
   process memory has grown by more than ``Limits.memory_bytes`` (default 64 MB); the data a script
   leaves behind and a condition's result are size-checked too. Refusals are UnsafeScriptError.
   Constant sizes are refused earlier, at deploy, by the static check.

Limitations: the tracer runs between bytecode instructions, so a single slow C-level operation that
allocates little (sorting a million items, comparing deep structures) is bounded only by the
instruction that follows it. A memory refusal is measured on the whole process: another thread
allocating heavily during a script's run counts against it.
"""

from __future__ import annotations

import ast
import builtins
import copy
import datetime as _dt
import reprlib
import sys
import time
from collections.abc import Callable
from typing import Any

from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine import script_guards, script_limits
from engine.errors import EngineError, ScriptError, ScriptTimeoutError, UnsafeScriptError
from engine.script_check import (  # noqa: F401  (re-exported: the sandbox API)
    DENIED_ATTRIBUTES,
    DENIED_CALLS,
    MAX_CONST_EXPONENT,
    MAX_INT_BITS,
    MAX_ITEMS,
    SANDBOX_FILENAME,
    Mode,
    check_source,
    lint_source,
)
from engine.script_guards import GUARDS, guarded_code
from engine.script_limits import Limits, configure

DEFAULT_TIMEOUT = 0.5
MAX_RANGE = MAX_ITEMS  # range() is bounded like every other sequence

__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_RANGE",
    "Limits",
    "configure",
    "SAFE_BUILTINS",
    "SafeEnvironment",
    "SafeScriptEngine",
    "check_source",
    "lint_source",
]

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
        "abs",
        "all",
        "any",
        "bool",
        "dict",
        "divmod",
        "enumerate",
        "filter",
        "float",
        "int",
        "isinstance",
        "len",
        "list",
        "map",
        "max",
        "min",
        "reversed",
        "round",
        "set",
        "sorted",
        "str",
        "sum",
        "tuple",
        "zip",
        "frozenset",
        "ValueError",
        "TypeError",
        "KeyError",
        "IndexError",
        "ZeroDivisionError",
        "ArithmeticError",
        "LookupError",
    )
}
SAFE_BUILTINS.update(script_guards.GUARDED_BUILTINS)  # str, zip, map, sorted, sum, round: size-checked
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
    """A trace function that raises ScriptTimeoutError in sandbox frames after the deadline, and
    reads the memory meter every script_limits.METER_EVERY events."""

    __slots__ = ("deadline", "timeout", "fired", "meter", "events")

    def __init__(self, timeout: float, meter: script_limits.Meter) -> None:
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.fired = False
        self.meter = meter
        self.events = 0

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
        # inlined (one Python call per instruction is the sandbox's main cost)
        if time.monotonic() > self.deadline:
            raise self._timeout(frame)
        self.events += 1
        if not self.events % _METER_EVERY:
            self.meter.check()
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


_METER_EVERY = script_limits.METER_EVERY


def _memory_error(meter: script_limits.Meter) -> UnsafeScriptError:
    mb = (meter.limit or 0) // (1024 * 1024)
    return UnsafeScriptError(f"脚本占用内存超过 {mb} MB 的限制 (the script allocated more than {mb} MB)")


def _run(source: str, mode: Mode, glb: dict, timeout: float | None, limits: Limits) -> Any:
    code = guarded_code(source, mode)
    glb.update(GUARDS)  # after the task data: data can never shadow a guard
    with script_limits.active(limits) as meter:
        if timeout is None:
            return eval(code, glb)  # noqa: S307 - checked source, restricted builtins
        guard = _Deadline(timeout, meter)
        previous = sys.gettrace()
        sys.settrace(guard.global_trace)
        try:
            result = eval(code, glb)  # noqa: S307 - checked source, restricted builtins (exec code too)
        except ScriptTimeoutError:
            raise
        except BaseException as exc:
            if guard.fired:  # the timeout was turned into another error on its way out
                raise ScriptTimeoutError(
                    f"脚本执行超时 (script exceeded the time limit of {timeout:g} s)",
                    line=_sandbox_line(exc.__traceback__),
                ) from exc
            if meter.fired and not isinstance(exc, UnsafeScriptError):
                raise _memory_error(meter) from exc
            raise
        finally:
            sys.settrace(previous)
        if guard.fired:  # swallowed by the script somehow: still a timeout
            raise ScriptTimeoutError(f"脚本执行超时 (script exceeded the time limit of {timeout:g} s)")
        if meter.fired:
            raise _memory_error(meter)
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
                element=element,
                line=line,
                field=name,
            )
    if isinstance(exc, KeyError):
        return ScriptError(
            f"键不存在 (KeyError: key {_short(exc)} not found){ctx}", element=element, line=line
        )
    return ScriptError(f"脚本运行错误 ({type(exc).__name__}: {_short(exc)}){ctx}", element=element, line=line)


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 200
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 10
_REPR.maxlevel = 3


def _short(exc: BaseException) -> str:
    """An exception's message without printing whatever huge value a script put in it."""
    args = exc.args
    if isinstance(exc, KeyError) and len(args) == 1:
        return _REPR.repr(args[0])
    if len(args) == 1 and isinstance(args[0], str):
        text = args[0]
        return text if len(text) <= 300 else text[:300] + "…"
    return ", ".join(_REPR.repr(a) for a in args) if args else ""


class SafeEnvironment(BasePythonScriptEngineEnvironment):
    """Drop-in for SpiffWorkflow's ``TaskDataEnvironment`` with the sandbox applied.

    * context = task data; ``execute`` updates it in place; callables, the environment's
      globals and the external context are removed afterwards (as TaskDataEnvironment does);
    * every source goes through :func:`check_source` first;
    * globals are ``{"__builtins__": SAFE_BUILTINS}`` plus ``environment_globals``;
    * ``timeout`` seconds (default 0.5; ``None`` disables) bounds each evaluation.
    """

    def __init__(
        self,
        environment_globals: dict | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        limits: Limits | None = None,
    ):
        super().__init__(environment_globals)
        for name in self.globals:
            if name.startswith("_"):
                raise ValueError(f"environment global {name!r} must not start with '_'")
        self.timeout = timeout
        self._limits = limits

    @property
    def limits(self) -> Limits:
        """The limits given, else the process-wide ones (engine.script_limits.configure)."""
        return self._limits or script_limits.default_limits()

    def _globals(self, external_context: dict | None) -> dict:
        glb = copy.copy(self.globals)
        glb.update(external_context or {})
        return glb

    def evaluate(
        self, expression: str, context: dict, external_context: dict | None = None, element: str | None = None
    ) -> Any:
        check_source(expression, "eval", element)
        glb = self._globals(external_context)
        glb.update(context)
        glb["__builtins__"] = SAFE_BUILTINS  # set last: task data must not override it
        limits = self.limits
        try:
            result = _run(expression, "eval", glb, self.timeout, limits)
            script_limits.check_result(result, "the condition's result", limits)
            return result
        except EngineError as exc:
            raise _translate(exc, expression, element)  # noqa: B904 - re-raise ours unchanged
        except Exception as exc:
            raise _translate(exc, expression, element) from exc

    def execute(
        self, script: str, context: dict, external_context: dict | None = None, element: str | None = None
    ) -> bool:
        check_source(script, "exec", element)
        self.check_for_overwrite(context, external_context or {})
        context.update(self._globals(external_context))
        context["__builtins__"] = SAFE_BUILTINS
        limits = self.limits
        try:
            _run(script, "exec", context, self.timeout, limits)
            self._remove_globals_and_functions_from_context(context, external_context)
            script_limits.check_result(context, "the script's data", limits)
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
                or k in GUARDS
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

    def __init__(
        self,
        environment: SafeEnvironment | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        limits: Limits | None = None,
    ):
        if environment is not None and not isinstance(environment, SafeEnvironment):
            raise TypeError("SafeScriptEngine needs a SafeEnvironment")
        super().__init__(environment=environment or SafeEnvironment(timeout=timeout, limits=limits))

    def validate(self, expression: str) -> None:
        # SpiffWorkflow's DMN engine calls validate() to tell a complete expression ('"a"', "5") from
        # a test that needs the input on its left (">= 10"): it expects a plain SyntaxError for the latter.
        ast.parse(expression, mode="eval")
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
