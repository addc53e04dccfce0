"""Memory bounds of sandboxed scripts at run time (see engine.sandbox; the deploy-time side is in
engine.script_check).

A script may not allocate gigabytes in one step, nor little by little:

1. **One step** (the guards and the AST rewrite are in :mod:`engine.script_guards`). Every operation
   that can make a big object out of small ones is rewritten (AST transform,
   :func:`~engine.script_guards.guarded_code`) into a call of a guard that computes the size of the result
   *before* allocating it and refuses it over :attr:`Limits.max_items` (sequence repetition and
   concatenation, ``**`` and ``<<`` on integers (:attr:`Limits.max_int_bits`), ``%`` and f-string
   formatting widths and precisions, ``str.ljust``/``center``/``zfill``/``expandtabs``/``replace``/
   ``join``/``translate``, ``int.to_bytes``, ``list.extend``). ``str()`` and formatting of a value
   refuse one whose printed form would be too large (``[[[0]*1000]*1000]*1000`` is 8 KB of lists
   and a 3 GB string); ``zip`` and ``map`` (which make new objects per item inside one C call) are
   generators that are metered per item; ``sum`` adds numbers only; ``round`` digits are bounded.
2. **Little by little.** The sandbox's tracer reads the process's resident memory every
   :data:`METER_EVERY` instructions and stops the script once it has grown by more than
   :attr:`Limits.memory_bytes` since the script started (Linux ``/proc/self/statm``; elsewhere the
   peak from ``getrusage``).
3. **What it leaves behind.** The task data a script writes, and a condition's result, are measured
   the same way (expanded size) so that nothing too big reaches the serializer.

Refusals are :class:`~engine.errors.UnsafeScriptError` (``script_forbidden``) with a clear message.
The guards' names start with ``__sb_``: scripts can never name them (no identifier may start with
``_``), and they are bound after the task data so data cannot shadow them.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from typing import Any

from engine.errors import UnsafeScriptError
from engine.script_check import MAX_INT_BITS, MAX_ITEMS

METER_EVERY = 64  # tracer events between two readings of the resident memory
DEFAULT_MEMORY_BYTES = 64 * 1024 * 1024
MAX_ZIP_ARITY = 100
MAX_ROUND_DIGITS = 1000


@dataclass(frozen=True, slots=True)
class Limits:
    max_items: int = MAX_ITEMS  # items of a sequence, characters of a string, a formatted width
    max_int_bits: int = MAX_INT_BITS
    memory_bytes: int | None = DEFAULT_MEMORY_BYTES  # growth of the process while one script runs


_DEFAULT = [Limits()]
_local = threading.local()


def configure(limits: Limits) -> None:
    """Set the limits every sandbox uses unless it was given its own (the app calls this once)."""
    _DEFAULT[0] = limits


def default_limits() -> Limits:
    return _DEFAULT[0]


def current() -> Limits:
    return getattr(_local, "limits", None) or _DEFAULT[0]


class active:
    """Context manager: LIMITS (and a fresh meter baseline) for the evaluation on this thread."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits

    def __enter__(self) -> Meter:
        self.saved = (getattr(_local, "limits", None), getattr(_local, "meter", None))
        _local.limits = self.limits
        _local.meter = Meter(self.limits.memory_bytes)
        return _local.meter

    def __exit__(self, *exc: object) -> None:
        _local.limits, _local.meter = self.saved


def refuse(what: str, zh: str) -> UnsafeScriptError:
    return UnsafeScriptError(f"{zh} ({what})")


# -- memory meter --------------------------------------------------------------------------------

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_STATM: list[int | None] = []


def resident_bytes() -> int:
    """The process's resident memory now (Linux), or its peak (other Unixes)."""
    if not _STATM:
        try:
            _STATM.append(os.open("/proc/self/statm", os.O_RDONLY))
        except OSError:
            _STATM.append(None)
    fd = _STATM[0]
    if fd is not None:
        return int(os.pread(fd, 128, 0).split()[1]) * _PAGE
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


class Meter:
    """Growth of resident memory while one script runs. The baseline is read at the first check
    (METER_EVERY events in), so that the many tiny conditions never pay for a reading."""

    __slots__ = ("limit", "baseline", "fired")

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.baseline: int | None = None
        self.fired = False

    def check(self) -> None:
        if not self.limit:
            return
        now = resident_bytes()
        if self.baseline is None:
            self.baseline = now
        elif now - self.baseline > self.limit:
            self.fired = True
            raise refuse(
                f"the script allocated more than {self.limit // (1024 * 1024)} MB",
                f"脚本占用内存超过 {self.limit // (1024 * 1024)} MB 的限制",
            )


def meter_check() -> None:
    meter = getattr(_local, "meter", None)
    if meter is not None:
        meter.check()


# -- sizes -----------------------------------------------------------------------------------------

SEQUENCES = (str, bytes, list, tuple)


def expanded_size(value: Any, limit: int) -> int:
    """How big VALUE is once printed or serialized (shared sub-lists counted every time they
    appear); stops counting past LIMIT and returns limit + 1."""
    total, stack = 0, [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str | bytes):
            total += len(item) + 2
        elif isinstance(item, bool) or item is None:
            total += 5
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 2
        elif isinstance(item, dict):
            total += 2 + len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += 2 + len(item)
            stack.extend(item)
        else:
            total += 32
        if total > limit:
            return limit + 1
    return total


def check_result(value: Any, what: str, limits: Limits | None = None) -> None:
    limits = limits or current()
    if expanded_size(value, limits.max_items) > limits.max_items:
        raise refuse(
            f"{what} would be larger than {limits.max_items:,} items/characters",
            f"{_ZH.get(what, what)}超过 {limits.max_items:,} 个元素或字符的限制",
        )


_ZH = {
    "the script's data": "脚本写入的数据",
    "the condition's result": "条件的结果",
    "the printed value": "输出的值",
}
