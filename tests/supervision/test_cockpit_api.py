"""Cockpit figures on a known data set, and the supervision JSON API (authorisation, bad input)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from app.models import Case, CaseTask, ServiceItem, Session, SupervisionOrder, User
from app.services import cockpit, heatmap
from app.services.auth import Actor
from app.services.errors import ValidationFailed
from app.services.summary import rebuild_summary
from tests.api.openapi_check import conforms
from tests.supervision.conftest import CST, at, submit

MARCH = cockpit.Period(date(2026, 3, 1), date(2026, 4, 1))


def add_case(
    slug: str,
    status: str,
    light: str | None = None,
    *,
    submitted: str = "2026-03-02",
    completed: str | None = None,
    used: int | None = None,
    extension: int = 0,
    deadline: str | None = None,
    confirmed: bool = True,
) -> Case:
    item = Session.scalar(select(ServiceItem).where(ServiceItem.slug == slug))
    case = Case(
        item_id=item.id,
        process_version=item.current_version,
        department_code=item.department_code,
        applicant_kind="person",
        applicant_name="测试",
        applicant_id_no="11010519491231002X",
        status=status,
        state="",
        state_format="test",
        submitted_at=at(submitted),
        light=light,
        used_wd=used,
        extension_wd=extension,
        completed_at=at(completed) if completed else None,
        deadline_confirmed=confirmed,
        deadline=date.fromisoformat(deadline) if deadline else None,
    )
    Session.add(case)
    Session.flush()
    case.case_no = f"TB{case.id:010d}"
    return case


@pytest.fixture
def known(app):
    with app.app_context():
        add_case("eia_report_form", "in_progress", "green")
        add_case("eia_report_form", "accepting", "green", confirmed=False)
        add_case("eia_report_form", "in_progress", "yellow")
        add_case("eia_report_form", "in_progress", "red", deadline="2026-03-10")
        add_case("road_freight_permit", "correcting", "red", deadline="2026-03-05")
        add_case("eia_report_form", "completed", None, completed="2026-03-20", used=8)  # promised 10: on time
        add_case(
            "eia_report_form", "completed", None, completed="2026-03-25", used=12, extension=1
        )  # 12 > 11: late
        add_case("road_cert_reissue", "completed", None, completed="2026-03-02", used=0)  # 即办件, same day
        add_case(
            "road_freight_permit", "completed", None, submitted="2026-02-02", completed="2026-02-20", used=3
        )  # February
        Session.commit()
        rebuild_summary()  # rows written directly, not through the case events: the summary is rebuilt
        Session.remove()
    # no app context is held: each API request of the test client gets its own (and its own acting user)


def test_the_cockpit_counts_lights_items_departments_and_unconfirmed_deadlines(known, people):
    sup = people["supervisor"]
    assert cockpit.by_light(sup) == {"green": 2, "yellow": 1, "red": 2, "none": 0, "total": 5}
    items = {r["slug"]: (r["green"], r["yellow"], r["red"]) for r in cockpit.by_item(sup)}
    assert items == {
        "eia_report_form": (2, 1, 1),
        "road_freight_permit": (0, 0, 1),
        "road_dangerous_goods_transport": (0, 0, 0),
        "road_cert_reissue": (0, 0, 0),
        "hazardous_waste_licence": (0, 0, 0),
        "hazardous_waste_transport_joint": (0, 0, 0),
    }
    depts = {r["department_code"]: r["total"] for r in cockpit.by_department(sup)}
    assert depts == {
        "admin": 0,
        "centre": 0,
        "env": 4,
        "fj_env": 0,
        "fj_transport": 0,
        "transport": 1,
        "xm_transport": 0,
    }  # centre: the service centre's windows
    assert cockpit.unconfirmed_waiting(sup) == 1


def test_the_cockpit_rates_on_time_completion_used_days_and_immediate_share(known, people):
    perf = cockpit.performance(people["supervisor"], MARCH)
    assert (perf["completed"], perf["on_time"], perf["on_time_rate"]) == (3, 2, round(2 / 3, 4))
    assert perf["avg_used_wd"] == round((8 + 12 + 0) / 3, 2) and perf["avg_promised_wd"] == round(
        (10 + 11 + 0) / 3, 2
    )
    assert (perf["submitted"], perf["immediate"], perf["immediate_share"]) == (8, 1, 0.125)


def test_the_overdue_list_shows_open_red_cases_most_overdue_first(known, people):
    result = cockpit.overdue(people["supervisor"])
    assert result["total"] == 2 and [r["deadline"] for r in result["rows"]] == ["2026-03-05", "2026-03-10"]
    assert cockpit.overdue(people["supervisor"], department="env")["total"] == 1


def test_trends_bucket_by_week_and_month(known, people):
    months = cockpit.trends(people["supervisor"], date(2026, 3, 31), "month", 2)
    assert [(m["label"], m["submitted"], m["completed"], m["on_time"]) for m in months] == [
        ("2026-02", 1, 1, 1),
        ("2026-03", 8, 3, 2),
    ]
    weeks = cockpit.trends(people["supervisor"], date(2026, 3, 27), "week", 4)
    assert [w["start"] for w in weeks] == ["2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23"]
    assert [w["completed"] for w in weeks] == [1, 0, 1, 1] and weeks[0]["submitted"] == 8


def _task(case, bpmn_id, name, created, completed=None):
    Session.add(
        CaseTask(
            case_id=case.id,
            spiff_task_id=f"x-{bpmn_id}",
            bpmn_id=bpmn_id,
            name=name,
            role="reviewer",
            department_code="env",
            state="completed" if completed else "ready",
            form="review.json",
            created_at=created,
            completed_at=completed,
        )
    )


def test_the_heat_map_counts_waiting_working_days_per_step_and_per_subprocess(people):
    case = submit(people, "2026-03-02")
    task = next(t for t in case.tasks if t.bpmn_id == "accept")
    # Thu 5 March → Wed 11 March: six calendar days, four working days (the weekend does not count)
    task.created_at = datetime(2026, 3, 5, 10, tzinfo=CST)
    task.completed_at, task.state = datetime(2026, 3, 11, 9, tzinfo=CST), "completed"
    _task(case, "review", "审查", datetime(2026, 3, 12, 16, tzinfo=CST))  # still open on Fri 13: 1 WD
    _task(  # a step inside the expert-review subprocess: Mon 9 → Wed 11 March, 2 WD
        case,
        "record_expert_opinion",
        "记录专家评审意见",
        datetime(2026, 3, 9, 9, tzinfo=CST),
        datetime(2026, 3, 11, 17, tzinfo=CST),
    )
    Session.commit()
    rebuild_summary()  # the rows above were written past the case events
    now = datetime(2026, 3, 13, 16, tzinfo=CST)
    heat = heatmap.heatmap(people["supervisor"], "eia_report_form", now, days=30)
    steps = {s["bpmn_id"]: (s["kind"], s["avg_wd"], s["open"], s["heat"]) for s in heat["steps"]}
    assert steps == {
        "accept": ("task", 4.0, 0, "red"),
        "review": ("task", 1.0, 1, "green"),
        "expert_review_procedure": ("call", 2.0, 0, "yellow"),  # the call activity sums its inside
    }
    assert heat["process"] == "eia_report_form" and 'id="eia_report_form"' in heat["bpmn"]
    sub = heatmap.heatmap(
        people["supervisor"], "eia_report_form", now, days=30, process="eia_report_form_expert_review"
    )
    assert [(s["bpmn_id"], s["avg_wd"], s["heat"]) for s in sub["steps"]] == [
        ("record_expert_opinion", 2.0, "red")
    ]
    assert 'id="eia_report_form_expert_review"' in sub["bpmn"] and sub["main_process"] == "eia_report_form"
    with pytest.raises(ValidationFailed):
        heatmap.heatmap(people["supervisor"], "eia_report_form", now, process="road_freight_permit")


def test_the_heat_map_counts_days_on_the_shanghai_calendar_not_utc(people):
    """Opened Mon 9 March 07:00 in Shanghai (Sunday 23:00 UTC), done at 10:00 the same Shanghai day:
    0 WD waited (counted on UTC days it would be Sunday → Monday, 1 WD); many tasks of one day pair
    average like one."""
    case = submit(people, "2026-03-02")
    for n in range(3):
        _task(
            case,
            "review",
            "审查",
            datetime(2026, 3, 9, 7, n, tzinfo=CST),
            datetime(2026, 3, 9, 10, tzinfo=CST),
        )
    _task(
        case, "review", "审查", datetime(2026, 3, 9, 7, 30, tzinfo=CST), datetime(2026, 3, 13, 10, tzinfo=CST)
    )
    Session.commit()
    rebuild_summary()  # the rows above were written past the case events
    heat = heatmap.heatmap(
        people["supervisor"], "eia_report_form", datetime(2026, 3, 13, 16, tzinfo=CST), days=30
    )
    review = next(s for s in heat["steps"] if s["bpmn_id"] == "review")
    assert (review["tasks"], review["open"], review["avg_wd"]) == (4, 0, 1.0)  # (0 + 0 + 0 + 4) / 4
    accept = next(s for s in heat["steps"] if s["bpmn_id"] == "accept")  # the case's own step, open
    assert (accept["tasks"], accept["open"]) == (1, 1)


# -- the API -------------------------------------------------------------------------------------


@pytest.fixture
def staff(app):
    """The demo users as actors, without holding an app context (API requests must get their own)."""
    with app.app_context():
        out = {u.username: Actor.of(u) for u in Session.scalars(select(User))}
        Session.remove()
    yield out
    Session.remove()


def test_only_supervisors_read_the_cockpit_api(api, known):
    assert api.get("/supervision/summary?month=2026-03", "supervisor").get_json()["by_light"]["red"] == 2
    assert api.get("/supervision/summary", "env_decider").status_code == 403
    assert api.get("/supervision/summary").status_code == 401
    assert api.get("/supervision/overdue", "supervisor").get_json()["total"] == 2


@pytest.mark.parametrize(
    "path",
    [
        "/supervision/summary?month=2026-13",
        "/supervision/overdue?limit=abc",
        "/supervision/trends?unit=day",
        "/supervision/trends?periods=0",
        "/supervision/alerts?state=bogus",
        "/supervision/heatmap/eia_report_form?days=-1",
    ],
)
def test_bad_query_parameters_get_422_naming_the_field(api, path):
    resp = api.get(path, "supervisor")
    assert resp.status_code == 422 and resp.get_json()["error"]["details"][0]["field"]


def test_orders_through_the_api(api, staff):
    case = submit(staff, "2026-03-02")
    Session.remove()
    bad = api.post(
        "/supervision/orders",
        "supervisor",
        json={"case_no": case.case_no, "instruction": "请回复", "reply_wd": "3"},
    )
    assert bad.status_code == 422 and bad.get_json()["error"]["details"][0]["field"] == "reply_wd"
    assert (
        api.post(
            "/supervision/orders",
            "env_decider",
            json={"case_no": case.case_no, "instruction": "x", "reply_wd": 3},
        ).status_code
        == 403
    )
    assert (
        api.post(
            "/supervision/orders",
            "supervisor",
            json={"case_no": "TB-NOPE", "instruction": "x", "reply_wd": 3},
        ).status_code
        == 404
    )
    assert (
        api.post(
            "/supervision/orders", "supervisor", data="not json", content_type="application/json"
        ).status_code
        == 422
    )
    assert Session.scalar(select(SupervisionOrder)) is None
    Session.remove()
    created = api.post(
        "/supervision/orders",
        "supervisor",
        json={"case_no": case.case_no, "instruction": "请说明", "reply_wd": 3},
    )
    assert created.status_code == 201
    conforms(api, "post", "/supervision/orders", created)
    order = created.get_json()
    for path in ("/supervision/orders", f"/supervision/orders/{order['id']}"):
        conforms(api, "get", path, api.get(path, "supervisor"))
    assert [o["id"] for o in api.get("/supervision/orders", "env_clerk").get_json()["orders"]] == [
        order["id"]
    ]
    assert api.get(f"/supervision/orders/{order['id']}", "tr_clerk").status_code == 404
    assert (
        api.post(f"/supervision/orders/{order['id']}/reply", "env_decider", json={"reply": ""}).status_code
        == 422
    )
    done = api.post(f"/supervision/orders/{order['id']}/reply", "env_decider", json={"reply": "已处理"})
    assert done.status_code == 200 and done.get_json()["state"] == "replied"
    conforms(api, "post", f"/supervision/orders/{order['id']}/reply", done)
    conforms(api, "get", "/supervision/notifications", api.get("/supervision/notifications", "env_clerk"))
    assert (
        api.post(
            f"/supervision/orders/{order['id']}/reply", "env_decider", json={"reply": "again"}
        ).status_code
        == 409
    )
    inbox = api.get("/supervision/notifications", "env_clerk").get_json()
    assert inbox["unread"] == 1 and inbox["notifications"][0]["kind"] == "order"
    nid = inbox["notifications"][0]["id"]
    assert api.post(f"/supervision/notifications/{nid}/read", "env_decider").status_code == 404
    assert api.post(f"/supervision/notifications/{nid}/read", "env_clerk").status_code == 204
    assert api.get("/supervision/notifications", "env_clerk").get_json()["unread"] == 0


def test_alerts_through_the_api(api, staff):
    from app.services import alerts

    submit(staff, "2026-03-02")
    alerts.sweep(None, at("2026-03-05"))
    Session.remove()
    rows = api.get("/supervision/alerts?level=red", "supervisor").get_json()["alerts"]
    assert [(a["subject_kind"], a["level"], a["state"]) for a in rows] == [("task", "red", "open")]
    assert api.get("/supervision/alerts", "tr_decider").get_json()["alerts"] == []
    assert (
        api.post(f"/supervision/alerts/{rows[0]['id']}/acknowledge", "tr_decider", json={}).status_code == 404
    )
    ack = api.post(f"/supervision/alerts/{rows[0]['id']}/acknowledge", "env_decider", json={"note": "已催办"})
    assert ack.status_code == 200 and ack.get_json()["state"] == "acknowledged"
    conforms(api, "post", f"/supervision/alerts/{rows[0]['id']}/acknowledge", ack)
    conforms(api, "get", "/supervision/alerts", api.get("/supervision/alerts", "supervisor"))
    conforms(api, "get", "/supervision/cards", api.get("/supervision/cards", "supervisor"))
    assert (
        api.post(f"/supervision/alerts/{rows[0]['id']}/acknowledge", "env_decider", json={}).status_code
        == 409
    )
    assert api.get("/supervision/cards", "supervisor").get_json() == {"cards": []}


def test_the_cockpit_answers_match_the_openapi_document(api, known):
    for path in (
        "/supervision/summary?month=2026-03",
        "/supervision/overdue",
        "/supervision/trends?unit=month&periods=3",
        "/supervision/heatmap/eia_report_form",
    ):
        resp = api.get(path, "supervisor")
        assert resp.status_code == 200, path
        conforms(api, "get", path, resp)
