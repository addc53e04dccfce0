"""The engine wrapper: versions, guarded completion, messages, timers, spec-less state, long loops."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine.definitions import ProcessCache, content_version, parse_definition
from engine.errors import (
    BpmnSyntaxError,
    BpmnValidationError,
    MessageNotExpectedError,
    TaskNotReadyError,
    UnknownTaskError,
    UnsafeXmlError,
)
from engine.runtime import COMPACT_DEPTH, CaseRun

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs" targetNamespace="http://tongban.test">
"""

LOOP = (
    HEAD
    + """
  <bpmn:message id="msg_supplement" name="supplement" />
  <bpmn:process id="loop" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="lane_clerk" name="clerk"><bpmn:flowNodeRef>accept</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="lane_reviewer" name="reviewer"><bpmn:flowNodeRef>review</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="accept" />
    <bpmn:userTask id="accept" name="受理">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="time_limit_wd" value="1" /></spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="accept" targetRef="gw" />
    <bpmn:exclusiveGateway id="gw" default="f_accept" />
    <bpmn:sequenceFlow id="f_correct" sourceRef="gw" targetRef="wait_supplement">
      <bpmn:conditionExpression>accept_outcome == "correct"</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_accept" sourceRef="gw" targetRef="review" />
    <bpmn:intermediateCatchEvent id="wait_supplement">
      <bpmn:messageEventDefinition id="md" messageRef="msg_supplement">
        <bpmn:extensionElements><spiffworkflow:messageVariable>supplement</spiffworkflow:messageVariable></bpmn:extensionElements>
      </bpmn:messageEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="wait_supplement" targetRef="accept" />
    <bpmn:userTask id="review" name="审查" />
    <bpmn:sequenceFlow id="f4" sourceRef="review" targetRef="timer" />
    <bpmn:intermediateCatchEvent id="timer">
      <bpmn:timerEventDefinition><bpmn:timeDuration>"P2D"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f5" sourceRef="timer" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""
)

FORMS = ["accept.json", "review.json"]


@pytest.fixture(scope="module")
def loop_def():
    return parse_definition("loop", "loop", {"loop.bpmn": LOOP.encode()}, FORMS)


def save_restore(run: CaseRun) -> CaseRun:
    return CaseRun.load(run.definition, run.dump())


def ready(run: CaseRun, bpmn_id: str):
    tasks = [t for t in run.ready_tasks() if t.task_id == bpmn_id]
    assert tasks, f"{bpmn_id} not ready; ready: {[t.task_id for t in run.ready_tasks()]}"
    return tasks[0]


def test_user_tasks_report_lane_properties_and_form(loop_def):
    task = loop_def.user_tasks["accept"]
    assert (task.lane, task.time_limit_wd, task.form) == ("clerk", 1, "accept.json")


def test_same_files_parse_once_per_version():
    cache = ProcessCache()
    files = {"loop.bpmn": LOOP.encode()}
    first = cache.get_or_parse("loop", "loop", files, FORMS)
    again = cache.get_or_parse("loop", "loop", dict(files), FORMS)
    assert first is again and len(cache) == 1
    changed = {"loop.bpmn": LOOP.replace("审查", "技术审查").encode()}
    assert cache.get_or_parse("loop", "loop", changed, FORMS).version != first.version
    assert first.version == content_version(files)


def test_missing_form_and_lane_are_named_with_line(loop_def):
    no_lane = LOOP.replace("<bpmn:flowNodeRef>review</bpmn:flowNodeRef>", "")
    with pytest.raises(BpmnValidationError) as err:
        parse_definition("loop", "loop", {"loop.bpmn": no_lane.encode()}, ["accept.json"])
    text = str(err.value)
    assert "review" in text and "not in a lane" in text and "no form file review.json" in text
    assert err.value.line == LOOP.splitlines().index('    <bpmn:userTask id="review" name="审查" />') + 1


def test_condition_syntax_error_is_refused_at_deploy():
    bad = LOOP.replace('accept_outcome == "correct"', 'accept_outcome == = "correct"')
    with pytest.raises(BpmnValidationError) as err:
        parse_definition("loop", "loop", {"loop.bpmn": bad.encode()}, FORMS)
    assert "gw" in str(err.value)


def test_forbidden_condition_is_refused_at_deploy():
    bad = LOOP.replace('accept_outcome == "correct"', "__import__('os').system('true')")
    with pytest.raises(BpmnValidationError, match="gw"):
        parse_definition("loop", "loop", {"loop.bpmn": bad.encode()}, FORMS)


def test_unquoted_timer_is_refused_at_deploy():
    bad = LOOP.replace('"P2D"', "P2D")
    with pytest.raises(BpmnValidationError, match="must be quoted"):
        parse_definition("loop", "loop", {"loop.bpmn": bad.encode()}, FORMS)


def test_invalid_timer_value_is_refused_at_deploy():
    bad = LOOP.replace('"P2D"', '"two days"')
    with pytest.raises(BpmnValidationError, match="ISO 8601"):
        parse_definition("loop", "loop", {"loop.bpmn": bad.encode()}, FORMS)


def test_malformed_xml_names_file_and_line():
    broken = LOOP.replace('<bpmn:endEvent id="end" />', '<bpmn:endEvent id="end">')
    with pytest.raises(BpmnSyntaxError) as err:
        parse_definition("loop", "loop", {"loop.bpmn": broken.encode()}, FORMS)
    assert err.value.line is not None and err.value.line > 30


def test_xxe_is_refused_before_parsing():
    xxe = LOOP.replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    )
    with pytest.raises(UnsafeXmlError):
        parse_definition("loop", "loop", {"loop.bpmn": xxe.encode()}, FORMS)


def test_schema_violation_is_reported_by_the_xsd():
    bad = LOOP.replace(
        '<bpmn:userTask id="review" name="审查" />',
        '<bpmn:userTask id="review" name="审查"><bpmn:bogus/></bpmn:userTask>',
    )
    with pytest.raises(BpmnValidationError) as err:
        parse_definition("loop", "loop", {"loop.bpmn": bad.encode()}, FORMS)
    assert err.value.line is not None


def test_only_a_ready_task_can_be_completed(loop_def):
    run = CaseRun.start(loop_def, {"applicant": "x"})
    accept = ready(run, "accept")
    run.complete(accept.id, {"accept_outcome": "accept"})
    run = save_restore(run)
    with pytest.raises(TaskNotReadyError):
        run.complete(accept.id, {"accept_outcome": "accept"})
    with pytest.raises(UnknownTaskError):
        run.complete("00000000-0000-0000-0000-000000000000", {})
    with pytest.raises(UnknownTaskError):
        run.complete("not-a-uuid", {})
    assert [t.task_id for t in run.ready_tasks()] == ["review"]


def test_a_future_task_is_not_run(loop_def):
    run = CaseRun.start(loop_def, {})
    # the review task exists in the tree as FUTURE/LIKELY; completing it must be refused
    future = [t for t in run._wf.get_tasks() if t.task_spec.name == "review"]
    assert future
    with pytest.raises(TaskNotReadyError):
        run.complete(str(future[0].id), {})


def test_supplement_message_reaches_data_and_loops_back(loop_def):
    run = CaseRun.start(loop_def, {})
    run.complete(ready(run, "accept").id, {"accept_outcome": "correct", "deficient_materials": ["a"]})
    run = save_restore(run)
    snap = run.snapshot()
    assert snap.waiting_messages == ("supplement",) and not snap.ready
    with pytest.raises(MessageNotExpectedError):
        run.send_message("other", {})
    run.send_message("supplement", {"materials": ["a"]})
    run = save_restore(run)
    assert ready(run, "accept")
    assert run.data()["supplement"] == {"materials": ["a"]}
    with pytest.raises(MessageNotExpectedError):
        run.send_message("supplement", {})


def test_timer_fires_only_when_due_and_reports_next_due(loop_def):
    t0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    run = CaseRun.start(loop_def, {}, now=t0)
    run.complete(ready(run, "accept").id, {"accept_outcome": "accept"}, now=t0)
    run.complete(ready(run, "review").id, {}, now=t0)
    run = save_restore(run)
    due = run.snapshot().next_timer_due
    assert due == t0 + timedelta(days=2)
    run.fire_timers(t0 + timedelta(days=1))
    assert not run.snapshot().completed
    run = save_restore(run)
    run.fire_timers(t0 + timedelta(days=2, seconds=1))
    snap = run.snapshot()
    assert snap.completed and snap.end_event == "end" and snap.next_timer_due is None


def test_state_does_not_embed_the_process_definition(loop_def):
    run = CaseRun.start(loop_def, {})
    ours = run.dump()
    full = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG)).serialize_json(run._wf)
    assert "spec" not in json.loads(ours)
    assert len(ours) < len(full) / 2


def test_hundreds_of_correction_rounds_keep_working(loop_def):
    run = CaseRun.start(loop_def, {})
    rounds = 400  # beyond the ~330 rounds where SpiffWorkflow stops finding READY tasks
    max_depth = 0
    for i in range(rounds):
        run.complete(ready(run, "accept").id, {"accept_outcome": "correct", "round": i})
        run.send_message("supplement", {"round": i})
        if i % 50 == 0:
            run = save_restore(run)
        max_depth = max(max_depth, run.tree_depth())
    assert max_depth <= COMPACT_DEPTH + 5
    run = save_restore(run)
    assert run.data()["supplement"] == {"round": rounds - 1}
    run.complete(ready(run, "accept").id, {"accept_outcome": "accept"})
    assert [t.task_id for t in run.ready_tasks()] == ["review"]


def test_bench_model_runs_without_lint_when_not_strict():
    files = {
        # a copy of ../shared/bench/approval.bpmn inside the repository, so any checkout finds it
        "approval.bpmn": (Path(__file__).parents[2] / "bench" / "approval.bpmn").read_bytes()
    }
    definition = parse_definition("approval", "Process_approval", files, [], strict=False)
    assert any("not in a lane" in str(w) for w in definition.warnings)
    run = CaseRun.start(definition, {})
    run.complete(run.ready_tasks()[0].id, {"approved": True})
    assert run.snapshot().data["result"] == "approved"
