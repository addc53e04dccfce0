"""The joint item's parts read from the catalogue, not hard-coded: the component slugs (item.yaml
``joint.components``), each component's department (its own item.yaml ``department``) and the demo users of
that department (app/services/users.py ``DEMO_USERS``) — so these tests follow a swap of a component."""

from __future__ import annotations

from functools import cache

import yaml

from app.services.users import DEMO_USERS
from tests.processes.scenarios import PROCESSES

JOINT_SLUG = "hazardous_waste_transport_joint"


@cache
def item_yaml(slug: str) -> dict:
    return yaml.safe_load((PROCESSES / slug / "item.yaml").read_text(encoding="utf-8"))


def components() -> list[str]:
    return list(item_yaml(JOINT_SLUG)["joint"]["components"])


def department_of(slug: str) -> str:
    return str(item_yaml(slug)["department"])


def demo_user(department: str, role: str) -> str:
    """The first demo user holding ``role`` in ``department``."""
    for username, _name, grants, _id in DEMO_USERS:
        if (role, department) in grants:
            return username
    raise LookupError(f"no demo user with {role} in {department}")


def user_of(slug: str, role: str) -> str:
    return demo_user(department_of(slug), role)


def with_expert_review() -> str:
    """The component whose item has an optional Art. 45 expert review (the environment licence)."""
    return next(
        s
        for s in components()
        if any(p.get("code") == "expert_review" for p in item_yaml(s).get("special_procedures") or [])
    )


def others() -> list[str]:
    return [s for s in components() if s != with_expert_review()]
