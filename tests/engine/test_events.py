"""Case events: the meaning declared in the BPMN, checked by the lint, translated in one place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from engine.definitions import parse_definition, read_process_files
from engine.errors import BpmnValidationError
from engine.events import (
    Accepted,
    CaseAdvanced,
    Completed,
    CorrectionRequested,
    Decided,
    Delivered,
    ExtensionApproved,
    ExtensionRefused,
    ExtensionRequested,
    Meaning,
    Refused,
    ReviewDone,
    SentBack,
    SpecialProcedureEnded,
    SpecialProcedureStarted,
    Supplemented,
    Withdrawn,
    declared_meanings,
    outcome_values_for,
    translate,
)
from engine.runtime import CaseRun

ROOT = Path(__file__).resolve().parents[2]


def real(slug: str, forms: dict | None = None, files: dict | None = None):
    item = yaml.safe_load((ROOT / "processes" / slug / "item.yaml").read_text(encoding="utf-8"))
    forms = forms or {p.name: json.loads(p.read_text()) for p in (ROOT / "forms" / slug).glob("*.json")}
    files = files or read_process_files(ROOT / "processes" / slug)
    return parse_definition(slug, item["process_id"], files, forms)


def step(run: CaseRun, definition, task_id: str, data: dict, **kw):
    before = run.snapshot(with_data=False)
    task = next(t for t in run.ready_tasks() if t.task_id == task_id)
    run.complete(task.id, data)
    after = run.snapshot()
    return translate(
        definition,
        before,
        after,
        completed_task=task_id,
        task_properties=definition.user_tasks[task_id].properties,
        data=data,
        **kw,
    )


def kinds(events):
    return [type(e).__name__ for e in events]


def test_an_outcome_value_means_what_its_property_says():
    props = {
        "outcome_field": "decision",
        "outcome.approve": "approved",
        "outcome.extend": "extension_requested",
    }
    assert declared_meanings(props, {"decision": "approve"}) == [Meaning.APPROVED]
    assert declared_meanings(props, {"decision": "extend"}) == [Meaning.EXTENSION_REQUESTED]
    assert declared_meanings(props, {"decision": "unknown"}) == []
    assert declared_meanings({"outcome_field": "ok", "outcome.true": "extension_approved"}, {"ok": True}) == [
        Meaning.EXTENSION_APPROVED
    ]
    assert declared_meanings({"event": "review_done"}, {}) == [Meaning.REVIEW_DONE]
    assert outcome_values_for({"outcome_field": "a", "outcome.accept": "accepted"}, Meaning.ACCEPTED) == [
        "accept"
    ]


def test_the_eia_lifecycle_translates_into_the_events_of_the_law():
    definition = real("eia_report_form")
    run = CaseRun.start(definition, {"application": {}})
    events = step(
        run,
        definition,
        "accept",
        {
            "accept_outcome": "correct",
            "deficient_materials": [{"material": "eia_report", "reason": "缺签章"}],
        },
    )
    assert kinds(events) == ["CorrectionRequested", "CaseAdvanced"]
    assert events[0] == CorrectionRequested(task="accept", materials=(("eia_report", "缺签章"),))
    before = run.snapshot(with_data=False)
    payload = {"materials": [{"material": "eia_report", "note": "已补"}]}
    run.send_message("supplement", payload)
    events = translate(definition, before, run.snapshot(), message="supplement", data=payload)
    assert events[0] == Supplemented(materials=("eia_report",))
    assert isinstance(events[-1], CaseAdvanced) and len(events[-1].opened) == 1
    assert kinds(step(run, definition, "accept", {"accept_outcome": "accept"})) == [
        "Accepted",
        "CaseAdvanced",
    ]
    review = {
        "review_outcome": "expert_review",
        "review_opinion": "需评审",
        "expert_review_reason": "模型存疑",
        "expected_duration_wd": 12,
    }
    events = step(run, definition, "review", review)
    assert kinds(events) == ["ReviewDone", "SpecialProcedureStarted", "CaseAdvanced"]
    assert events[0] == ReviewDone(task="review", outcome="expert_review")
    started = events[1]
    assert isinstance(started, SpecialProcedureStarted)
    assert (started.code, started.element, started.notified_wd, started.limit_wd) == (
        "expert_review",
        "expert_review_procedure",
        12,
        15,
    )
    organise = {
        "experts": [{"name": n, "specialty": "环评"} for n in "甲乙丙"],
        "review_method": "meeting",
        "review_date": "2026-03-10",
        "applicant_notified": True,
    }
    assert kinds(step(run, definition, "organise_expert_review", organise)) == ["CaseAdvanced"]
    events = step(
        run, definition, "record_expert_opinion", {"expert_conclusion": "pass", "expert_opinion": "同意"}
    )
    assert kinds(events) == ["SpecialProcedureEnded", "CaseAdvanced"]
    assert events[0] == SpecialProcedureEnded(
        task="record_expert_opinion", code="expert_review", element="expert_review_procedure"
    )
    events = step(run, definition, "decide", {"decision": "approve", "decision_reason": "符合"})
    assert events[0] == Decided(task="decide", approved=True, reason="符合")
    delivery = {
        "result_number": "厦环审〔2026〕1号",
        "issue_date": "2026-03-20",
        "delivery_method": "post",
        "delivered_on": "2026-03-21",
        "recipient": "林晓燕",
    }
    events = step(run, definition, "issue_result", delivery)
    assert kinds(events) == ["Delivered", "Completed", "CaseAdvanced"]
    delivered = events[0]
    assert isinstance(delivered, Delivered)
    assert (delivered.method, delivered.on.isoformat(), delivered.recipient) == (
        "post",
        "2026-03-21",
        "林晓燕",
    )
    assert events[1] == Completed(task="issue_result", end_event="approved")


def test_extension_request_and_answers_and_a_refusal_translate():
    definition = real("road_freight_permit")
    run = CaseRun.start(definition, {})
    events = step(run, definition, "accept", {"accept_outcome": "accept"})
    assert isinstance(events[0], Accepted) and not events[0].deemed
    step(run, definition, "review", {"review_conclusion": "compliant", "review_opinion": "符合"})
    ask = {
        "decision": "extend",
        "decision_reason": "延期",
        "extension_days": 7,
        "extension_reason": "需核查车辆",
    }
    assert step(run, definition, "decide", ask)[0] == ExtensionRequested(
        task="decide", days=7, reason="需核查车辆"
    )
    events = step(run, definition, "approve_extension", {"extension_approved": True})
    assert events[0] == ExtensionApproved(task="approve_extension")
    step(run, definition, "decide", ask)
    events = step(
        run, definition, "approve_extension", {"extension_approved": False, "extension_opinion": "不必"}
    )
    assert events[0] == ExtensionRefused(task="approve_extension", opinion="不必")
    refused = CaseRun.start(definition, {})
    events = step(
        refused,
        definition,
        "accept",
        {"accept_outcome": "refuse", "refuse_reason": "不属本机关", "remedy_rights": "可复议"},
    )
    assert events[:2] == [
        Refused(task="accept", reason="不属本机关"),
        Completed(task="accept", end_event="refused"),
    ]


def test_a_deemed_acceptance_and_a_withdrawal_carry_their_flags():
    definition = real("eia_report_form")
    run = CaseRun.start(definition, {})
    assert step(run, definition, "accept", {"accept_outcome": "accept"}, deemed=True)[0] == Accepted(
        task="accept", deemed=True
    )
    before = run.snapshot(with_data=False)
    run.cancel()
    events = translate(definition, before, run.snapshot(), first=(Withdrawn(reason="不办了"),))
    assert kinds(events) == ["Withdrawn", "CaseAdvanced"], (
        "a cancelled case reaches no end event: no Completed"
    )
    assert events[-1].opened == () and len(events[-1].closed) == 1


def test_the_immediate_item_decides_and_delivers_in_one_step():
    definition = real("road_cert_reissue")
    run = CaseRun.start(definition, {})
    events = step(run, definition, "handle", {"outcome": "issue", "result_number": "350200123987"})
    assert kinds(events) == ["Decided", "Delivered", "Completed", "CaseAdvanced"]
    assert events[1] == Delivered(task="handle", method="window", on=None, recipient=None)


def test_the_hazardous_waste_site_inspection_is_no_special_procedure():
    definition = real("hazardous_waste_licence")
    run = CaseRun.start(definition, {})
    step(run, definition, "accept", {"accept_outcome": "accept"})
    events = step(run, definition, "review", {"review_conclusion": "compliant", "review_opinion": "需核查"})
    assert kinds(events) == ["ReviewDone", "CaseAdvanced"]
    assert definition.user_tasks["site_inspection"].time_limit_wd == 3


# -- the lint, element by element ------------------------------------------------------------------


def eia_forms() -> dict:
    return {p.name: json.loads(p.read_text()) for p in (ROOT / "forms" / "eia_report_form").glob("*.json")}


def eia_files(replace: tuple[str, str]) -> dict:
    files = read_process_files(ROOT / "processes" / "eia_report_form")
    main = files["eia_report_form.bpmn"].decode()
    assert replace[0] in main
    files["eia_report_form.bpmn"] = main.replace(*replace).encode()
    return files


def lint_errors(files: dict, forms: dict) -> list[tuple]:
    with pytest.raises(BpmnValidationError) as exc:
        parse_definition("eia_report_form", "eia_report_form", files, forms)
    return exc.value.problems


@pytest.mark.parametrize(
    ("old", "new", "element", "words"),
    [
        (
            '<spiffworkflow:property name="outcome.refuse" value="refused"/>',
            '<spiffworkflow:property name="outcome.refuse" value="rejected"/>',
            "accept",
            "'rejected' is not a known meaning",
        ),
        (
            '<spiffworkflow:property name="outcome.refuse" value="refused"/>',
            "",
            "accept",
            "without a meaning: refuse",
        ),
        (
            '<spiffworkflow:property name="outcome.refuse" value="refused"/>',
            '<spiffworkflow:property name="outcome.refuse" value="refused"/><spiffworkflow:property name="outcome.maybe" value="none"/>',
            "accept",
            "'maybe' is not a value of 'accept_outcome'",
        ),
        (
            '<spiffworkflow:property name="outcome_field" value="accept_outcome"/>',
            '<spiffworkflow:property name="outcome_field" value="no_such_field"/>',
            "accept",
            "is not a field of form accept.json",
        ),
        (
            '<spiffworkflow:property name="outcome.approve" value="approved"/>',
            '<spiffworkflow:property name="outcome.approve" value="approved,denied"/>',
            "decide",
            "exclude each other",
        ),
        (
            '<spiffworkflow:property name="event" value="review_done"/>',
            '<spiffworkflow:property name="event" value="review_done"/><spiffworkflow:property name="outcome.pass" value="none"/>',
            "review",
            "outcome.* properties need outcome_field",
        ),
        (
            '<spiffworkflow:property name="event" value="delivered"/>',
            '<spiffworkflow:property name="event" value="none"/>',
            "eia_report_form",
            "no step records delivery",
        ),
        (
            '<spiffworkflow:property name="outcome.deny" value="denied"/>',
            '<spiffworkflow:property name="outcome.deny" value="extension_requested"/>',
            "decide",
            "reads field 'extension_days', which form decide.json lacks",
        ),
        (  # Art. 32: once accepted, the case cannot return to acceptance
            '<spiffworkflow:property name="send_back_to" value="review"/>',
            '<spiffworkflow:property name="send_back_to" value="accept"/>',
            "decide",
            "cannot be sent back to acceptance (accepted, correction_requested, refused)",
        ),
        (
            '<spiffworkflow:property name="send_back_to" value="review"/>',
            '<spiffworkflow:property name="send_back_to" value="no_such_step"/>',
            "decide",
            "'no_such_step' is not a user task of process 'eia_report_form'",
        ),
        (
            '<spiffworkflow:property name="send_back_to" value="review"/>',
            "",
            "decide",
            "meaning 'sent_back' needs send_back_to",
        ),
        (
            '<spiffworkflow:property name="send_back_to" value="review"/>',
            '<spiffworkflow:property name="send_back_to" value="decide"/>',
            "decide",
            "cannot send a case back to itself",
        ),
        (  # a step after the decision cannot send the case back
            '<spiffworkflow:property name="event" value="delivered"/>',
            '<spiffworkflow:property name="event" value="delivered"/>'
            '<spiffworkflow:property name="outcome_field" value="delivery_method"/>'
            '<spiffworkflow:property name="outcome.window" value="sent_back"/>'
            '<spiffworkflow:property name="outcome.post" value="none"/>'
            '<spiffworkflow:property name="outcome.electronic" value="none"/>'
            '<spiffworkflow:property name="send_back_to" value="review"/>',
            "issue_result",
            "a step after the decision (it records delivery) cannot send a case back",
        ),
    ],
)
def test_the_lint_names_the_element_of_a_wrong_declaration(old, new, element, words):
    problems = lint_errors(eia_files((old, new)), eia_forms())
    assert any(p[0] == element and words in p[2] and p[1] for p in problems), problems


def test_a_delivery_form_with_other_methods_is_refused():
    forms = eia_forms()
    forms["issue_result.json"]["schema"]["properties"]["delivery_method"]["enum"] = ["window", "pigeon"]
    problems = lint_errors(read_process_files(ROOT / "processes" / "eia_report_form"), forms)
    assert any(p[0] == "issue_result" and "pigeon" in p[2] for p in problems), problems


def test_a_correction_meaning_needs_the_list_of_materials_in_its_form():
    forms = eia_forms()
    del forms["accept.json"]["schema"]["properties"]["deficient_materials"]
    problems = lint_errors(read_process_files(ROOT / "processes" / "eia_report_form"), forms)
    assert any(p[0] == "accept" and "deficient_materials" in p[2] for p in problems), problems


def test_a_decider_sends_the_case_back_to_review_with_a_reason():
    definition = real("road_freight_permit")
    run = CaseRun.start(definition, {"application": {}})
    step(run, definition, "accept", {"accept_outcome": "accept"})
    step(run, definition, "review", {"review_conclusion": "compliant", "review_opinion": "符合"})
    events = step(
        run, definition, "decide", {"decision": "send_back", "send_back_reason": "请核实车辆检测结论"}
    )
    assert kinds(events) == ["SentBack", "CaseAdvanced"]
    assert events[0] == SentBack(task="decide", to_step="review", reason="请核实车辆检测结论")
    assert [t.task_id for t in run.ready_tasks()] == ["review"]
    # the reopened review goes on to the decision as before
    step(run, definition, "review", {"review_conclusion": "compliant", "review_opinion": "已核实"})
    assert [t.task_id for t in run.ready_tasks()] == ["decide"]


def test_a_send_back_reason_is_required_by_the_lint():
    forms = eia_forms()
    del forms["decide.json"]["schema"]["properties"]["send_back_reason"]
    forms["decide.json"]["schema"]["allOf"] = [
        r for r in forms["decide.json"]["schema"]["allOf"] if "send_back_reason" not in str(r)
    ]
    problems = lint_errors(read_process_files(ROOT / "processes" / "eia_report_form"), forms)
    assert any(p[0] == "decide" and "send_back_reason" in p[2] for p in problems), problems
