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


def _reference_order(actor_id, groups):
    """Every open task the actor may take, sorted in Python by the documented urgency key."""
    rank = {"red": 0, "yellow": 1, "green": 2, None: 3}
    rows = [
        t
        for t in Session.scalars(select(CaseTask)).all()
        if (t.state == "claimed" and t.assignee_id == actor_id)
        or (t.state == "ready" and (t.role, t.department_code) in groups)
    ]
    rows.sort(
        key=lambda t: (
            rank[t.light],
            t.deadline is None,
            t.deadline or date.max,
            t.created_at.replace(tzinfo=None),
            t.id,
        )
    )
    return [t.id for t in rows]


def test_merged_urgency_slices_page_exactly_like_one_sorted_query(app, api, monkeypatch):
    """The first pages come from per-slice index ranges merged (inbox._urgent_first); page after page,
    with ties in light, deadline and time, undated and unlit tasks, claimed tasks, a second group and
    tasks the actor may not take, they list exactly the tasks and the order of one full sort, and so
    does the one-query form used for deep pages."""
    import random
    from datetime import UTC, datetime

    from app.models import UserRole

    rng = random.Random(7)
    case_nos = [submit_case(api, applicant_name=f"企业{i:02d}") for i in range(36)]
    task_ids = [open_task_id(api, no, "env_clerk") for no in case_nos]
    with app.app_context():
        clerk = Session.scalar(select(User).where(User.username == "env_clerk"))
        other = Session.scalar(select(User).where(User.username == "tr_clerk"))
        clerk.grants.append(UserRole(role="reviewer", department_code="env"))
        Session.commit()
        clerk_id, other_id = clerk.id, other.id
    base = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    placements = [
        {"state": "ready", "role": "clerk", "department_code": "env", "assignee_id": None},
        {"state": "ready", "role": "reviewer", "department_code": "env", "assignee_id": None},
        {"state": "claimed", "role": "clerk", "department_code": "env", "assignee_id": clerk_id},
        {"state": "claimed", "role": "clerk", "department_code": "env", "assignee_id": other_id},
        {"state": "ready", "role": "decider", "department_code": "env", "assignee_id": None},
    ]
    today = date(2026, 11, 20)
    for task_id in task_ids:
        _set(
            task_id,
            light=rng.choice(["red", "yellow", "green", None]),
            deadline=rng.choice([None, today, today + timedelta(days=1), today + timedelta(days=4)]),
            created_at=base + timedelta(hours=rng.choice([0, 0, 1, 5])),
            **rng.choice(placements),
        )
    with app.app_context():
        actor = _actor("env_clerk")
        expected = _reference_order(clerk_id, {("clerk", "env"), ("reviewer", "env")})
        assert 10 < len(expected) < len(task_ids)  # some tasks are not the actor's to take

        def listed(per_page):
            got, page = [], 1
            while True:
                result = inbox.inbox(actor, page=page, per_page=per_page)
                assert result.total == len(expected)
                got += [r.task_id for r in result.rows]
                if page >= result.pages:
                    return got
                page += 1

        assert listed(5) == expected
        assert listed(100) == expected
        monkeypatch.setattr(inbox, "MERGE_DEPTH", 0)  # every page from the one sorted query
        assert listed(5) == expected
        monkeypatch.setattr(inbox, "MERGE_DEPTH", 400)
        red = inbox.inbox(actor, inbox.parse_filters({"light": "red"}), per_page=100)
        assert [r.task_id for r in red.rows] == [
            i for i in expected if Session.get(CaseTask, i).light == "red"
        ]
        named = inbox.inbox(actor, inbox.parse_filters({"q": "企业1"}), per_page=100)
        assert [r.applicant_name for r in named.rows] == [
            Session.get(CaseTask, i).case.applicant_name
            for i in expected
            if Session.get(CaseTask, i).case.applicant_name.startswith("企业1")
        ]
        assert named.rows  # the search found some
