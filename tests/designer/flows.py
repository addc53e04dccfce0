"""Case steps over the API for the designer tests (copies of road_freight_permit, department transport)."""

from __future__ import annotations

from datetime import datetime

import yaml

from app.models.vocab import SHANGHAI
from tests.designer.conftest import ROOT
from tests.factories import applicant_of

SCENARIO = yaml.safe_load(
    (ROOT / "processes" / "road_freight_permit" / "scenarios" / "accept_approve.yaml").read_text(
        encoding="utf-8"
    )
)
USERS = {"clerk": "tr_clerk", "reviewer": "tr_reviewer", "decider": "tr_decider"}
DATA = {step["task"]: step["data"] for step in SCENARIO["steps"]}
DATA["expert_review"] = {"expert_opinion": "专家组认为车辆与安全管理符合要求。"}


def start_case(api, code: str) -> str:
    application = SCENARIO["application"]
    resp = api.post(
        "/cases",
        "applicant",
        json={"item_code": code, "applicant": applicant_of(application), "data": application},
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["case_no"]


def case_doc(api, case_no: str) -> dict:
    return api.get(f"/cases/{case_no}", "tr_clerk").get_json()


def complete(api, case_no: str, task: str, role: str, data: dict | None = None) -> None:
    user = USERS[role]
    (open_task,) = [t for t in case_doc(api, case_no)["open_tasks"] if t["bpmn_id"] == task]
    data = dict(data or DATA[task])
    if "delivered_on" in data:  # the delivery is recorded on the day it happens, never before the decision
        data["delivered_on"] = datetime.now(SHANGHAI).date().isoformat()
    resp = api.post(f"/tasks/{open_task['id']}/complete", user, json={"data": data})
    assert resp.status_code == 200, resp.get_json()


def open_steps(api, case_no: str) -> list[str]:
    return [t["bpmn_id"] for t in case_doc(api, case_no)["open_tasks"]]
