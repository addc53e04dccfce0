"""Process-wide service context: settings and caches, configured once by the app factory or CLI."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.config import Settings
from engine.definitions import ProcessCache


@dataclass
class ServiceContext:
    settings: Settings
    processes: ProcessCache = field(default_factory=ProcessCache)


_CONTEXT: ServiceContext | None = None


def configure(settings: Settings) -> ServiceContext:
    global _CONTEXT
    _CONTEXT = ServiceContext(settings=settings)
    return _CONTEXT


def ctx() -> ServiceContext:
    if _CONTEXT is None:
        raise RuntimeError("services are not configured: call app.services.context.configure(settings)")
    return _CONTEXT
