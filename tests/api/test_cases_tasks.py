"""Cases and tasks over the API, including every refusal: 4xx, a precise message, nothing changed."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from app.models import AuditEvent, Case, CaseTask, Session
from tests.factories import applicant_of, open_task, scenario, submit


def counts():
    Session.remove()
    out = (
        Session.scalar(select(func.count()).select_from(Case)),
        Session.scalar(select(func.count()).select_from(CaseTask)),
        Session.scalar(select(func.count()).select_from(AuditEvent)),
    )
    Session.remove()
    return out


def test_submitting_creates_a_case_with_a_checked_number_and_an_accept_task(api):
    case_no = submit(api)
    doc = api.get(f"/cases/{case_no}", "env_clerk").get_json()
    assert case_no.startswith("TB") and len(case_no) == 19
    assert doc["status"] == "accepting" and [t["bpmn_id"] for t in doc["open_tasks"]] == ["accept"]
    assert doc["history"][0]["action"] == "case.submit" and doc["history"][0]["actor"] == "applicant"


def test_bad_applicant_id_is_422_naming_the_field_and_writes_nothing(api):
    before = counts()
    application = scenario("eia_report_form", "accept_approve")["application"]
    applicant = applicant_of(application) | {"id_no": "91350200MA2Y8K3Q1A"}
    resp = api.post(
        "/cases",
        "applicant",
        json={"item_code": "eia_report_form", "applicant": applicant, "data": application},
    )
    assert resp.status_code == 422
    assert [d["field"] for d in resp.get_json()["error"]["details"]] == ["applicant.id_no"]
    assert counts() == before


def test_bad_application_data_names_each_field(api):
    application = dict(scenario("eia_report_form", "accept_approve")["application"])
    application["total_investment_10k_cny"] = "lots"
    application["surprise"] = 1
    resp = api.post(
        "/cases",
        "applicant",
        json={"item_code": "eia_report_form", "applicant": applicant_of(application), "data": application},
    )
    fields = {d["field"] for d in resp.get_json()["error"]["details"]}
    assert resp.status_code == 422 and {"total_investment_10k_cny", "surprise"} <= fields


def test_unknown_item_and_wrong_role_are_refused(api):
    application = scenario("eia_report_form", "accept_approve")["application"]
    body = {"item_code": "eia_report_form", "applicant": applicant_of(application), "data": application}
    assert api.post("/cases", "env_reviewer", json=body).status_code == 403
    assert api.post("/cases", "tr_clerk", json=body).status_code == 403
    assert api.post("/cases", "applicant", json=body | {"item_code": "nope"}).status_code == 404
    assert api.post("/cases", "env_clerk", json=body).status_code == 201  # filed at the window


def test_cases_are_visible_only_to_their_applicant_department_and_supervisors(api):
    case_no = submit(api)
    assert api.get(f"/cases/{case_no}", "applicant").status_code == 200
    assert api.get(f"/cases/{case_no}", "env_reviewer").status_code == 200
    assert api.get(f"/cases/{case_no}", "supervisor").status_code == 200
    assert api.get(f"/cases/{case_no}", "applicant2").status_code == 404
    assert api.get(f"/cases/{case_no}", "tr_clerk").status_code == 404


def test_unknown_and_malformed_case_numbers_are_404(api):
    case_no = submit(api)
    typo = case_no[:-1] + str((int(case_no[-1]) + 1) % 10)
    for bad in (typo, "TB2026", "'; drop table case_file; --"):
        resp = api.get(f"/cases/{bad}", "supervisor")
        assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "case_not_found"


def test_inbox_shows_group_tasks_by_role_and_department(api):
    case_no = submit(api)
    inbox = api.get("/tasks", "env_clerk").get_json()["tasks"]
    assert [t["case_no"] for t in inbox] == [case_no]
    assert api.get("/tasks", "tr_clerk").get_json()["tasks"] == []
    assert api.get("/tasks", "env_reviewer").get_json()["tasks"] == []
    assert api.get("/tasks", "applicant").get_json()["tasks"] == []


def test_task_detail_includes_its_form_schema(api):
    task = open_task(api, submit(api), "accept")
    detail = api.get(f"/tasks/{task['id']}", "env_clerk").get_json()
    assert detail["form"]["schema"]["properties"]["accept_outcome"]["enum"] == ["accept", "correct", "refuse"]
    assert api.get(f"/tasks/{task['id']}", "tr_clerk").status_code == 404
    assert api.get("/tasks/999999", "env_clerk").status_code == 404


def test_claim_release_and_claimed_by_other(api):
    task = open_task(api, submit(api), "accept")
    assert api.post(f"/tasks/{task['id']}/claim", "env_clerk").get_json()["state"] == "claimed"
    assert api.get("/tasks", "env_clerk").get_json()["tasks"][0]["state"] == "claimed"
    assert api.post(f"/tasks/{task['id']}/release", "env_clerk").get_json()["state"] == "ready"
    assert api.post(f"/tasks/{task['id']}/release", "env_clerk").status_code == 409
    assert api.post(f"/tasks/{task['id']}/claim", "tr_clerk").status_code == 403


def test_completing_with_invalid_data_names_fields_and_changes_nothing(api):
    task = open_task(api, submit(api), "accept")
    before = counts()
    resp = api.post(
        f"/tasks/{task['id']}/complete", "env_clerk", json={"data": {"accept_outcome": "correct"}}
    )
    assert resp.status_code == 422 and "deficient_materials" in {
        d["field"] for d in resp.get_json()["error"]["details"]
    }
    resp = api.post(f"/tasks/{task['id']}/complete", "env_clerk", json={"data": {"accept_outcome": 5}})
    assert resp.status_code == 422
    assert counts() == before


def test_a_task_that_is_not_yours_is_403_and_changes_nothing(api):
    task = open_task(api, submit(api), "accept")
    before = counts()
    for user in ("env_reviewer", "tr_clerk", "applicant", "supervisor"):
        resp = api.post(f"/tasks/{task['id']}/complete", user, json={"data": {"accept_outcome": "accept"}})
        assert resp.status_code == 403, user
    assert counts() == before


def test_completing_twice_is_a_409(api):
    task = open_task(api, submit(api), "accept")
    ok = api.post(f"/tasks/{task['id']}/complete", "env_clerk", json={"data": {"accept_outcome": "accept"}})
    assert ok.status_code == 200
    again = api.post(
        f"/tasks/{task['id']}/complete", "env_clerk", json={"data": {"accept_outcome": "accept"}}
    )
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "task_closed"


def test_correction_then_supplement_returns_the_case_to_acceptance(api):
    case_no = submit(api)
    task = open_task(api, case_no, "accept")
    data = {
        "accept_outcome": "correct",
        "deficient_materials": [{"material": "eia_report", "reason": "缺少签章页"}],
    }
    assert api.post(f"/tasks/{task['id']}/complete", "env_clerk", json={"data": data}).status_code == 200
    assert api.get(f"/cases/{case_no}", "applicant").get_json()["status"] == "correcting"
    supplement = {"materials": [{"material": "eia_report", "note": "已补签章页"}]}
    assert (
        api.post(f"/cases/{case_no}/supplements", "applicant2", json={"data": supplement}).status_code == 404
    )
    assert (
        api.post(f"/cases/{case_no}/supplements", "applicant", json={"data": {"materials": "x"}}).status_code
        == 422
    )
    resp = api.post(f"/cases/{case_no}/supplements", "applicant", json={"data": supplement})
    assert resp.status_code == 200 and resp.get_json()["status"] == "accepting"
    again = api.post(f"/cases/{case_no}/supplements", "applicant", json={"data": supplement})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "not_correcting"


def test_two_concurrent_completions_give_one_success_and_one_conflict(app, api):
    case_no = submit(api)
    task = open_task(api, case_no, "accept")
    token = api.token("env_clerk")
    barrier = threading.Barrier(2, timeout=20)
    results = []

    from sqlalchemy import event

    from app.models import Session as ScopedSession

    def wait_at_flush(session, *_):
        if session.info.get("race"):
            session.info.pop("race")
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass

    event.listen(ScopedSession.session_factory.class_, "before_flush", wait_at_flush)

    def worker():
        ScopedSession().info["race"] = True
        client = app.test_client()
        resp = client.post(
            f"/api/v1/tasks/{task['id']}/complete",
            json={"data": {"accept_outcome": "accept"}},
            headers={"Authorization": f"Bearer {token}"},
        )
        results.append(resp.status_code)
        ScopedSession.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        event.remove(ScopedSession.session_factory.class_, "before_flush", wait_at_flush)
    assert sorted(results) == [200, 409]
    history = api.get(f"/cases/{case_no}", "supervisor").get_json()["history"]
    assert [h["action"] for h in history].count("task.complete") == 1
    doc = api.get(f"/cases/{case_no}", "supervisor").get_json()
    assert [t["bpmn_id"] for t in doc["open_tasks"]] == ["review"]
