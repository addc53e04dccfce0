"""Camunda Modeler attributes mapped to lanes, step limits and forms, and reported where they cannot be."""

from __future__ import annotations

from engine.camunda import map_camunda
from engine.validation import validate_bundle

DOC = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="x">
  <bpmn:process id="permit" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="accept" name="accept" camunda:candidateGroups="clerk" camunda:dueDate="P2D" camunda:formKey="embedded:app:forms/accept.html">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:userTask id="decide" name="decide" camunda:assignee="${approver}" camunda:candidateGroups="management" camunda:dueDate="${due}" camunda:formKey="app:approveInvoice.jsf">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="accept" />
    <bpmn:sequenceFlow id="f2" sourceRef="accept" targetRef="decide" />
    <bpmn:sequenceFlow id="f3" sourceRef="decide" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_candidate_group_due_date_and_form_key_are_mapped_where_they_can_be():
    files, notes = map_camunda({"permit.bpmn": DOC})
    mapped = {(n.element_id, n.attribute): n for n in notes}
    assert mapped[("accept", "candidateGroups")].mapped
    assert mapped[("accept", "dueDate")].mapped and "time_limit_wd=2" in mapped[("accept", "dueDate")].message
    assert mapped[("accept", "formKey")].mapped
    for attribute in ("assignee", "candidateGroups", "dueDate", "formKey"):
        assert not mapped[("decide", attribute)].mapped, attribute
    assert "decide.json" in mapped[("decide", "formKey")].message

    text = files["permit.bpmn"].decode()
    assert (
        '<bpmn:lane id="lane_clerk" name="clerk">' in text
        and "<bpmn:flowNodeRef>accept</bpmn:flowNodeRef>" in text
    )
    assert 'name="time_limit_wd" value="2"' in text


def test_validation_runs_on_the_mapped_file_and_reports_what_was_not_mapped():
    form = {"schema": {"type": "object", "properties": {}}}
    result = validate_bundle(None, None, {"permit.bpmn": DOC}, {"accept.json": form, "decide.json": form})
    (definition,) = result.definitions.values()
    assert definition.user_tasks["accept"].lane == "clerk"
    assert definition.user_tasks["accept"].time_limit_wd == 2
    errors = {(f.element_id, f.message) for f in result.errors}
    assert all(element == "decide" for element, _ in errors) and any("lane" in m for _, m in errors)
    reported = [f for f in result.warnings if f.stage == "camunda" and f.element_id == "decide"]
    assert {f.message.split("=")[0] for f in reported} == {
        "camunda:assignee",
        "camunda:candidateGroups",
        "camunda:dueDate",
        "camunda:formKey",
    }


def test_files_without_camunda_attributes_are_untouched():
    plain = DOC.replace(b'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"', b"").replace(
        b"camunda:", b"data-"
    )
    files, notes = map_camunda({"p.bpmn": plain})
    assert files["p.bpmn"] == plain and notes == []
