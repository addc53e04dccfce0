"""A case whose script asks for gigabytes fails that step with a clear error, and nothing of the
case changes; the same step with ordinary data goes through."""

from __future__ import annotations

import json
import shutil

import pytest
from sqlalchemy import delete, func, select

from app.models import AuditEvent, Case, CaseTask, ProcessVersion, ServiceItem, Session
from tests.conftest import ROOT, empty_case_tables
from tests.web.helpers import open_task_id

SLUG = "sandbox_probe"
SCRIPT = 'result = "x" * (copies * 1000)'


@pytest.fixture
def probe_item(app, tmp_path):
    """The one-task bench item with a script that repeats a string as often as the clerk says."""
    from app.services.catalogue import deploy_item_folder

    folder = tmp_path / "processes" / SLUG
    shutil.copytree(ROOT / "bench/items/simple_approval", folder)
    (folder / "simple_approval.bpmn").rename(folder / f"{SLUG}.bpmn")
    bpmn = (folder / f"{SLUG}.bpmn").read_text(encoding="utf-8")
    bpmn = bpmn.replace('result = "approved" if approved else "rejected"', SCRIPT)
    (folder / f"{SLUG}.bpmn").write_text(bpmn, encoding="utf-8")
    item = (folder / "item.yaml").read_text(encoding="utf-8")
    item = item.replace('code: "BENCH-0001"', 'code: "SEC-PROBE-0001"').replace(
        "slug: simple_approval", f"slug: {SLUG}"
    )
    (folder / "item.yaml").write_text(item, encoding="utf-8")
    forms = tmp_path / "forms" / SLUG
    shutil.copytree(ROOT / "bench/forms/simple_approval", forms)
    task_form = json.loads((forms / "Task_approve.json").read_text(encoding="utf-8"))
    task_form["schema"]["properties"]["copies"] = {"type": "integer", "title": "份数", "minimum": 0}
    task_form["ui"]["order"].append("copies")
    task_form["ui"]["fields"]["copies"] = {"label": {"zh": "份数", "en": "Copies"}, "widget": "number"}
    (forms / "Task_approve.json").write_text(json.dumps(task_form, ensure_ascii=False), encoding="utf-8")
    with app.app_context():
        deploy_item_folder(folder, tmp_path / "forms")
        Session.remove()
    yield SLUG
    empty_case_tables(app)
    item_id = Session.scalar(select(ServiceItem.id).where(ServiceItem.slug == SLUG))
    Session.execute(delete(ProcessVersion).where(ProcessVersion.item_id == item_id))
    Session.execute(delete(ServiceItem).where(ServiceItem.id == item_id))
    Session.commit()
    Session.remove()


def _state(case_no: str):
    Session.remove()
    case = Session.scalar(select(Case).where(Case.case_no == case_no))
    tasks = Session.execute(
        select(CaseTask.id, CaseTask.state, CaseTask.assignee_id, CaseTask.data).where(
            CaseTask.case_id == case.id
        )
    ).all()
    audit = Session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case.id))
    return case.status, case.lock_version, case.state, case.data, sorted(tasks), audit


def test_a_refused_script_fails_the_step_and_changes_nothing(api, probe_item):
    resp = api.post(
        "/cases",
        "applicant",
        json={
            "item_code": probe_item,
            "applicant": {"kind": "person", "name": "林晓", "id_no": "11010519491231002X"},
            "data": {"subject": "测试"},
        },
    )
    assert resp.status_code == 201, resp.get_json()
    case_no = resp.get_json()["case_no"]
    task_id = open_task_id(api, case_no, "env_clerk")
    before = _state(case_no)

    resp = api.post(
        f"/tasks/{task_id}/complete", "env_clerk", json={"data": {"approved": True, "copies": 10**7}}
    )
    error = resp.get_json()["error"]
    assert 400 <= resp.status_code < 500
    assert error["code"] == "process_error" and error["details"] == {"element": "Script_1"}
    assert "sequence repetition of 10,000,000,000 items exceeds the sandbox limit" in error["message"]
    assert _state(case_no) == before

    ok = api.post(f"/tasks/{task_id}/complete", "env_clerk", json={"data": {"approved": True, "copies": 2}})
    assert ok.status_code == 200, ok.get_json()
    assert _state(case_no)[0] == "completed"
