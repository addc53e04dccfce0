"""The master's Art. 45 pause (《行政许可法》第四十五条 with 第四十二条第二款): while a component runs a special
procedure the master's promised and statutory clocks stand still, by exactly the working days of the
procedure; overlapping procedures of two components count once. Real database, real BPMN (the environment
licence's optional expert review), the component slugs read from the catalogue (tests/joint/parts.py)."""

from __future__ import annotations

from datetime import date

import yaml
from sqlalchemy import select

from app.models import AuditEvent, Case, CaseNotice, Session
from app.services import clocks, joint
from app.services.notices import notice_text
from app.services.tasks import complete_task
from app.services.workdays import get_calendar
from tests.factories import actor
from tests.joint.harness import SLUG, WINDOW, day_of, id_check, moment, scenarios, streams
from tests.joint.parts import components, others, user_of, with_expert_review
from tests.processes.scenarios import PROCESSES

SCENARIO = dict(scenarios())["both_approve"]  # an application with every component's part
ENV = with_expert_review()
EXPERT = {
    s["task"]: s["data"]
    for s in yaml.safe_load(
        (PROCESSES / ENV / "scenarios" / "expert_review_approve.yaml").read_text(encoding="utf-8")
    )["steps"]
}
REVIEW = {
    "review_conclusion": "expert_review",
    "review_opinion": "处置工艺需专家论证。",
    "expert_review_reason": "再生利用工艺的污染防治措施需组织专家技术评审。",
    "expected_duration_wd": 10,
}
SEND_BACK = {"decision": "send_back", "send_back_reason": "请就专家意见中的修改要求再次组织评审。"}


def step_data(slug: str, task: str) -> dict:
    return next(s["data"] for s in SCENARIO["steps"] if s.get("component") == slug and s["task"] == task)


def part(master: Case, slug: str) -> Case:
    child = next(c for c in joint.components_of(master) if c.item.slug == slug)
    Session.refresh(child)
    return child


def act(username: str, case: Case, bpmn_id: str, data: dict, i: int) -> None:
    Session.refresh(case)
    task = next(t for t in case.tasks if t.bpmn_id == bpmn_id and t.state in ("ready", "claimed"))
    complete_task(actor(username), task.id, data, now=moment(i))


def accepted_master() -> Case:
    """Filed on day 0, every department accepts its part on day 1, the window accepts on day 2."""
    master = joint.file_joint_application(
        actor(WINDOW),
        SLUG,
        SCENARIO["application"],
        streams(SCENARIO["materials"]),
        id_check=id_check(SCENARIO["application"]),
        now=moment(0),
    )
    for slug in components():
        act(user_of(slug, "clerk"), part(master, slug), "accept", step_data(slug, "accept"), 1)
    act(WINDOW, master, "accept", {"accept_outcome": "accept", "acceptance_note": "统一受理。"}, 2)
    Session.refresh(master)
    return master


def expert_review(master: Case, start: int, organised: int, recorded: int) -> None:
    reviewer = user_of(ENV, "reviewer")
    act(reviewer, part(master, ENV), "review", REVIEW, start)
    act(reviewer, part(master, ENV), "organise_expert_review", EXPERT["organise_expert_review"], organised)
    act(reviewer, part(master, ENV), "record_expert_opinion", EXPERT["record_expert_opinion"], recorded)


def statutory_on(case: Case, on: date) -> date:
    clock = next(c for c in clocks.case_clocks(case, on) if c["kind"] == "statutory")
    return date.fromisoformat(clock["deadline"])


def test_the_master_deadline_moves_by_exactly_the_working_days_of_a_component_expert_review(app):
    with app.app_context():
        cal = get_calendar()
        master = accepted_master()
        assert master.statutory_deadline == cal.add_workdays(master.accepted_on, 45).date
        statutory, promised = master.statutory_deadline, master.deadline
        env_statutory = part(master, ENV).statutory_deadline

        act(user_of(ENV, "reviewer"), part(master, ENV), "review", REVIEW, 3)
        Session.refresh(master)
        assert master.clock_paused is True  # the procedure runs: the master's 45 days stand still
        act(
            user_of(ENV, "reviewer"),
            part(master, ENV),
            "organise_expert_review",
            EXPERT["organise_expert_review"],
            5,
        )
        act(
            user_of(ENV, "reviewer"),
            part(master, ENV),
            "record_expert_opinion",
            EXPERT["record_expert_opinion"],
            8,
        )

        Session.refresh(master)
        paused = cal.count_workdays(day_of(3), day_of(8))
        assert paused == 5
        assert master.clock_paused is False  # the last procedure ended: the master runs again
        assert master.statutory_deadline == cal.add_workdays(statutory, paused).date
        assert master.deadline == cal.add_workdays(promised, paused).date
        # the component's own clock pauses as for any Art. 45 procedure
        assert part(master, ENV).statutory_deadline == cal.add_workdays(env_statutory, paused).date
        # the other components are untouched
        for slug in others():
            assert not (part(master, slug).clock_inputs or {}).get("special")
        actions = Session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.case_id == master.id, AuditEvent.action == "joint.special_procedure"
            )
        ).all()
        assert len(actions) == 2  # started, ended: each in the master's audit trail
        # Art. 45: the applicant is told in writing how long it takes, on the master's one case number
        told = Session.scalars(
            select(CaseNotice).where(
                CaseNotice.case_id == master.id, CaseNotice.event == "special_procedure_started"
            )
        ).all()
        assert len(told) == 1
        assert "10 个工作日" in told[0].body and part(master, ENV).item.name_zh in told[0].body
        assert "10 working days" in notice_text(told[0], master, english=True)[1]


def test_two_expert_reviews_in_sequence_pause_the_master_for_both(app):
    with app.app_context():
        cal = get_calendar()
        master = accepted_master()
        statutory = master.statutory_deadline
        expert_review(master, 3, 4, 6)
        inspector = user_of(ENV, "reviewer")
        site = {**EXPERT["site_inspection"], "inspection_date": day_of(7).isoformat()}
        act(inspector, part(master, ENV), "site_inspection", site, 7)
        act(user_of(ENV, "decider"), part(master, ENV), "decide", SEND_BACK, 8)
        expert_review(master, 9, 10, 12)

        Session.refresh(master)
        first, second = cal.count_workdays(day_of(3), day_of(6)), cal.count_workdays(day_of(9), day_of(12))
        assert (first, second) == (3, 3)
        assert master.statutory_deadline == cal.add_workdays(statutory, first + second).date
        assert len((master.clock_inputs or {})["special"]) == 2


def test_overlapping_procedures_of_two_components_count_once(app):
    """Only the environment licence has an Art. 45 procedure in the catalogue, so the other component's
    procedure is written into its clock inputs as the clocks capability writes one (days 5–10); the
    environment's real expert review runs days 3–8. The master pauses for the union, days 3–10."""
    with app.app_context():
        cal = get_calendar()
        master = accepted_master()
        statutory = master.statutory_deadline
        other = part(master, others()[0])
        other.clock_inputs = {
            **(other.clock_inputs or {}),
            "special": [
                {
                    "code": "expert_review",
                    "element": "expert_review_procedure",
                    "start": day_of(5).isoformat(),
                    "limit_wd": 10,
                    "own_limit_wd": 10,
                    "stopped_on": day_of(10).isoformat(),
                    "notices": [],
                }
            ],
        }
        Session.commit()
        expert_review(master, 3, 5, 8)  # the environment's procedure; its end mirrors both onto the master

        Session.refresh(master)
        union = cal.count_workdays(day_of(3), day_of(10))
        both = cal.count_workdays(day_of(3), day_of(8)) + cal.count_workdays(day_of(5), day_of(10))
        assert (union, both) == (7, 10)
        assert statutory_on(master, day_of(12)) == cal.add_workdays(statutory, union).date
        mirrored = {sp["case_no"] for sp in master.clock_inputs["special"]}
        assert mirrored == {part(master, ENV).case_no, other.case_no}
