"""The platform's vocabulary that the engine itself needs: roles (lanes), lights.

Stored as strings everywhere (database columns, BPMN lane names, JSON); ``StrEnum`` members compare
equal to their string values, so ``row.role == Role.CLERK`` works on plain strings read back.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    APPLICANT = "applicant"
    CLERK = "clerk"  # 窗口受理 of the item's department
    WINDOW = "window"  # 综合窗口 of the service centre: registers applications for any department
    REVIEWER = "reviewer"
    DECIDER = "decider"
    HEAD = "head"  # 部门负责人: approves extensions (行政许可法 第四十二条)
    SUPERVISOR = "supervisor"
    DESIGNER = "designer"
    ADMIN = "admin"


# Roles that work cases of their own department (the inbox, task pages).
CASEWORKER_ROLES = frozenset({Role.CLERK, Role.REVIEWER, Role.DECIDER, Role.HEAD})
# Roles that see every department's cases.
OVERSIGHT_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


class Light(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
