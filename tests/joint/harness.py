"""The joint item's scenarios (processes/<joint item>/scenarios) and the three ways they run: on the
engine alone (save/restore after every step), through the services on the real database, and over
HTTP as each department's demo users."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from pathlib import Path

import yaml

from tests.factories import at
from tests.portal.helpers import PDF
from tests.processes.scenarios import PROCESSES, joint_slugs

SLUG = "hazardous_waste_transport_joint"
ROOT = PROCESSES / SLUG
USERS = {
    ("env", "clerk"): "env_clerk",
    ("env", "reviewer"): "env_reviewer",
    ("env", "decider"): "env_decider",
    ("xm_transport", "clerk"): "xm_tr_clerk",
    ("xm_transport", "reviewer"): "xm_tr_reviewer",
    ("xm_transport", "decider"): "xm_tr_decider",
}
DEPT = {"hazardous_waste_licence": "env", "road_dangerous_goods_transport": "xm_transport"}
WINDOW, GOV_HEAD = "window_clerk", "centre_head"
START = date(2026, 12, 7)  # a Monday


def scenarios() -> list[tuple[str, dict]]:
    return [
        (p.stem, yaml.safe_load(p.read_text(encoding="utf-8")))
        for slug in joint_slugs()
        for p in sorted((PROCESSES / slug / "scenarios").glob("*.yaml"))
    ]


def day_of(i: int) -> date:
    """The i-th working day (weekends skipped; the December 2026 weeks used here have no holiday)."""
    d = START
    while i > 0:
        d += timedelta(days=1)
        if d.weekday() < 5:
            i -= 1
    return d


def dated(data: dict, day: date) -> dict:
    """The scenario writes "TODAY" where a date must be the day of the step (delivery, issue)."""
    text = json.dumps(data, ensure_ascii=False).replace('"TODAY"', f'"{day.isoformat()}"')
    return json.loads(text)


def upload_files(materials: list[str]) -> dict[str, tuple[str, bytes]]:
    return {code: (f"{code}.pdf", PDF) for code in materials}


def id_check(application: dict) -> dict:
    return {"checked": True, "id_no_read": application["applicant_id_number"]}


def user_for(step: dict) -> str:
    if "component" in step:
        return USERS[(DEPT[step["component"]], step["role"])]
    return WINDOW


def moment(i: int):
    return at(day_of(i).isoformat())


def streams(materials: list[str]):
    from app.services.applications import Upload

    return [Upload(code, name, io.BytesIO(body)) for code, (name, body) in upload_files(materials).items()]


__all__ = ["ROOT", "Path"]
