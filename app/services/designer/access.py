"""Who may design what: the ``designer`` role (and administrators); a department's designers see and
change only their department's items, the platform department (``admin``) sees every item."""

from __future__ import annotations

from app.services.auth import Actor
from app.services.errors import Forbidden
from app.services.i18n import t

DESIGN_ROLES = ("designer", "admin")
PLATFORM_DEPARTMENT = "admin"


def is_designer(actor: Actor) -> bool:
    return actor.has_role(*DESIGN_ROLES)


def platform_wide(actor: Actor) -> bool:
    return actor.is_admin or PLATFORM_DEPARTMENT in actor.departments(*DESIGN_ROLES)


def design_departments(actor: Actor) -> frozenset[str]:
    """The departments whose items the actor designs (a designer grant in each)."""
    return actor.departments(*DESIGN_ROLES)


def require_designer(actor: Actor) -> None:
    if not is_designer(actor):
        raise Forbidden(t("仅流程设计人员可以使用"), code="designer_only")


def may_design(actor: Actor, department_code: str | None) -> bool:
    return is_designer(actor) and (
        platform_wide(actor) or (department_code is not None and department_code in design_departments(actor))
    )


def require_department(actor: Actor, department_code: str | None, what: str) -> None:
    require_designer(actor)
    if not may_design(actor, department_code):
        raise Forbidden(
            t(
                "%(what)s 属于其他部门（%(department)s），您只能设计本部门的事项",
                what=what,
                department=department_code,
            ),
            code="other_department",
        )
