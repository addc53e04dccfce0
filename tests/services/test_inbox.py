"""Inbox queries: my tasks and my group's, urgency order, filters, the done list."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.models import CaseTask, Session, User
from app.services import inbox
from app.services.auth import Actor
from app.services.errors import ValidationFailed
from tests.web.helpers import open_task_id, submit_case


def _actor(username):
    return Actor.of(Session.scalar(select(User).where(User.username == username)))


def _set(task_id, **values):
    row = Session.get(CaseTask, task_id)
    for k, v in values.items():
        setattr(row, k, v)
    Session.commit()


def test_urgency_order_is_red_then_yellow_then_green_then_deadline(app, api):
    today = date.today()
    ids = {}
    for name, light, days in [
        ("绿早", "green", 1),
        ("红晚", "red", 9),
        ("黄", "yellow", 3),
        ("红早", "red", 2),
    ]:
        case_no = submit_case(api, applicant_name=name)
        ids[name] = open_task_id(api, case_no, "env_clerk")
        _set(ids[name], light=light, deadline=today + timedelta(days=days))
    with app.app_context():
        rows = inbox.inbox(_actor("env_clerk")).rows
    assert [r.applicant_name for r in rows] == ["红早", "红晚", "黄", "绿早"]


def test_other_departments_and_roles_do_not_see_the_task(app, api):
    submit_case(api)
    with app.app_context():
        assert inbox.inbox(_actor("env_clerk")).total == 1
        assert inbox.inbox(_actor("tr_clerk")).total == 0
        assert inbox.inbox(_actor("env_reviewer")).total == 0
        assert inbox.inbox(_actor("applicant")).total == 0


def test_filters_by_light_and_search(app, api):
    first = submit_case(api, applicant_name="甲公司")
    submit_case(api, applicant_name="乙公司")
    _set(open_task_id(api, first, "env_clerk"), light="red")
    with app.app_context():
        clerk = _actor("env_clerk")
        assert [r.case_no for r in inbox.inbox(clerk, inbox.parse_filters({"light": "red"})).rows] == [first]
        assert [r.applicant_name for r in inbox.inbox(clerk, inbox.parse_filters({"q": "乙"})).rows] == [
            "乙公司"
        ]
        assert [r.case_no for r in inbox.inbox(clerk, inbox.parse_filters({"q": first})).rows] == [first]


def test_bad_filter_values_are_named():
    with pytest.raises(ValidationFailed) as info:
        inbox.parse_filters({"light": "purple", "from": "yesterday"})
    assert {d["field"] for d in info.value.details} == {"light", "from"}


def test_done_lists_what_i_completed(app, api):
    case_no = submit_case(api)
    api.post(
        f"/tasks/{open_task_id(api, case_no, 'env_clerk')}/complete",
        user="env_clerk",
        json={"data": {"accept_outcome": "accept"}},
    )
    with app.app_context():
        done = inbox.done(_actor("env_clerk"))
        assert [r.case_no for r in done.rows] == [case_no]
        assert inbox.inbox(_actor("env_clerk")).total == 0
