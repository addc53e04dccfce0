"""Static checks of the joint items (一件事) in processes/: real components, every component material
mapped exactly once, the limits of Art. 42 para. 2, a form for every user task."""

from __future__ import annotations

import json

import pytest
import yaml
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from tests.processes.scenarios import FORMS, PROCESSES, item_slugs, joint_slugs

JOINTS = joint_slugs()


def _yaml(slug):
    return yaml.safe_load((PROCESSES / slug / "item.yaml").read_text(encoding="utf-8"))


def test_there_is_a_joint_item():
    assert JOINTS == ["hazardous_waste_transport_joint"]


@pytest.mark.parametrize("slug", JOINTS)
def test_components_are_real_items_of_different_departments(slug):
    comps = _yaml(slug)["joint"]["components"]
    assert len(comps) >= 2 and set(comps) <= set(item_slugs())
    departments = [_yaml(c)["department"] for c in comps]
    assert len(set(departments)) == len(departments), "one component per department"


@pytest.mark.parametrize("slug", JOINTS)
def test_components_are_departments_of_one_level_of_government(slug):
    """Art. 26 para. 2: "本级人民政府" and its "两个以上部门" — the components sit at one level."""
    comps = _yaml(slug)["joint"]["components"]
    levels = {c: _yaml(c)["authority_level"] for c in comps}
    assert len(set(levels.values())) == 1, levels


@pytest.mark.parametrize("slug", JOINTS)
def test_every_component_material_is_mapped_exactly_once_and_requirements_agree(slug):
    item = _yaml(slug)
    for comp in item["joint"]["components"]:
        own = {m["code"]: m for m in _yaml(comp)["materials"]}
        mapped = [m["components"][comp] for m in item["materials"] if comp in m["components"]]
        assert sorted(mapped) == sorted(own), comp
        for m in item["materials"]:
            if comp in m["components"] and own[m["components"][comp]]["required"]:
                assert m["required"], f"{m['code']} is required by {comp}"
    shared = [m["code"] for m in item["materials"] if len(m["components"]) > 1]
    assert shared, "a joint item shares at least one material (uploaded once)"


@pytest.mark.parametrize("slug", JOINTS)
def test_the_joint_limit_is_art_42_para_2(slug):
    limits = _yaml(slug)["limits"]
    assert (limits["statutory_wd"], limits["extension_max_wd"]) == (45, 15)
    assert limits["statutory_starts"] == "accepted" and "第四十二条第二款" in limits["extension_basis"]
    assert limits["promised_wd"] * 100 <= 35 * limits["statutory_wd"]
    assert _yaml(slug)["department"] == "centre"  # accepted at the comprehensive window


@pytest.mark.parametrize("slug", JOINTS)
def test_the_master_bpmn_has_window_tasks_with_forms_and_waits_for_its_components(slug):
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_files([str(p) for p in (PROCESSES / slug).glob("*.bpmn")])
    spec = parser.get_spec(slug)
    tasks = {ts.bpmn_id: ts for ts in spec.task_specs.values() if type(ts).__name__ == "UserTask"}
    assert set(tasks) == {"accept", "collect"} and {ts.lane for ts in tasks.values()} == {"window"}
    for bpmn_id in [*tasks, "application", "supplement"]:
        form = json.loads((FORMS / slug / f"{bpmn_id}.json").read_text(encoding="utf-8"))
        assert set(form["title"]) == {"zh", "en"}
    assert spec.task_specs["wait_components"].event_definition.name == "components_decided"
    assert tasks["collect"].extensions["properties"]["event"] == "delivered"
