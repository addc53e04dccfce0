"""Process-wide service context: settings and caches, configured once by the app factory or CLI."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.config import Settings
from engine import script_limits
from engine.definitions import ProcessCache


@dataclass
class ServiceContext:
    settings: Settings
    processes: ProcessCache = field(default_factory=ProcessCache)


_CONTEXT: ServiceContext | None = None


def configure(settings: Settings) -> ServiceContext:
    global _CONTEXT
    _CONTEXT = ServiceContext(settings=settings)
    # the run-time bounds of BPMN scripts and conditions (engine.script_limits)
    script_limits.configure(
        script_limits.Limits(
            max_items=settings.script_max_items, memory_bytes=settings.script_memory_mb * 1024 * 1024
        )
    )
    return _CONTEXT


def ctx() -> ServiceContext:
    if _CONTEXT is None:
        raise RuntimeError("services are not configured: call app.services.context.configure(settings)")
    return _CONTEXT
