"""What the master case does with its components: materials once, one combined notice, the supplement
routed back, one acceptance at the window, the 45 + 15 WD clock, results together, 督办 to the late
department — and the bad input of issue 13 (4xx, nothing changed)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.models import AuditEvent, Case, CaseDocument, CaseNotice, Material, Session, SupervisionOrder
from app.services import cockpit, joint, supervision
from app.services.errors import Conflict, Forbidden, ValidationFailed
from app.services.tasks import complete_task
from app.services.workdays import get_calendar
from tests.factories import actor
from tests.joint.harness import GOV_HEAD, SLUG, WINDOW, day_of, id_check, moment, scenarios, streams
from tests.joint.test_joint_services import run_step

HW, DG = "hazardous_waste_licence", "road_dangerous_goods_transport"
SCENARIO = dict(scenarios())["both_approve"]
ACCEPT = {"accept_outcome": "accept", "acceptance_note": "本部门材料齐全。"}


def correct(material: str, reason: str) -> dict:
    return {"accept_outcome": "correct", "deficient_materials": [{"material": material, "reason": reason}]}


def filed(i: int = 0):
    return joint.file_joint_application(
        actor(WINDOW),
        SLUG,
        SCENARIO["application"],
        streams(SCENARIO["materials"]),
        id_check=id_check(SCENARIO["application"]),
        now=moment(i),
    )


def part(master, slug) -> Case:
    child = next(c for c in joint.components_of(master) if c.item.slug == slug)
    Session.refresh(child)
    return child


def task_of(case, bpmn_id):
    Session.refresh(case)
    return next(t for t in case.tasks if t.bpmn_id == bpmn_id and t.state in ("ready", "claimed"))


def act(username, case, bpmn_id, data, i):
    return complete_task(actor(username), task_of(case, bpmn_id).id, data, now=moment(i))


def accepted_joint():
    master = filed()
    act("env_clerk", part(master, HW), "accept", ACCEPT, 1)
    act("xm_tr_clerk", part(master, DG), "accept", ACCEPT, 1)
    act(WINDOW, master, "accept", {"accept_outcome": "accept"}, 2)
    Session.refresh(master)
    return master


def fingerprint(master) -> tuple:
    Session.expire_all()
    cases = Session.scalars(
        select(Case).where((Case.id == master.id) | (Case.parent_case_id == master.id))
    ).all()
    audit = Session.scalar(select(func.count()).select_from(AuditEvent))
    return tuple(
        (c.case_no, c.lock_version, c.status, c.state) for c in sorted(cases, key=lambda c: c.id)
    ) + (audit,)


def test_one_filing_makes_a_master_with_one_component_per_department_item(app):
    with app.app_context():
        master = filed()
        kids = joint.components_of(master)
        assert master.department_code == "centre" and master.parent_case_id is None
        assert sorted((k.item.slug, k.department_code) for k in kids) == [(HW, "env"), (DG, "xm_transport")]
        assert all(k.parent_case_id == master.id and k.applicant_user_id is None for k in kids)
        # each department starts with its own first step, in its own lane
        assert {(k.item.slug, t.bpmn_id, t.role) for k in kids for t in k.tasks} == {
            (HW, "accept", "clerk"),
            (DG, "accept", "clerk"),
        }
        assert [t.bpmn_id for t in master.tasks] == ["accept"] and master.tasks[0].role == "window"


def test_a_material_both_components_need_is_uploaded_once_and_shown_to_both(app):
    with app.app_context():
        master = filed()
        rows = Session.scalars(select(Material).where(Material.case_id == master.id)).all()
        assert sorted(m.code for m in rows) == sorted(SCENARIO["materials"])
        shared = next(m for m in rows if m.code == "authorization_letter")
        hw = {
            m.code: m.sha256
            for m in Session.scalars(select(Material).where(Material.case_id == part(master, HW).id))
        }
        dg = {
            m.code: m.sha256
            for m in Session.scalars(select(Material).where(Material.case_id == part(master, DG).id))
        }
        assert hw["authorization_letter"] == dg["agent_id_and_authorization"] == shared.sha256
        assert "parking_lot_proof" not in hw and "technical_staff_certificates" not in dg
        assert hw["application_form"] != "" and "application_form" in dg  # each its own application form


def test_correction_requests_wait_for_every_department_then_reach_the_applicant_as_one_notice(app):
    with app.app_context():
        master = filed()
        act(
            "xm_tr_clerk",
            part(master, DG),
            "accept",
            correct("safety_management_rules", "缺停车场管理制度。"),
            1,
        )
        assert (
            Session.scalars(select(CaseNotice).where(CaseNotice.event == "correction_requested")).all() == []
        )
        act(
            "env_clerk", part(master, HW), "accept", correct("transport_documents", "委托运输合同已过期。"), 1
        )
        notices = Session.scalars(select(CaseNotice).where(CaseNotice.event == "correction_requested")).all()
        assert [n.case_id for n in notices] == [master.id]  # one notice, on the master, none per component
        assert "2 项材料" in notices[0].body
        document = Session.get(CaseDocument, notices[0].document_id)
        listed = json.dumps(document.content, ensure_ascii=False)  # the 补正材料通知书 names who asked why
        assert (
            "厦门市生态环境局：委托运输合同已过期" in listed
            and "厦门市交通运输局：缺停车场管理制度" in listed
        )
        Session.refresh(master)
        (round_,) = master.clock_inputs["correction"]
        assert sorted(round_["materials"]) == ["safety_management_rules", "transport_documents"]
        assert master.status == "correcting"


def test_the_supplement_goes_back_only_to_the_components_that_asked(app):
    with app.app_context():
        master = filed()
        act("env_clerk", part(master, HW), "accept", ACCEPT, 1)
        act(
            "xm_tr_clerk",
            part(master, DG),
            "accept",
            correct("safety_management_rules", "缺停车场管理制度。"),
            1,
        )
        before = fingerprint(master)
        with pytest.raises(Conflict) as exc:
            joint.submit_joint_supplement(
                actor(WINDOW),
                master.case_no,
                {"components": {HW: {"materials": [{"material": "transport_documents", "note": "新合同"}]}}},
                now=moment(2),
            )
        assert exc.value.code == "component_not_correcting" and "厦门市生态环境局" in exc.value.message
        assert fingerprint(master) == before
        joint.submit_joint_supplement(
            actor(WINDOW),
            master.case_no,
            {"components": {DG: {"materials": [{"material": "safety_management_rules", "note": "补交"}]}}},
            now=moment(2),
        )
        dg = part(master, DG)
        assert dg.waiting_for is None and task_of(dg, "accept").state == "ready"
        assert part(master, HW).status == "in_progress"  # the other department went on meanwhile
        Session.refresh(master)
        assert master.status == "accepting" and master.clock_inputs["correction"][0]["end"]


def test_the_window_accepts_only_once_every_department_has_accepted_its_part(app):
    with app.app_context():
        master = filed()
        act("env_clerk", part(master, HW), "accept", ACCEPT, 1)
        before = fingerprint(master)
        with pytest.raises(Conflict) as exc:
            act(WINDOW, master, "accept", {"accept_outcome": "accept"}, 1)
        assert exc.value.code == "components_not_accepted" and "交通运输局" in exc.value.message
        assert fingerprint(master) == before
        act("xm_tr_clerk", part(master, DG), "accept", ACCEPT, 2)
        act(WINDOW, master, "accept", {"accept_outcome": "accept"}, 2)
        Session.refresh(master)
        assert master.accepted_on == day_of(2) and master.status == "in_progress"


def test_the_master_runs_45_working_days_from_acceptance_and_each_component_its_own_limits(app):
    with app.app_context():
        master = accepted_joint()
        cal = get_calendar()
        assert master.statutory_deadline == cal.add_workdays(day_of(2), 45).date
        assert master.deadline == cal.add_workdays(day_of(2), 15).date  # the promised limit
        hw, dg = part(master, HW), part(master, DG)
        assert hw.statutory_deadline == cal.add_workdays(day_of(1), 20).date
        assert dg.statutory_deadline == cal.add_workdays(day_of(1), 20).date
        assert task_of(hw, "review").deadline is not None  # the department's own step clock


def test_the_joint_extension_is_approved_by_the_government_head_not_a_department_head(app):
    with app.app_context():
        master = accepted_joint()
        joint.request_joint_extension(
            actor(WINDOW), master.case_no, 15, "现场核查需补充监测。", now=moment(3)
        )
        before = fingerprint(master)
        for username in ("env_head", "xm_tr_head", "env_decider"):
            with pytest.raises(Forbidden) as exc:
                joint.approve_joint_extension(actor(username), master.case_no, "同意", now=moment(3))
            assert exc.value.code == "not_government_head"
        assert fingerprint(master) == before
        joint.approve_joint_extension(
            actor(GOV_HEAD), master.case_no, "同意延长十五个工作日。", now=moment(3)
        )
        Session.refresh(master)
        assert master.extension_wd == 15
        assert master.statutory_deadline == get_calendar().add_workdays(day_of(2), 60).date
        kinds = [n.event for n in Session.scalars(select(CaseNotice).where(CaseNotice.case_id == master.id))]
        assert "extension_approved" in kinds  # the applicant is told the reason (Art. 42 para. 2)


def test_the_joint_extension_is_at_most_15_working_days(app):
    with app.app_context():
        master = accepted_joint()
        before = fingerprint(master)
        with pytest.raises(ValidationFailed) as exc:
            joint.request_joint_extension(actor(WINDOW), master.case_no, 16, "理由", now=moment(3))
        assert exc.value.code == "extension_too_long"
        assert fingerprint(master) == before


def test_the_master_cannot_be_collected_while_a_component_is_open(app):
    with app.app_context():
        master = accepted_joint()
        steps = dict(scenarios())["both_approve"]["steps"]
        for i, step in enumerate(s for s in steps if s.get("component") == HW and s["task"] != "accept"):
            run_step(master, step, 3 + i)
        before = fingerprint(master)
        with pytest.raises(Conflict) as exc:
            joint.collect_joint(
                actor(WINDOW),
                master.case_no,
                {"delivery_method": "window", "delivered_on": day_of(8).isoformat(), "recipient": "吴志强"},
                now=moment(8),
            )
        assert exc.value.code == "components_open" and "交通运输局" in exc.value.message
        assert fingerprint(master) == before
        assert part(master, HW).outcome == "approved"  # decided and done; the master waits for the other


def test_a_denial_in_one_component_keeps_the_others_approval_and_licence(app):
    from app.models import Licence

    with app.app_context():
        scenario = dict(scenarios())["one_denies"]
        master = joint.file_joint_application(
            actor(WINDOW),
            SLUG,
            scenario["application"],
            streams(scenario["materials"]),
            id_check=id_check(scenario["application"]),
            now=moment(0),
        )
        for i, step in enumerate(scenario["steps"], start=1):
            run_step(master, step, i)
        Session.refresh(master)
        assert master.outcome == "collected" and master.delivered_on is not None
        assert part(master, HW).outcome == "approved" and part(master, DG).outcome == "denied"
        licences = Session.scalars(select(Licence)).all()
        assert [lic.case_id for lic in licences] == [part(master, HW).id]


def test_a_supervision_order_on_a_master_goes_to_the_late_components_department(app):
    with app.app_context():
        master = accepted_joint()
        dg = part(master, DG)
        dg.light = "red"
        Session.commit()
        order = supervision.issue_order(
            actor("supervisor"), master.case_no, "请说明逾期原因。", 3, now=moment(3)
        )
        assert (order.department_code, order.case_id) == ("xm_transport", dg.id)
        assert Session.scalar(select(func.count()).select_from(SupervisionOrder)) == 1


def test_the_cockpit_counts_the_master_and_each_component(app):
    with app.app_context():
        filed()
        items = {row["slug"]: row["total"] for row in cockpit.by_item(actor("supervisor"))}
        assert (items[SLUG], items[HW], items[DG]) == (1, 1, 1)
        depts = {row["department_code"]: row["total"] for row in cockpit.by_department(actor("supervisor"))}
        assert (depts["centre"], depts["env"], depts["xm_transport"]) == (1, 1, 1)


def test_a_master_accepted_after_every_component_has_ended_opens_the_collection_at_once(app):
    with app.app_context():
        master = filed()
        act("env_clerk", part(master, HW), "accept", ACCEPT, 1)
        steps = dict(scenarios())["both_approve"]["steps"]
        for i, step in enumerate(s for s in steps if s.get("component") == HW and s["task"] != "accept"):
            run_step(master, step, 2 + i)
        act("xm_tr_clerk", part(master, DG), "accept", ACCEPT, 6)
        for i, step in enumerate(s for s in steps if s.get("component") == DG and s["task"] != "accept"):
            run_step(master, step, 7 + i)
        assert all(c.status == "completed" for c in joint.components_of(master))
        act(WINDOW, master, "accept", {"accept_outcome": "accept"}, 10)
        Session.refresh(master)
        assert master.status == "decided" and task_of(master, "collect").role == "window"


def test_refusing_the_joint_application_ends_the_open_components_with_it(app):
    with app.app_context():
        master = filed()
        act("env_clerk", part(master, HW), "accept", ACCEPT, 1)
        refusal = {
            "accept_outcome": "refuse",
            "refuse_reason": "申请人不具备申请资格。",
            "remedy_rights": "可依法申请行政复议。",
        }
        act(WINDOW, master, "accept", refusal, 2)
        Session.refresh(master)
        assert master.status == "refused"
        assert {c.item.slug: c.status for c in joint.components_of(master)} == {
            HW: "withdrawn",
            DG: "withdrawn",
        }
        assert all(
            not [t for t in c.tasks if t.state in ("ready", "claimed")] for c in joint.components_of(master)
        )
