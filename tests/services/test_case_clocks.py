"""The legal clock wired into cases: hand-computed deadlines across the 2026 calendar (frozen time)."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest
from sqlalchemy import select

from app.models import AuditEvent, CalendarDay, Case, Session
from app.services import calendar as calendar_service
from app.services.cases import submit_application, submit_supplement
from app.services.clocks import case_clocks, refresh_lights
from app.services.errors import Conflict, Forbidden
from app.services.scheduled import apply_deemed_acceptance
from app.services.tasks import complete_task
from tests.factories import actor, applicant_of, at, scenario


@pytest.fixture
def people(app):
    with app.app_context():
        yield {u: actor(u) for u in ("applicant", "env_clerk", "env_reviewer", "env_decider", "admin")}
        Session.remove()


def submit(people, day: str, slug: str = "eia_report_form") -> Case:
    name = "accept_inspect_approve" if slug == "hazardous_waste_licence" else "accept_approve"
    application = scenario(slug, name)["application"]
    return submit_application(people["applicant"], slug, applicant_of(application), application, now=at(day))


def do(people, case: Case, bpmn_id: str, user: str, data: dict, day: str) -> Case:
    Session.refresh(case)
    task = next(t for t in case.tasks if t.bpmn_id == bpmn_id and t.state in ("ready", "claimed"))
    complete_task(people[user], task.id, data, now=at(day))
    Session.refresh(case)
    return case


def clock(case: Case, kind: str, on: str) -> dict:
    return next(c for c in case_clocks(case, date.fromisoformat(on)) if c["kind"] == kind)


def test_acceptance_clock_spans_the_spring_festival(people):
    case = submit(people, "2026-02-12")
    # 5 WD after Thu 02-12: Fri 13, Sat 14 (make-up), [holiday 15–23], Tue 24, Wed 25, Thu 26
    assert (case.received_on, case.deadline, case.deadline_kind, case.light) == (
        date(2026, 2, 12),
        date(2026, 2, 26),
        "acceptance",
        "green",
    )
    accept = next(t for t in case.tasks if t.bpmn_id == "accept")
    assert accept.limit_wd == 2 and accept.deadline == date(2026, 2, 14)  # Fri 13, Sat 14 (make-up)


def test_promised_clock_starts_at_acceptance_and_the_eia_statutory_clock_at_receipt(people):
    case = submit(people, "2026-02-12")
    case = do(people, case, "accept", "env_clerk", {"accept_outcome": "accept"}, "2026-02-13")
    # 10 WD after Fri 02-13: 14(Sat make-up) 24 25 26 27 28(Sat make-up) 3/2 3/3 3/4 3/5
    assert (case.accepted_on, case.deadline_kind, case.deadline) == (
        date(2026, 2, 13),
        "promised",
        date(2026, 3, 5),
    )
    # 环境影响评价法 第二十二条: 30 days "自收到环境影响报告表之日起" — from receipt on Thu 02-12:
    # 02-13, 02-14 (Sat make-up), 02-24..02-28 (28 is a make-up Saturday) = 7 in February,
    # 22 in March, 04-01 = the 30th.
    assert case.statutory_deadline == date(2026, 4, 1)
    assert clock(case, "statutory", "2026-02-13")["start"] == "2026-02-12"
    assert clock(case, "promised", "2026-02-13")["start"] == "2026-02-13"
    assert clock(case, "acceptance", "2026-02-13")["stopped_on"] == "2026-02-13"


def test_statutory_clock_starts_at_acceptance_where_the_statute_says_so(people):
    case = submit(people, "2026-02-12", slug="road_freight_permit")
    transport = {u: actor(u) for u in ("tr_clerk",)}
    Session.refresh(case)
    task = next(t for t in case.tasks if t.bpmn_id == "accept")
    complete_task(transport["tr_clerk"], task.id, {"accept_outcome": "accept"}, now=at("2026-02-13"))
    Session.refresh(case)
    # 道路运输条例 第二十四条: 20 days "自受理申请之日起" — from Fri 02-13 (02-14 and 02-28 are make-up Saturdays)
    assert clock(case, "statutory", "2026-02-13")["start"] == "2026-02-13"
    assert case.statutory_deadline == date(2026, 3, 19)


def test_correction_wait_does_not_count_and_acceptance_restarts_on_supplement(people):
    case = submit(people, "2026-03-02")
    data = {
        "accept_outcome": "correct",
        "deficient_materials": [{"material": "eia_report", "reason": "缺签章"}],
    }
    case = do(people, case, "accept", "env_clerk", data, "2026-03-03")
    assert (case.status, case.light, case.clock_paused, case.deadline_kind) == (
        "correcting",
        None,
        True,
        "correction_wait",
    )
    submit_supplement(
        people["applicant"],
        case.case_no,
        {"materials": [{"material": "eia_report", "note": "已补"}]},
        now=at("2026-03-20"),
    )
    Session.refresh(case)
    assert (case.deadline_kind, case.deadline) == ("acceptance", date(2026, 3, 27))  # 5 WD after Fri 03-20
    waits = [c for c in case_clocks(case, date(2026, 3, 20)) if c["kind"] == "correction_wait"]
    assert waits[0]["start"] == "2026-03-03" and waits[0]["stopped_on"] == "2026-03-20"


def test_special_procedure_pauses_the_decision_clock_by_its_working_days(people):
    case = submit(people, "2026-03-02")
    case = do(people, case, "accept", "env_clerk", {"accept_outcome": "accept"}, "2026-03-02")
    assert case.deadline == date(2026, 3, 16)
    review = {
        "review_outcome": "expert_review",
        "expert_review_reason": "需专家论证",
        "expected_duration_wd": 10,
        "review_opinion": "送专家评审",
    }
    case = do(people, case, "review", "env_reviewer", review, "2026-03-04")
    assert case.status == "special_procedure" and case.clock_paused
    step = scenario("eia_report_form", "expert_review_approve")["steps"]
    organise = next(s for s in step if s.get("task") == "organise_expert_review")["data"]
    opinion = next(s for s in step if s.get("task") == "record_expert_opinion")["data"]
    case = do(people, case, "organise_expert_review", "env_reviewer", organise, "2026-03-06")
    case = do(people, case, "record_expert_opinion", "env_reviewer", opinion, "2026-03-11")
    # paused (03-04, 03-11] = 5 WD, so the promised deadline moves from 03-16 to 03-23
    assert (case.clock_paused, case.deadline) == (False, date(2026, 3, 23))
    special = clock(case, "special_procedure", "2026-03-11")
    assert (special["start"], special["stopped_on"], special["code"]) == (
        "2026-03-04",
        "2026-03-11",
        "expert_review",
    )
    assert special["limit_wd"] == 10  # the expected duration the applicant was told in writing
    assert clock(case, "promised", "2026-03-11")["paused_wd"] == 5


def test_approved_extension_adds_working_days(people):
    env = {u: actor(u) for u in ("env_head",)}
    case = submit(people, "2026-03-02", slug="hazardous_waste_licence")
    case = do(people, case, "accept", "env_clerk", {"accept_outcome": "accept"}, "2026-03-02")
    review = next(
        s
        for s in scenario("hazardous_waste_licence", "accept_inspect_approve")["steps"]
        if s.get("task") == "review"
    )
    case = do(people, case, "review", "env_reviewer", review["data"], "2026-03-03")
    inspection = next(
        s
        for s in scenario("hazardous_waste_licence", "accept_inspect_approve")["steps"]
        if s.get("task") == "site_inspection"
    )
    case = do(people, case, "site_inspection", "env_reviewer", inspection["data"], "2026-03-03")
    ext = {
        "decision": "extend",
        "decision_reason": "情况复杂",
        "extension_days": 5,
        "extension_reason": "需补充论证",
    }
    case = do(people, case, "decide", "env_decider", ext, "2026-03-04")
    people["env_head"] = env["env_head"]
    case = do(people, case, "approve_extension", "env_head", {"extension_approved": True}, "2026-03-05")
    # promised 7 WD after Mon 03-02 = 03-11, plus 5 = 03-18
    assert (case.extension_wd, case.deadline) == (5, date(2026, 3, 18))
    assert clock(case, "promised", "2026-03-05")["extensions"][0]["days"] == 5
    assert clock(case, "statutory", "2026-03-05")["limit_wd"] == 25


def test_decision_starts_the_delivery_clock(people):
    case = submit(people, "2026-03-02")
    case = do(people, case, "accept", "env_clerk", {"accept_outcome": "accept"}, "2026-03-02")
    case = do(
        people,
        case,
        "review",
        "env_reviewer",
        {"review_outcome": "pass", "review_conclusion": "compliant", "review_opinion": "符合"},
        "2026-03-03",
    )
    case = do(
        people,
        case,
        "decide",
        "env_decider",
        {"decision": "approve", "decision_reason": "符合法定条件"},
        "2026-03-04",
    )
    assert (case.deadline_kind, case.deadline, case.decided_on) == (
        "delivery",
        date(2026, 3, 18),
        date(2026, 3, 4),
    )


def test_lights_turn_yellow_then_red_as_days_pass(people):
    case = submit(people, "2026-03-02")
    case = do(people, case, "accept", "env_clerk", {"accept_outcome": "accept"}, "2026-03-02")
    refresh_lights(date(2026, 3, 5))
    Session.refresh(case)
    assert case.light == "green" and case.remaining_wd == 7
    refresh_lights(date(2026, 3, 12))  # 8 of 10 used: 80 % consumed (item threshold)
    Session.refresh(case)
    assert case.light == "yellow"
    refresh_lights(date(2026, 3, 17))
    Session.refresh(case)
    assert case.light == "red" and case.remaining_wd == -1
    red = Session.scalars(
        select(Case.case_no).where(Case.department_code == "env", Case.light == "red")
    ).all()
    assert red == [case.case_no]


def test_no_answer_within_five_working_days_means_deemed_accepted(people):
    case = submit(people, "2026-03-02")
    accept = next(t for t in case.tasks if t.bpmn_id == "accept")
    assert apply_deemed_acceptance(None, at("2026-03-09")) == []  # the 5th WD itself is still in time
    assert apply_deemed_acceptance(None, at("2026-03-10")) == [case.case_no]
    Session.refresh(case)
    assert (case.deemed_accepted, case.accepted_on, case.deadline_kind, case.deadline, case.status) == (
        True,
        date(2026, 3, 2),
        "promised",
        date(2026, 3, 16),
        "in_progress",
    )
    assert [t.bpmn_id for t in case.tasks if t.state == "ready"] == ["review"]
    actions = Session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id)).all()
    assert "case.deemed_accepted" in actions
    # the clerk who opened the acceptance step before the law decided cannot complete it any more
    with pytest.raises(Conflict):
        complete_task(
            people["env_clerk"],
            accept.id,
            {"accept_outcome": "refuse", "refuse_reason": "x", "remedy_rights": "y"},
            now=at("2026-03-11"),
        )
    assert apply_deemed_acceptance(None, at("2026-03-11")) == []


def test_deadline_in_an_unconfirmed_year_is_flagged_and_redated_when_the_year_is_imported(
    people, restore_calendar
):
    case = submit(people, "2026-12-21")
    case = do(people, case, "accept", "env_clerk", {"accept_outcome": "accept"}, "2026-12-21")
    assert (case.deadline, case.deadline_confirmed) == (date(2027, 1, 4), False)  # weekends only in 2027
    with pytest.raises(Forbidden):
        calendar_service.import_year(
            people["env_clerk"], {"year": 2027, "source": "x", "holidays": [{"date": "2027-01-01"}]}
        )
    result = calendar_service.import_year(
        people["admin"],
        {
            "year": 2027,
            "source": "国办发明电〔2026〕测试号",
            "holidays": [{"date": "2027-01-01", "name": "元旦"}],
        },
    )
    Session.refresh(case)
    assert result["cases_changed"] >= 1
    assert (case.deadline, case.deadline_confirmed) == (date(2027, 1, 5), True)
    audit = Session.scalars(select(AuditEvent).where(AuditEvent.action == "calendar.import")).one()
    assert audit.after["cases_redated"] >= 1 and audit.actor_name == "admin"


def test_seeded_calendar_agrees_with_the_package_day_by_day(app):
    with app.app_context():
        cal = calendar_service.get_calendar()
        years = {y["year"] for y in calendar_service.confirmed_years()}
        assert years >= set(range(2004, 2027))
        day = date(2004, 1, 1)
        while day <= date(2026, 12, 31):
            assert cal.is_workday(day) == chinese_calendar.is_workday(day), day
            day += timedelta(days=1)
        assert not cal.is_year_confirmed(2027)
        Session.remove()


def test_editing_a_day_is_admin_only_and_audited(people, restore_calendar):
    with pytest.raises(Forbidden):
        calendar_service.set_day(people["env_clerk"], date(2026, 3, 9), False, "测试")
    calendar_service.set_day(people["admin"], date(2026, 3, 9), False, "临时休假")
    assert calendar_service.get_calendar().is_workday(date(2026, 3, 9)) is False
    calendar_service.set_day(people["admin"], date(2026, 3, 9), True, None)
    assert Session.scalar(select(CalendarDay.source).where(CalendarDay.day == date(2026, 3, 9))) == "admin"
    assert len(Session.scalars(select(AuditEvent).where(AuditEvent.action == "calendar.day")).all()) == 2
