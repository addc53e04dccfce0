"""Test data built through the real API: applicants from scenario files, cases walked to a step."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.processes.scenarios import SCENARIOS

CST = timezone(timedelta(hours=8))


def at(day: str, hour: int = 10) -> datetime:
    """A frozen moment: 10:00 Asia/Shanghai on DAY (services take `now`; tests never sleep)."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=CST)


def actor(username: str):
    """The Actor of a demo user, from the real users table."""
    from sqlalchemy import select

    from app.models import Session, User
    from app.services.auth import Actor

    return Actor.of(Session.scalar(select(User).where(User.username == username)))


USERS = {
    ("env", "clerk"): "env_clerk",
    ("env", "reviewer"): "env_reviewer",
    ("env", "decider"): "env_decider",
    ("env", "head"): "env_head",
    ("transport", "clerk"): "tr_clerk",
    ("transport", "reviewer"): "tr_reviewer",
    ("transport", "decider"): "tr_decider",
    ("transport", "head"): "tr_head",
    ("xm_transport", "clerk"): "xm_tr_clerk",
    ("xm_transport", "reviewer"): "xm_tr_reviewer",
    ("xm_transport", "decider"): "xm_tr_decider",
    ("xm_transport", "head"): "xm_tr_head",
}
DEPT = {
    "eia_report_form": "env",
    "hazardous_waste_licence": "env",
    "road_freight_permit": "transport",
    "road_cert_reissue": "transport",
    "road_dangerous_goods_transport": "xm_transport",
}


def scenario(slug: str, name: str) -> dict:
    return next(s for sl, n, s in SCENARIOS if sl == slug and n == name)


def applicant_of(application: dict) -> dict:
    return {
        "kind": application["applicant_kind"],
        "name": application["applicant_name"],
        "id_no": application["applicant_id_number"],
        "phone": application.get("contact_phone"),
    }


def submit(api, slug: str = "eia_report_form", name: str = "accept_approve", user: str = "applicant") -> str:
    application = scenario(slug, name)["application"]
    resp = api.post(
        "/cases", user, json={"item_code": slug, "applicant": applicant_of(application), "data": application}
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["case_no"]


def open_task(api, case_no: str, bpmn_id: str, user: str = "applicant") -> dict:
    doc = api.get(f"/cases/{case_no}", "supervisor").get_json()
    tasks = [t for t in doc["open_tasks"] if t["bpmn_id"] == bpmn_id]
    assert tasks, f"{bpmn_id} not open: {[t['bpmn_id'] for t in doc['open_tasks']]}"
    return tasks[0]
