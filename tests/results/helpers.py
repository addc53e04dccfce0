"""Cases walked to their end over the real API, by the demo user of each lane (as the scenarios say)."""

from __future__ import annotations

from datetime import datetime

from app.models.vocab import SHANGHAI
from tests.factories import DEPT, USERS, applicant_of, scenario


def walk(
    api,
    slug: str,
    name: str,
    *,
    user: str = "applicant",
    overrides: dict | None = None,
    until: str | None = None,
) -> str:
    """File the scenario's application as USER and complete every step; returns the case number.

    ``overrides`` replaces form data of a step by its task id (e.g. a licence's valid_until); ``until``
    stops before the first step of that task id (left open)."""
    sc = scenario(slug, name)
    application = sc["application"]
    resp = api.post(
        "/cases", user, json={"item_code": slug, "applicant": applicant_of(application), "data": application}
    )
    assert resp.status_code == 201, resp.get_json()
    case_no = resp.get_json()["case_no"]
    for i, step in enumerate(sc["steps"]):
        if "message" in step:
            resp = api.post(f"/cases/{case_no}/supplements", user, json={"data": step.get("data") or {}})
            assert resp.status_code == 200, (i, resp.get_json())
            continue
        if step.get("task") == until:
            break
        staff = USERS[(DEPT[slug], step["role"])]
        tasks = [
            t
            for t in api.get("/tasks", staff).get_json()["tasks"]
            if t["case_no"] == case_no and t["bpmn_id"] == step["task"]
        ]
        assert tasks, f"step {i}: {step['task']} not in {staff}'s inbox"
        data = {**(step.get("data") or {}), **((overrides or {}).get(step["task"]) or {})}
        today = datetime.now(SHANGHAI).date().isoformat()
        for key in ("delivered_on", "issue_date"):
            if key in data:
                data[key] = today  # the scenario runs today: never before the decision
        resp = api.post(f"/tasks/{tasks[0]['id']}/complete", staff, json={"data": data})
        assert resp.status_code == 200, (i, resp.get_json())
    return case_no
