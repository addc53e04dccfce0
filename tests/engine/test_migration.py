"""Moving running cases of the real catalogue onto a changed version (engine only, no database)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from engine.definitions import parse_definition, read_process_files
from engine.migration import MigrationRefused, check_migration, migrate_state
from engine.runtime import CaseRun
from tests.designer.bpmn_edit import insert_user_task, remove_user_task, set_property

ROOT = Path(__file__).resolve().parents[2]
EXPERT_FORM = {
    "title": {"zh": "专家评审", "en": "Expert review"},
    "schema": {
        "type": "object",
        "properties": {"expert_opinion": {"type": "string", "title": "专家意见"}},
        "required": ["expert_opinion"],
        "additionalProperties": False,
    },
    "ui": {"order": ["expert_opinion"], "fields": {}},
}


def forms_of(slug: str) -> dict:
    return {p.name: json.loads(p.read_text()) for p in sorted((ROOT / "forms" / slug).glob("*.json"))}


def definition(slug: str, files: dict[str, bytes], forms: dict):
    return parse_definition(slug, slug, files, list(forms))


@pytest.fixture(scope="module")
def road():
    files = read_process_files(ROOT / "processes" / "road_freight_permit")
    forms = forms_of("road_freight_permit")
    old = definition("road_freight_permit", files, forms)
    main = "road_freight_permit.bpmn"
    new_files = {
        main: insert_user_task(
            files[main], "flow_review_decide", "expert_review", "专家评审", "reviewer", {"time_limit_wd": "3"}
        )
    }
    new_forms = {**forms, "expert_review.json": EXPERT_FORM}
    new = definition("road_freight_permit", new_files, new_forms)
    return {
        "files": files,
        "forms": forms,
        "old": old,
        "new": new,
        "new_files": new_files,
        "new_forms": new_forms,
    }


def run_to(definition_, steps):
    run = CaseRun.start(definition_, {"application": {}})
    for task_id, data in steps:
        (ready,) = [t for t in run.ready_tasks() if t.task_id == task_id]
        run.complete(ready.id, data)
    return run


def finish(run, steps):
    for task_id, data in steps:
        ready = {t.task_id: t for t in run.ready_tasks()}
        assert task_id in ready, f"expected {task_id}, the case is at {sorted(ready)}"
        run.complete(ready[task_id].id, data)
    return run


ACCEPT = ("accept", {"accept_outcome": "accept"})
REVIEW = ("review", {"review_conclusion": "compliant"})
DECIDE = ("decide", {"decision": "approve"})
ISSUE = ("issue_result", {"result_number": "X-1"})


def test_case_at_acceptance_moves_and_meets_the_added_step_and_completes(road):
    run = run_to(road["old"], [])
    ready_before = {t.task_id: t.id for t in run.ready_tasks()}
    check = check_migration(road["old"], road["new"], run.dump(), road["forms"], road["new_forms"])
    assert check.movable and check.current == ("accept",)

    moved = CaseRun.load(road["new"], migrate_state(road["old"], road["new"], run.dump()))
    assert {t.task_id: t.id for t in moved.ready_tasks()} == ready_before  # same task ids: task rows stay
    finish(moved, [ACCEPT, REVIEW, ("expert_review", {"expert_opinion": "同意"}), DECIDE, ISSUE])
    snapshot = moved.snapshot()
    assert snapshot.completed and snapshot.end_event == "approved"
    assert snapshot.data["expert_opinion"] == "同意"


def test_case_at_the_step_before_the_insertion_moves_too(road):
    run = run_to(road["old"], [ACCEPT])
    moved = CaseRun.load(road["new"], migrate_state(road["old"], road["new"], run.dump()))
    finish(moved, [REVIEW, ("expert_review", {"expert_opinion": "同意"}), DECIDE, ISSUE])
    assert moved.snapshot().end_event == "approved"


def test_case_waiting_for_a_supplement_moves_and_resumes_on_the_message(road):
    run = run_to(road["old"], [("accept", {"accept_outcome": "correct"})])
    assert run.snapshot().waiting_messages == ("supplement",)
    check = check_migration(road["old"], road["new"], run.dump())
    assert check.movable and "wait_supplement" in check.current
    moved = CaseRun.load(road["new"], migrate_state(road["old"], road["new"], run.dump()))
    moved.send_message("supplement", {"note": "补齐"})
    finish(moved, [ACCEPT, REVIEW, ("expert_review", {"expert_opinion": "x"}), DECIDE, ISSUE])
    assert moved.snapshot().completed


def test_case_past_the_insertion_point_moves_and_finishes_without_the_new_step(road):
    run = run_to(road["old"], [ACCEPT, REVIEW])
    moved = CaseRun.load(road["new"], migrate_state(road["old"], road["new"], run.dump()))
    finish(moved, [DECIDE, ISSUE])
    assert moved.snapshot().end_event == "approved"


def test_current_task_changed_for_its_people_is_refused_with_the_change(road):
    main = "road_freight_permit.bpmn"
    changed = {main: set_property(road["files"][main], "review", "time_limit_wd", "4")}
    new = definition("road_freight_permit", changed, road["forms"])
    run = run_to(road["old"], [ACCEPT])
    check = check_migration(road["old"], new, run.dump(), road["forms"], road["forms"])
    assert not check.movable
    assert any("review" in r and "time_limit_wd '2' → '4'" in r for r in check.reasons), check.reasons
    with pytest.raises(MigrationRefused):
        migrate_state(road["old"], new, run.dump(), road["forms"], road["forms"])
    # the same change is harmless to a case still at acceptance
    assert check_migration(road["old"], new, run_to(road["old"], []).dump()).movable


def test_changed_form_of_the_current_task_is_refused(road):
    forms = {
        **road["forms"],
        "review.json": {**road["forms"]["review.json"], "title": {"zh": "改", "en": "x"}},
    }
    run = run_to(road["old"], [ACCEPT])
    same_bpmn = replace(road["old"], version="other")  # a version that differs in its forms only
    check = check_migration(road["old"], same_bpmn, run.dump(), road["forms"], forms)
    assert not check.movable and any("form review.json" in r for r in check.reasons)


def test_removed_current_task_and_removed_passed_step_are_refused(road):
    main = "road_freight_permit.bpmn"
    without_review = {main: remove_user_task(road["files"][main], "review")}
    forms = {k: v for k, v in road["forms"].items() if k != "review.json"}
    new = definition("road_freight_permit", without_review, forms)
    at_review = check_migration(road["old"], new, run_to(road["old"], [ACCEPT]).dump())
    assert not at_review.movable and any(
        "current task review" in r and "missing" in r for r in at_review.reasons
    )
    past_review = check_migration(road["old"], new, run_to(road["old"], [ACCEPT, REVIEW]).dump())
    assert not past_review.movable and any("review" in r and "removed" in r for r in past_review.reasons)
    assert check_migration(road["old"], new, run_to(road["old"], []).dump()).movable


def test_completed_step_that_changed_meaning_is_refused(road):
    main = "road_freight_permit.bpmn"
    changed = {main: set_property(road["files"][main], "accept", "event", "review_done")}
    new = definition("road_freight_permit", changed, road["forms"])
    check = check_migration(road["old"], new, run_to(road["old"], [ACCEPT]).dump())
    assert not check.movable and any("accept" in r and "changed meaning" in r for r in check.reasons)


def test_migration_to_another_process_is_refused(road):
    slug = "road_cert_reissue"
    other = definition(slug, read_process_files(ROOT / "processes" / slug), forms_of(slug))
    check = check_migration(road["old"], other, run_to(road["old"], []).dump())
    assert not check.movable and "different processes" in check.reasons[0]


def test_case_inside_a_special_procedure_is_refused_as_subprocess_in_flight():
    slug = "eia_report_form"
    files = read_process_files(ROOT / "processes" / slug)
    forms = forms_of(slug)
    old = definition(slug, files, forms)
    main = f"{slug}.bpmn"
    new = definition(slug, {**files, main: set_property(files[main], "decide", "time_limit_wd", "3")}, forms)
    run = run_to(old, [ACCEPT, ("review", {"review_outcome": "expert_review"})])
    assert run.snapshot().active_call_activities == ("expert_review_procedure",)
    check = check_migration(old, new, run.dump())
    assert not check.movable and any("in flight" in r for r in check.reasons), check.reasons
    # before the procedure the same case moves
    assert check_migration(old, new, run_to(old, [ACCEPT]).dump()).movable


def test_case_after_a_finished_special_procedure_moves_and_completes():
    slug = "eia_report_form"
    files = read_process_files(ROOT / "processes" / slug)
    forms = forms_of(slug)
    old = definition(slug, files, forms)
    main = f"{slug}.bpmn"
    new = definition(
        slug, {**files, main: set_property(files[main], "issue_result", "time_limit_wd", "2")}, forms
    )
    run = run_to(old, [ACCEPT, ("review", {"review_outcome": "expert_review"})])
    finish(
        run,
        [
            ("organise_expert_review", {"expected_duration_wd": 10}),
            ("record_expert_opinion", {"expert_conclusion": "pass"}),
        ],
    )
    assert [t.task_id for t in run.ready_tasks()] == ["decide"]
    assert check_migration(old, new, run.dump()).movable
    moved = CaseRun.load(new, migrate_state(old, new, run.dump()))
    finish(moved, [DECIDE, ISSUE])
    assert moved.snapshot().end_event == "approved"
