"""A step applies wholly or not at all: a refusing subscriber rolls back everything the step wrote."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.models import AuditEvent, Case, CaseDocument, CaseNotice, CaseTask, Session
from app.services.errors import Conflict, DomainError
from app.services.events import BUS
from app.services.scheduled import apply_deemed_acceptance
from app.services.tasks import complete_task
from engine.events import Accepted
from tests.factories import actor, at
from tests.web.helpers import open_task_id, submit_case, web_login


class Refusal(DomainError):
    status = 409
    code = "refused_by_a_capability"


@pytest.fixture
def refusing_subscriber(app):
    """A capability subscribed after all the others that refuses every acceptance."""
    seen = []

    def refuse(event, ctx):
        issued = Session.scalars(
            select(CaseDocument.kind).where(
                CaseDocument.case_id == ctx.case.id, CaseDocument.kind != "receipt"
            )
        ).all()
        seen.append((event, ctx.case.status, list(issued)))
        raise Refusal("这个能力拒绝了本次受理")

    BUS.subscribe(Accepted, refuse)
    yield seen
    BUS._handlers[Accepted].remove(refuse)


def world(case_id: int) -> dict:
    """Everything a step could have written about a case, read fresh from the database."""
    case = Session.get(Case, case_id, populate_existing=True)
    return {
        "status": case.status,
        "lock_version": case.lock_version,
        "clock_inputs": case.clock_inputs,
        "accepted_on": case.accepted_on,
        "tasks": sorted(
            (t.bpmn_id, t.state, t.completed_by_id)
            for t in Session.scalars(select(CaseTask).where(CaseTask.case_id == case_id))
        ),
        "documents": Session.scalar(select(func.count()).where(CaseDocument.case_id == case_id)),
        "notices": Session.scalar(select(func.count()).where(CaseNotice.case_id == case_id)),
        "audit": Session.scalar(select(func.count()).where(AuditEvent.case_id == case_id)),
    }


def test_a_subscriber_failing_in_the_middle_leaves_no_trace(app, api, refusing_subscriber):
    case_no = submit_case(api)
    task_id = open_task_id(api, case_no, "env_clerk")
    with app.app_context():
        case_id = Session.scalar(select(Case.id).where(Case.case_no == case_no))
        before = world(case_id)
        clerk = actor("env_clerk")
        with pytest.raises(Refusal):
            complete_task(
                clerk, task_id, {"accept_outcome": "accept", "acceptance_note": "齐全"}, now=at("2026-03-02")
            )
        # the other capabilities had already acted when the refusal came ...
        (_event, status_then, documents_then) = refusing_subscriber[0]
        assert status_then == "in_progress" and documents_then == ["acceptance_notice"]
        # ... and none of it is visible: in this very session (the same request) ...
        row = Session.get(CaseTask, task_id)
        assert row.state == "ready" and row.completed_by_id is None
        assert world(case_id) == before
        Session.remove()
    # ... nor in a fresh one (a later request)
    with app.app_context():
        assert world(case_id) == before
        Session.remove()
    doc = api.get(f"/cases/{case_no}", "env_clerk").get_json()
    assert doc["status"] == "accepting" and [t["bpmn_id"] for t in doc["open_tasks"]] == ["accept"]


def test_a_correction_after_the_law_deemed_the_case_accepted_is_refused_in_that_request_and_after(
    app, client, api
):
    case_no = submit_case(api)
    task_id = open_task_id(api, case_no, "env_clerk")
    token = web_login(client, "env_clerk")
    assert client.get(f"/tasks/{task_id}").status_code == 200  # the clerk opened the step in time ...
    with app.app_context():
        case = Session.scalar(select(Case).where(Case.case_no == case_no))
        later = case.submitted_at.replace(year=case.submitted_at.year + 1)  # ... long before the law acts
        assert apply_deemed_acceptance(None, later) == [case_no]
        case_id = case.id
        before = world(case_id)
        Session.remove()
    resp = client.post(
        f"/tasks/{task_id}",
        data={
            "csrf_token": token,
            "accept_outcome": "correct",
            "deficient_materials-eia_report-_on": "on",
            "deficient_materials-eia_report-reason": "缺签章",
        },
    )
    page = resp.data.decode()
    # the same request: a clear refusal, and the page does not pretend the step was done
    assert resp.status_code == 409 and "已办结" in page and "已办理" not in page
    assert 'class="task-form"' not in page, "a closed step is shown read-only, not as a form to submit"
    with app.app_context():
        assert world(case_id) == before  # nothing written
        Session.remove()
    # a fresh request: the case is in review, accepted by the law, with no correction notice
    doc = api.get(f"/cases/{case_no}", "env_clerk").get_json()
    assert (doc["status"], doc["deemed_accepted"]) == ("in_progress", True)
    assert [t["bpmn_id"] for t in doc["open_tasks"]] == ["review"]
    with app.app_context():
        kinds = Session.scalars(
            select(CaseDocument.kind).where(CaseDocument.case_id == case_id).order_by(CaseDocument.id)
        ).all()
        assert kinds == ["receipt", "acceptance_notice"]
        with pytest.raises(Conflict):
            complete_task(actor("env_clerk"), task_id, {"accept_outcome": "accept"})
        Session.remove()
