"""Every scenario of every item, over HTTP, each step by the demo user of the lane's role."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.models.vocab import SHANGHAI
from tests.factories import DEPT, USERS, applicant_of
from tests.processes.scenarios import SCENARIO_IDS, SCENARIOS


@pytest.mark.parametrize(("slug", "name", "scenario"), SCENARIOS, ids=SCENARIO_IDS)
def test_scenario_over_the_api(api, slug, name, scenario):
    application = scenario["application"]
    resp = api.post(
        "/cases",
        "applicant",
        json={"item_code": slug, "applicant": applicant_of(application), "data": application},
    )
    assert resp.status_code == 201, resp.get_json()
    case_no = resp.get_json()["case_no"]
    for i, step in enumerate(scenario["steps"]):
        if "message" in step:
            resp = api.post(
                f"/cases/{case_no}/supplements", "applicant", json={"data": step.get("data") or {}}
            )
            assert resp.status_code == 200, (i, resp.get_json())
            continue
        user = USERS[(DEPT[slug], step["role"])]
        inbox = [
            t
            for t in api.get("/tasks", user).get_json()["tasks"]
            if t["case_no"] == case_no and t["bpmn_id"] == step["task"]
        ]
        assert inbox, f"step {i}: {step['task']} not in {user}'s inbox"
        data = dict(step.get("data") or {})
        if "delivered_on" in data:
            # the scenario runs today: delivery is recorded on the real day, never before the decision
            data["delivered_on"] = datetime.now(SHANGHAI).date().isoformat()
        resp = api.post(f"/tasks/{inbox[0]['id']}/complete", user, json={"data": data})
        assert resp.status_code == 200, (i, resp.get_json())
    doc = api.get(f"/cases/{case_no}", "supervisor").get_json()
    expect = scenario["expect"]
    assert doc["status"] == ("refused" if expect.get("end_event") == "refused" else "completed")
    final = {c["kind"]: c for c in doc["clocks"]}
    assert all(c["stopped_on"] is not None and c["light"] is None for c in final.values()), (
        "no running clock after the end"
    )
    assert doc["outcome"] == expect.get("end_event", doc["outcome"])
    assert doc["open_tasks"] == [] and doc["light"] is None
    mine = api.get(f"/cases/{case_no}", "applicant").get_json()  # the applicant's plain-language document
    assert mine["status"] == doc["status"] and mine["current_steps"] == [] and mine["may_withdraw"] is False
    assert mine["documents"] and mine["documents"][0]["kind"] == "receipt"
    assert "history" not in mine and "open_tasks" not in mine and "data" not in mine
