"""Domain exceptions of the Tongban engine.

Every exception raised by ``engine/`` on purpose is an :class:`EngineError`. Each carries a
human ``message``, an optional BPMN ``element`` id, source ``line`` and form ``field``, and a
stable machine ``code`` (``bpmn_invalid``, ``script_forbidden`` ...) that the API layer can
map to an HTTP status and an i18n text.
"""

from __future__ import annotations


class EngineError(Exception):
    """Base class of all engine errors."""

    code: str = "engine_error"

    def __init__(
        self,
        message: str,
        *,
        element: str | None = None,
        line: int | None = None,
        field: str | None = None,
        code: str | None = None,
    ) -> None:
        # args[0] stays the plain message: SpiffWorkflow concatenates ``err.args[0]`` as a str.
        super().__init__(message)
        self.message = message
        self.element = element
        self.line = line
        self.field = field
        if code is not None:
            self.code = code

    def location(self) -> str:
        """``element 'x', line 3, field 'y'`` — whatever is known, or an empty string."""
        parts = []
        if self.element:
            parts.append(f"element '{self.element}'")
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        return f"{self.message} ({where})" if where else self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, element={self.element!r}, "
            f"line={self.line!r}, field={self.field!r}, code={self.code!r})"
        )

    def to_dict(self) -> dict:
        """Plain JSON-able form for API error bodies."""
        return {
            "code": self.code,
            "message": self.message,
            "element": self.element,
            "line": self.line,
            "field": self.field,
        }


class BpmnSyntaxError(EngineError):
    """The BPMN/DMN file is not well-formed XML."""

    code = "bpmn_syntax"


class UnsafeXmlError(EngineError):
    """The XML carries a DTD, entity declarations or an external DTD reference."""

    code = "bpmn_unsafe_xml"


class BpmnValidationError(EngineError):
    """The model is well-formed but violates the schema or the Tongban BPMN rules.

    ``problems`` lists every finding as ``(element, line, message)``.
    """

    code = "bpmn_invalid"

    def __init__(
        self,
        message: str,
        *,
        problems: list[tuple[str | None, int | None, str]] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(message, **kwargs)
        self.problems = list(problems or [])

    def __str__(self) -> str:
        head = super().__str__()
        if not self.problems:
            return head
        lines = [head]
        for element, line, msg in self.problems:
            where = ", ".join(
                p for p in (f"element '{element}'" if element else "", f"line {line}" if line else "") if p
            )
            lines.append(f"  - {msg}" + (f" ({where})" if where else ""))
        return "\n".join(lines)

    def to_dict(self) -> dict:
        d = super().to_dict()
        d["problems"] = [{"element": e, "line": ln, "message": m} for e, ln, m in self.problems]
        return d


class UnsafeScriptError(EngineError):
    """A script or condition uses a construct the sandbox forbids."""

    code = "script_forbidden"


class ScriptTimeoutError(EngineError):
    """A script or condition ran longer than the sandbox allows."""

    code = "script_timeout"


class ScriptError(EngineError):
    """A script or condition failed: syntax error, missing variable, runtime error."""

    code = "script_error"


class TaskNotReadyError(EngineError):
    """The task exists but is not READY (or not for this actor)."""

    code = "task_not_ready"


class UnknownTaskError(EngineError):
    """No task with this id / name in the workflow."""

    code = "task_unknown"


class MessageNotExpectedError(EngineError):
    """A message was sent but no catch event or receive task waits for it."""

    code = "message_unexpected"


class LoopLimitError(EngineError):
    """A rework loop exceeded its bound (protects against the task-tree depth stall)."""

    code = "loop_limit"


__all__ = [
    "EngineError",
    "BpmnSyntaxError",
    "UnsafeXmlError",
    "BpmnValidationError",
    "UnsafeScriptError",
    "ScriptTimeoutError",
    "ScriptError",
    "TaskNotReadyError",
    "UnknownTaskError",
    "MessageNotExpectedError",
    "LoopLimitError",
]
