"""The audit trail: every state change of a case, who, when, what, before and after."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.models import AuditEvent, Session

if TYPE_CHECKING:
    from app.services.auth import Actor


def record(
    actor: Actor | None,
    action: str,
    case_id: int | None,
    *,
    target: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    detail: str | None = None,
    actor_name: str | None = None,
) -> AuditEvent:
    """Add one audit row to the caller's transaction (sealed into the hash chain later: app.services.audit_chain)."""
    event = AuditEvent(
        case_id=case_id,
        actor_id=actor.id if actor else None,
        actor_name=(actor.username if actor else actor_name or "system")[:100],
        action=action,
        target=target,
        before=before,
        after=after,
        detail=detail,
    )
    Session.add(event)
    return event
