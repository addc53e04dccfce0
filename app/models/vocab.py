"""The platform's vocabulary of stored states (strings in the database, StrEnums in code).

Roles and lights live in ``engine.vocab`` (the engine needs them); re-exported here so models and
services have one place to import the whole vocabulary from.
"""

from __future__ import annotations

from enum import StrEnum
from zoneinfo import ZoneInfo

from engine.events import EventKind
from engine.vocab import CASEWORKER_ROLES, OVERSIGHT_ROLES, Light, Role

# Calendar days are Asia/Shanghai days (DESIGN.md, "Time zone"); timestamps are stored in UTC.
SHANGHAI = ZoneInfo("Asia/Shanghai")


class TaskState(StrEnum):
    READY = "ready"
    CLAIMED = "claimed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


OPEN_TASK_STATES = (TaskState.READY, TaskState.CLAIMED)


class CaseStatus(StrEnum):
    ACCEPTING = "accepting"  # 受理中 (materials received, acceptance pending)
    CORRECTING = "correcting"  # 补正中 (waiting for the applicant)
    IN_PROGRESS = "in_progress"  # 审查中
    SPECIAL_PROCEDURE = "special_procedure"  # 特殊程序中 (Art. 45)
    DECIDED = "decided"  # 已决定，待送达
    COMPLETED = "completed"  # 办结
    REFUSED = "refused"  # 不予受理
    WITHDRAWN = "withdrawn"  # 撤回 (or deemed withdrawn)


# Filter open cases with IN (OPEN_STATUSES): it can use the status index.
OPEN_STATUSES = (
    CaseStatus.ACCEPTING,
    CaseStatus.CORRECTING,
    CaseStatus.IN_PROGRESS,
    CaseStatus.SPECIAL_PROCEDURE,
    CaseStatus.DECIDED,
)
CLOSED_STATUSES = (CaseStatus.COMPLETED, CaseStatus.REFUSED, CaseStatus.WITHDRAWN)


class ClockKind(StrEnum):
    ACCEPTANCE = "acceptance"
    PROMISED = "promised"
    STATUTORY = "statutory"
    STEP = "step"
    SPECIAL_PROCEDURE = "special_procedure"
    DELIVERY = "delivery"
    CORRECTION_WAIT = "correction_wait"


__all__ = [
    "CASEWORKER_ROLES",
    "CLOSED_STATUSES",
    "OPEN_STATUSES",
    "OPEN_TASK_STATES",
    "OVERSIGHT_ROLES",
    "SHANGHAI",
    "CaseStatus",
    "ClockKind",
    "EventKind",
    "Light",
    "Role",
    "TaskState",
]
