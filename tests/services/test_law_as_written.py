"""The clock rules as the statutes write them, each through the real services and the real BPMN."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.models import Alert, AuditEvent, Case, CaseDocument, CaseNotice, Session
from app.services.auth import Actor
from app.services.cases import (
    renotify_special_procedure,
    submit_application,
    submit_supplement,
    withdraw_application,
)
from app.services.clocks import case_clocks
from app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.services.scheduled import apply_deemed_acceptance, expire_corrections
from app.services.tasks import complete_task
from tests.factories import actor, applicant_of, at, scenario

USERS = (
    "applicant",
    "env_clerk",
    "env_reviewer",
    "env_decider",
    "env_head",
    "tr_clerk",
    "tr_reviewer",
    "tr_decider",
    "tr_head",
)


@pytest.fixture
def people(app):
    with app.app_context():
        yield {u: actor(u) for u in USERS}
        Session.remove()


FIRST = {
    "eia_report_form": "accept_approve",
    "hazardous_waste_licence": "accept_inspect_approve",
    "road_freight_permit": "accept_approve",
    "road_cert_reissue": "issue",
}


def submit(people, day: str, slug: str = "eia_report_form") -> Case:
    application = scenario(slug, FIRST[slug])["application"]
    return submit_application(people["applicant"], slug, applicant_of(application), application, now=at(day))


def do(people, case: Case, bpmn_id: str, user: str, data: dict, day: str) -> Case:
    Session.refresh(case)
    task = next(t for t in case.tasks if t.bpmn_id == bpmn_id and t.state in ("ready", "claimed"))
    complete_task(people[user], task.id, data, now=at(day))
    Session.refresh(case)
    return case


def clock(case: Case, kind: str, on: str) -> dict:
    return next(c for c in case_clocks(case, date.fromisoformat(on)) if c["kind"] == kind)


def docs(case: Case) -> list[str]:
    """The documents after the receipt (every case has one from its filing)."""
    return list(
        Session.scalars(
            select(CaseDocument.kind)
            .where(CaseDocument.case_id == case.id, CaseDocument.kind != "receipt")
            .order_by(CaseDocument.id)
        )
    )


def notices(case: Case) -> list[str]:
    return list(
        Session.scalars(select(CaseNotice.event).where(CaseNotice.case_id == case.id).order_by(CaseNotice.id))
    )


REVIEW_EXPERT = {
    "review_outcome": "expert_review",
    "review_opinion": "送专家评审",
    "expert_review_reason": "需专家论证",
    "expected_duration_wd": 5,
}
ORGANISE = {
    "experts": [{"name": n, "specialty": "环评"} for n in ("甲", "乙", "丙")],
    "review_method": "meeting",
    "review_date": "2026-03-05",
    "applicant_notified": True,
}


def eia_in_expert_review(people) -> Case:
    case = submit(people, "2026-03-02")
    case = do(people, case, "accept", "env_clerk", {"accept_outcome": "accept"}, "2026-03-02")
    return do(people, case, "review", "env_reviewer", REVIEW_EXPERT, "2026-03-03")


# -- 行政许可法 第四十五条: the pause lasts as long as the applicant was told -------------------------


def test_a_special_procedure_within_its_notified_duration_pauses_the_decision_clocks(people):
    case = eia_in_expert_review(people)
    # promised: 10 WD after Mon 03-02 = 03-16; paused from 03-03 while the procedure runs
    assert case.status == "special_procedure" and case.clock_paused
    assert clock(case, "special_procedure", "2026-03-06")["deadline"] == "2026-03-10"  # 5 WD after Tue 03-03
    assert clock(case, "promised", "2026-03-06")["deadline"] == "2026-03-19"  # 3 paused WD (03-04..03-06)
    assert docs(case) == ["acceptance_notice", "special_procedure_notice"]


def test_a_special_procedure_past_its_notified_duration_turns_red_and_its_excess_counts(people):
    case = eia_in_expert_review(people)
    # on Mon 03-16 the procedure (told: 5 WD, to 03-10) runs 4 WD late
    special = clock(case, "special_procedure", "2026-03-16")
    assert (special["light"], special["overdue_wd"], special["notified_wd"]) == ("red", 4, 5)
    promised = clock(case, "promised", "2026-03-16")
    # the pause stops at the notified end 03-10: 5 paused WD, deadline 03-16 + 5 WD = 03-23, and the
    # 4 WD after 03-10 are used against the promised clock (1 before the procedure + 4 = 5 used)
    assert (promised["paused_wd"], promised["deadline"], promised["used_wd"]) == (5, "2026-03-23", 5)
    assert promised["paused"] is False


def test_a_further_written_notice_moves_the_end_of_the_pause(people):
    case = eia_in_expert_review(people)
    with pytest.raises(ValidationFailed):
        renotify_special_procedure(people["env_reviewer"], case.case_no, 5, "  ", now=at("2026-03-09"))
    with pytest.raises(NotFound):
        renotify_special_procedure(people["tr_reviewer"], case.case_no, 5, "专家请假", now=at("2026-03-09"))
    with pytest.raises(Forbidden):
        renotify_special_procedure(people["applicant"], case.case_no, 5, "专家请假", now=at("2026-03-09"))
    assert docs(case) == ["acceptance_notice", "special_procedure_notice"], "refused notices change nothing"
    renotify_special_procedure(
        people["env_reviewer"], case.case_no, 5, "一名专家回避，需另行抽取", now=at("2026-03-09")
    )
    Session.refresh(case)
    special = clock(case, "special_procedure", "2026-03-16")
    # the new end: 5 WD after Mon 03-09 = 03-16; no longer late
    assert (special["notified_end"], special["light"], special["notified_wd"]) == ("2026-03-16", "yellow", 5)
    assert clock(case, "promised", "2026-03-16")["paused"] is True
    assert (
        docs(case)[-1] == "special_procedure_notice" and notices(case)[-1] == "special_procedure_renotified"
    )
    renotice = Session.scalars(
        select(CaseDocument).where(CaseDocument.case_id == case.id).order_by(CaseDocument.id.desc())
    ).first()
    assert any("一名专家回避" in p for p in renotice.content["paragraphs"])


def test_a_further_notice_outside_a_special_procedure_is_refused(people):
    case = submit(people, "2026-03-02")
    case = do(people, case, "accept", "env_clerk", {"accept_outcome": "accept"}, "2026-03-02")
    with pytest.raises(Conflict):
        renotify_special_procedure(people["env_reviewer"], case.case_no, 5, "理由", now=at("2026-03-03"))


# -- 危险废物经营许可证管理办法 第九条: the site inspection is inside the 20 WD -------------------------


def test_the_site_inspection_is_a_review_step_that_does_not_pause_the_clock(people):
    case = submit(people, "2026-03-02", "hazardous_waste_licence")
    case = do(people, case, "accept", "env_clerk", {"accept_outcome": "accept"}, "2026-03-02")
    review = next(
        s
        for s in scenario("hazardous_waste_licence", "accept_inspect_approve")["steps"]
        if s.get("task") == "review"
    )
    case = do(people, case, "review", "env_reviewer", review["data"], "2026-03-03")
    inspection = next(t for t in case.tasks if t.bpmn_id == "site_inspection" and t.state == "ready")
    assert (case.status, case.clock_paused, inspection.special_procedure, inspection.limit_wd) == (
        "in_progress",
        False,
        None,
        3,
    )
    assert inspection.deadline == date(2026, 3, 6)  # 3 WD after Tue 03-03
    assert clock(case, "promised", "2026-03-05")["used_wd"] == 3  # the clock runs through the inspection
    assert "special_procedure_notice" not in docs(case)


# -- 行政许可法 第三十二条: one-time notice, deemed acceptance ---------------------------------------


CORRECT = {
    "accept_outcome": "correct",
    "deficient_materials": [{"material": "eia_report", "reason": "缺编制单位承诺"}],
}


def test_a_second_correction_may_only_concern_the_materials_just_supplemented(people):
    case = submit(people, "2026-03-02")
    case = do(people, case, "accept", "env_clerk", CORRECT, "2026-03-03")
    case_id = case.id
    submit_supplement(
        people["applicant"],
        case.case_no,
        {"materials": [{"material": "eia_report", "note": "已补"}]},
        now=at("2026-03-05"),
    )
    second = {
        "accept_outcome": "correct",
        "deficient_materials": [{"material": "application_letter", "reason": "申请书未盖章"}],
    }
    with pytest.raises(ValidationFailed) as exc:
        do(people, case, "accept", "env_clerk", second, "2026-03-06")
    assert exc.value.details[0]["field"] == "deficient_materials"
    assert "一次性告知" in exc.value.message and "建设项目环境影响报告表审批申请书" in exc.value.message
    Session.remove()
    case = Session.get(Case, case_id)
    assert case.status == "accepting" and docs(case) == ["correction_notice"], (
        "the refused notice changed nothing"
    )
    again = {
        "accept_outcome": "correct",
        "deficient_materials": [{"material": "eia_report", "reason": "承诺书未签字"}],
    }
    case = do(people, case, "accept", "env_clerk", again, "2026-03-06")
    assert case.status == "correcting" and docs(case) == ["correction_notice", "correction_notice"]


def test_deemed_acceptance_moves_the_case_on_with_a_marked_notice_that_reaches_the_applicant(people):
    case = submit(people, "2026-03-02")
    assert apply_deemed_acceptance(None, at("2026-03-10")) == [case.case_no]
    Session.refresh(case)
    assert case.status == "in_progress" and [t.bpmn_id for t in case.tasks if t.state == "ready"] == [
        "review"
    ]
    accept = next(t for t in case.tasks if t.bpmn_id == "accept")
    assert (accept.state, accept.completed_by_id) == ("completed", None)  # the law, not a person
    notice = Session.scalars(
        select(CaseDocument).where(CaseDocument.case_id == case.id, CaseDocument.kind != "receipt")
    ).one()
    assert notice.kind == "acceptance_notice" and notice.title == "受理通知书（视为受理）"
    assert notice.title == "受理通知书（视为受理）"
    assert any("即为受理" in p and "第三十二条" in p for p in notice.content["paragraphs"])
    told = Session.scalars(
        select(CaseNotice).where(CaseNotice.case_id == case.id).order_by(CaseNotice.id)
    ).all()
    assert [n.event for n in told] == ["submitted", "accepted_deemed"]
    assert told[-1].document_id == notice.id and "视为受理" in told[-1].title


# -- the applicant's correction deadline --------------------------------------------------------------


def test_an_expired_correction_deadline_withdraws_where_the_item_says_so(people):
    case = submit(people, "2026-03-02", "road_freight_permit")
    correct = {
        "accept_outcome": "correct",
        "deficient_materials": [
            {
                "material": scenario("road_freight_permit", "correct_once_approve")["steps"][0]["data"][
                    "deficient_materials"
                ][0]["material"],
                "reason": "缺",
            }
        ],
    }
    case = do(people, case, "accept", "tr_clerk", correct, "2026-03-02")
    deadline = case.clock_inputs["correction"][-1]["deadline"]
    assert deadline == "2026-04-14"  # 30 WD after 03-02 (清明 04-06 off)
    assert expire_corrections(None, at("2026-04-14")) == {"withdrawn": [], "alerted": []}
    assert expire_corrections(None, at("2026-04-15")) == {"withdrawn": [case.case_no], "alerted": []}
    Session.refresh(case)
    assert (case.status, case.light, case.deadline_kind) == ("withdrawn", None, None)
    # the case has ended: the applicant is then invited to rate it (好差评)
    assert docs(case)[-1] == "termination_notice"
    assert notices(case)[-2:] == ["withdrawn_deemed", "rating_invited"]
    assert all(c["stopped_on"] for c in case_clocks(case, date(2026, 4, 20)))
    audit = Session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id)).all()
    assert "case.deemed_withdrawn" in audit
    assert expire_corrections(None, at("2026-04-16")) == {"withdrawn": [], "alerted": []}


def test_an_expired_correction_deadline_alerts_the_window_by_default(people):
    case = submit(people, "2026-03-02")
    case = do(people, case, "accept", "env_clerk", CORRECT, "2026-03-02")
    assert expire_corrections(None, at("2026-04-15")) == {"withdrawn": [], "alerted": [case.case_no]}
    assert expire_corrections(None, at("2026-04-16")) == {"withdrawn": [], "alerted": []}, "once"
    alert = Session.scalars(select(Alert).where(Alert.case_id == case.id)).one()
    assert (alert.subject_kind, alert.level, alert.department_code, alert.state) == (
        "correction",
        "red",
        "env",
        "open",
    )
    Session.refresh(case)
    assert case.status == "correcting"
    submit_supplement(
        people["applicant"],
        case.case_no,
        {"materials": [{"material": "eia_report", "note": "已补"}]},
        now=at("2026-04-16"),
    )
    Session.refresh(alert)
    assert alert.state == "resolved", "the supplement answers the alert"


# -- 行政许可法 第四十二条: extensions approved by the head -------------------------------------------


def freight_waiting_for_extension(people, day: str = "2026-03-02") -> Case:
    case = submit(people, day, "road_freight_permit")
    case = do(people, case, "accept", "tr_clerk", {"accept_outcome": "accept"}, day)
    case = do(
        people,
        case,
        "review",
        "tr_reviewer",
        {"review_conclusion": "compliant", "review_opinion": "符合"},
        day,
    )
    ask = {
        "decision": "extend",
        "decision_reason": "延期",
        "extension_days": 10,
        "extension_reason": "需核查车辆",
    }
    return do(people, case, "decide", "tr_decider", ask, day)


def test_the_decider_who_asked_cannot_approve_the_extension(people):
    case = freight_waiting_for_extension(people)
    task = next(t for t in case.tasks if t.bpmn_id == "approve_extension" and t.state == "ready")
    case_id, task_id = case.id, task.id
    assert task.role == "head"
    with pytest.raises(Forbidden):
        complete_task(people["tr_decider"], task.id, {"extension_approved": True}, now=at("2026-03-03"))
    # a head who also holds the decider's role and asked for it himself is refused as well
    requester = people["tr_decider"]
    same_person = Actor(requester.id, requester.username, requester.display_name, "head", "transport")
    with pytest.raises(Forbidden, match="不能批准自己的申请"):
        complete_task(same_person, task.id, {"extension_approved": True}, now=at("2026-03-03"))
    Session.remove()
    assert Session.get(Case, case_id).extension_wd == 0
    complete_task(people["tr_head"], task_id, {"extension_approved": True}, now=at("2026-03-03"))
    case = Session.get(Case, case_id)
    assert case.extension_wd == 10 and docs(case)[-1] == "extension_notice"


def test_an_extension_beyond_what_the_law_leaves_is_refused(people):
    case = freight_waiting_for_extension(people)
    task = next(t for t in case.tasks if t.bpmn_id == "approve_extension" and t.state == "ready")
    complete_task(people["tr_head"], task.id, {"extension_approved": True}, now=at("2026-03-03"))
    Session.refresh(case)
    case_id = case.id
    again = {
        "decision": "extend",
        "decision_reason": "再延期",
        "extension_days": 1,
        "extension_reason": "仍需核查",
    }
    with pytest.raises(ValidationFailed, match="不能再延长"):
        do(people, case, "decide", "tr_decider", again, "2026-03-04")
    Session.remove()
    assert Session.get(Case, case_id).status == "in_progress"


# -- 行政许可法 第四十四条: delivery -------------------------------------------------------------------


def freight_decided(people) -> Case:
    case = submit(people, "2026-03-02", "road_freight_permit")
    case = do(people, case, "accept", "tr_clerk", {"accept_outcome": "accept"}, "2026-03-02")
    case = do(
        people,
        case,
        "review",
        "tr_reviewer",
        {"review_conclusion": "compliant", "review_opinion": "符合"},
        "2026-03-03",
    )
    return do(
        people, case, "decide", "tr_decider", {"decision": "approve", "decision_reason": "符合"}, "2026-03-04"
    )


DELIVERY = {
    "result_number": "闽交运管许可厦字350206000001号",
    "issue_date": "2026-03-05",
    "valid_until": "2030-03-04",
    "delivery_method": "post",
    "delivered_on": "2026-03-06",
    "recipient": "林晓燕",
}


def test_delivery_records_method_date_and_recipient_stops_its_clock_and_issues_a_proof(people):
    case = freight_decided(people)
    assert (case.status, case.deadline_kind, case.deadline) == ("decided", "delivery", date(2026, 3, 18))
    case = do(people, case, "issue_result", "tr_clerk", DELIVERY, "2026-03-09")
    assert (case.status, case.delivered_on, case.light, case.used_wd) == (
        "completed",
        date(2026, 3, 6),
        None,
        2,
    )
    delivery = clock(case, "delivery", "2026-03-30")
    assert (delivery["stopped_on"], delivery["used_wd"], delivery["light"]) == ("2026-03-06", 2, None)
    receipt = Session.scalars(
        select(CaseDocument).where(CaseDocument.case_id == case.id, CaseDocument.kind == "delivery_receipt")
    ).one()
    text = "".join(receipt.content["paragraphs"]) + "".join(v for _label, v in receipt.content["rows"])
    assert "邮寄送达" in text and "林晓燕" in text and "2026年3月6日" in text
    # a completed case shows final figures: nothing runs on a later day
    later = {c["kind"]: c for c in case_clocks(case, date(2026, 6, 1))}
    assert later["promised"]["used_wd"] == clock(case, "promised", "2026-03-09")["used_wd"] == 2
    assert all(c["light"] is None and c["stopped_on"] for c in later.values())


@pytest.mark.parametrize(
    ("delivered_on", "words"), [("2026-03-10", "不能晚于今天"), ("2026-03-03", "不能早于作出决定之日")]
)
def test_a_delivery_date_in_the_future_or_before_the_decision_is_refused(people, delivered_on, words):
    case = freight_decided(people)
    case_id = case.id
    with pytest.raises(ValidationFailed, match=words):
        do(people, case, "issue_result", "tr_clerk", {**DELIVERY, "delivered_on": delivered_on}, "2026-03-09")
    Session.remove()
    case = Session.get(Case, case_id)
    assert (case.status, case.delivered_on) == ("decided", None)
    assert "delivery_receipt" not in docs(case)


# -- the immediate public-service item -------------------------------------------------------------


def test_the_certificate_reissue_has_only_its_same_day_clock(people):
    case = submit(people, "2026-03-02", "road_cert_reissue")
    assert [c["kind"] for c in case_clocks(case, date(2026, 3, 2))] == ["promised"]
    assert clock(case, "promised", "2026-03-02")["deadline"] == "2026-03-02"
    case = do(
        people,
        case,
        "handle",
        "tr_clerk",
        {"outcome": "issue", "result_number": "350206123987"},
        "2026-03-02",
    )
    assert (case.status, case.delivered_on, case.outcome) == ("completed", date(2026, 3, 2), "issued")
    assert docs(case) == ["delivery_receipt"], "a public service issues no licensing decision"


# -- withdrawal by the applicant --------------------------------------------------------------------


def test_the_applicant_withdraws_before_the_decision_and_not_after(people):
    case = submit(people, "2026-03-02")
    case = do(people, case, "accept", "env_clerk", {"accept_outcome": "accept"}, "2026-03-02")
    with pytest.raises(ValidationFailed):
        withdraw_application(people["applicant"], case.case_no, " ", now=at("2026-03-03"))
    with pytest.raises(NotFound):  # another department's clerk does not even see the case
        withdraw_application(people["tr_clerk"], case.case_no, "代为撤回", now=at("2026-03-03"))
    withdraw_application(people["applicant"], case.case_no, "项目取消", now=at("2026-03-03"))
    Session.refresh(case)
    assert (case.status, case.light) == ("withdrawn", None)
    assert not [t for t in case.tasks if t.state in ("ready", "claimed")]
    assert docs(case)[-1] == "termination_notice"
    assert notices(case)[-2:] == ["withdrawn", "rating_invited"]  # the invitation to rate follows the end
    decided = freight_decided(people)
    with pytest.raises(Conflict):
        withdraw_application(people["applicant"], decided.case_no, "不要了", now=at("2026-03-05"))
