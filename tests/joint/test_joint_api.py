"""The joint scenarios over HTTP as each department's demo users, what each party may read of a master
case (GET /api/v1/cases/{case_no}), and the bad input of issue 13 as the API answers it."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest

from engine.workcal import local_date
from tests.joint.harness import (
    GOV_HEAD,
    SLUG,
    WINDOW,
    dated,
    id_check,
    scenarios,
    upload_files,
    user_for,
)

SCENARIOS = scenarios()


def today():
    """The API acts now, so a date written "TODAY" is the local day of the step that sends it: read per
    step, not once at import, or a run that crosses Shanghai midnight sends yesterday after a decision
    dated today."""
    return local_date(datetime.now(UTC))


HW, DG = "hazardous_waste_licence", "road_dangerous_goods_transport"


def file_over_http(api, scenario) -> str:
    form = {
        "item_code": SLUG,
        "data": json.dumps(scenario["application"], ensure_ascii=False),
        "id_check": json.dumps(id_check(scenario["application"])),
    }
    for code, (name, body) in upload_files(scenario["materials"]).items():
        form[f"material-{code}"] = (io.BytesIO(body), name)
    resp = api.post("/joint-cases", WINDOW, data=form, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["case_no"]


def doc(api, case_no, user="supervisor"):
    resp = api.get(f"/cases/{case_no}", user)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def open_task(api, case_no, bpmn_id, slug=None):
    master = doc(api, case_no)
    if slug is None:
        tasks = master["open_tasks"]
    else:
        tasks = next(c for c in master["components"] if c["item_slug"] == slug)["open_tasks"]
    found = [t for t in tasks if t["bpmn_id"] == bpmn_id]
    assert found, f"{slug or 'master'}/{bpmn_id} not open: {[t['bpmn_id'] for t in tasks]}"
    return found[0]


def http_step(api, case_no, step, day):
    if "supplement" in step:
        return api.post(
            f"/joint-cases/{case_no}/supplements", WINDOW, json={"data": dated(step["supplement"], day)}
        )
    if "extension" in step:
        return api.post(f"/joint-cases/{case_no}/extension", WINDOW, json=step["extension"])
    if "approve_extension" in step:
        return api.post(f"/joint-cases/{case_no}/extension/approve", GOV_HEAD, json=step["approve_extension"])
    if step.get("master") == "collect":
        return api.post(f"/joint-cases/{case_no}/collect", WINDOW, json={"data": dated(step["data"], day)})
    task = open_task(api, case_no, step.get("task") or step["master"], step.get("component"))
    return api.post(f"/tasks/{task['id']}/complete", user_for(step), json={"data": dated(step["data"], day)})


@pytest.mark.parametrize(("name", "scenario"), SCENARIOS, ids=[n for n, _ in SCENARIOS])
def test_joint_scenario_runs_over_http_as_each_departments_users(api, name, scenario):
    case_no = file_over_http(api, scenario)
    for i, step in enumerate(scenario["steps"]):
        resp = http_step(api, case_no, step, today())
        assert resp.status_code == 200, (i, step, resp.get_json())
    master = doc(api, case_no)
    assert master["status"] == scenario["expect"]["master"]["status"]
    assert master["outcome"] == scenario["expect"]["master"]["end_event"]
    assert {c["item_slug"]: c["outcome"] for c in master["components"]} == scenario["expect"]["components"]


@pytest.fixture
def running(api):
    """A joint case both departments have accepted and the window too; env is reviewing."""
    scenario = dict(SCENARIOS)["both_approve"]
    case_no = file_over_http(api, scenario)
    for step in scenario["steps"][:3]:
        assert http_step(api, case_no, step, today()).status_code == 200
    return case_no


def test_a_master_lists_its_components_with_department_status_clocks_and_open_tasks(api, running):
    master = doc(api, running, WINDOW)
    assert master["department_code"] == "centre" and master["statutory_deadline"]
    comps = {c["item_slug"]: c for c in master["components"]}
    assert set(comps) == {HW, DG}
    assert comps[HW]["department_code"] == "env" and comps[HW]["department_name"] == "厦门市生态环境局"
    assert comps[DG]["status"] == "in_progress" and comps[DG]["accepted_on"]
    assert [t["bpmn_id"] for t in comps[HW]["open_tasks"]] == ["review"]
    assert any(c["kind"] == "statutory" for c in comps[HW]["clocks"])
    component = doc(api, comps[HW]["case_no"], "env_reviewer")
    assert component["joint_master"] == running


def test_a_department_reads_the_master_and_its_own_part_but_not_the_other_part(api, running):
    master = doc(api, running, "env_reviewer")  # the master summary and the shared materials
    comps = {c["item_slug"]: c for c in master["components"]}
    assert "data" not in comps[DG] and "history" not in comps[DG]  # no opinions of the other department
    assert api.get(f"/cases/{comps[HW]['case_no']}", "env_reviewer").status_code == 200
    other = api.get(f"/cases/{comps[DG]['case_no']}", "env_reviewer")
    assert other.status_code == 404 and other.get_json()["error"]["code"] == "case_not_found"
    shared = api.get(f"/cases/{running}/materials", "xm_tr_reviewer")
    assert shared.status_code == 200, shared.get_json()


def test_a_department_acting_on_anothers_component_is_refused_and_nothing_changes(api, running):
    task = open_task(api, running, "review", DG)
    before = doc(api, running)
    resp = api.post(
        f"/tasks/{task['id']}/complete",
        "env_reviewer",
        json={"data": {"review_conclusion": "compliant", "review_opinion": "越权审查"}},
    )
    assert resp.status_code == 403 and resp.get_json()["error"]["code"]
    after = doc(api, running)
    assert after["components"] == before["components"] and after["history"] == before["history"]


def test_bad_joint_input_over_http_gets_4xx_and_changes_nothing(api, running):
    before = doc(api, running)
    supplement = {"components": {HW: {"materials": [{"material": "transport_documents", "note": "x"}]}}}
    cases = [
        ("/supplements", WINDOW, {"data": supplement}, 409, "component_not_correcting"),
        ("/supplements", WINDOW, {"data": {"components": {"no_such_item": {}}}}, 422, "validation_failed"),
        ("/extension", WINDOW, {"days": 16, "reason": "太长"}, 422, None),
        ("/extension", WINDOW, {"days": "ten", "reason": "类型不对"}, 422, None),
        ("/extension", "env_head", {"days": 5, "reason": "部门负责人不能申请"}, 403, "not_window"),
        ("/extension/approve", "env_head", {"opinion": "同意"}, 403, "not_government_head"),
        ("/extension/approve", GOV_HEAD, {"opinion": "同意"}, 409, "no_extension_request"),
        ("/collect", WINDOW, {"data": {"delivery_method": "window"}}, 409, "components_open"),
    ]
    for path, user, body, status, code in cases:
        resp = api.post(f"/joint-cases/{running}{path}", user, json=body)
        assert resp.status_code == status, (path, user, resp.get_json())
        err = resp.get_json()["error"]
        assert err["message"] and set(err) >= {"code", "message", "details"}
        if code:
            assert err["code"] == code, (path, err)
    after = doc(api, running)
    assert after["components"] == before["components"] and after["history"] == before["history"]
    assert (after["status"], after["extension_wd"], after["open_tasks"]) == (
        before["status"],
        before["extension_wd"],
        before["open_tasks"],
    )


def test_joint_filing_is_for_the_comprehensive_window_and_checks_each_departments_form(api):
    scenario = dict(SCENARIOS)["both_approve"]
    bad = json.loads(json.dumps(scenario["application"]))
    bad["components"][DG]["driver_count"] = "three"
    form = {
        "item_code": SLUG,
        "data": json.dumps(bad, ensure_ascii=False),
        "id_check": json.dumps(id_check(bad)),
    }
    resp = api.post("/joint-cases", WINDOW, data=form, content_type="multipart/form-data")
    assert resp.status_code == 422
    fields = [d["field"] for d in resp.get_json()["error"]["details"]]
    assert any(f.startswith(f"components.{DG}.driver_count") for f in fields), fields
    resp = api.post(
        "/joint-cases",
        "env_clerk",
        data={"item_code": SLUG, "data": "{}"},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "window_only"
