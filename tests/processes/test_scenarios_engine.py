"""Every scenario of every item, run on the engine alone, saving and restoring after each step;
together the scenarios of an item travel every sequence flow of its BPMN."""

from __future__ import annotations

from collections import defaultdict

import pytest
import yaml
from lxml import etree

from engine.definitions import parse_definition, read_process_files
from engine.runtime import CaseRun
from tests.processes.scenarios import FORMS, PROCESSES, SCENARIO_IDS, SCENARIOS

_DEFS: dict[str, object] = {}


def definition(slug: str):
    if slug not in _DEFS:
        item = yaml.safe_load((PROCESSES / slug / "item.yaml").read_text(encoding="utf-8"))
        forms = [p.name for p in (FORMS / slug).glob("*.json")]
        _DEFS[slug] = parse_definition(slug, item["process_id"], read_process_files(PROCESSES / slug), forms)
    return _DEFS[slug]


def test_every_item_has_scenarios():
    slugs = {slug for slug, _, _ in SCENARIOS}
    assert slugs == {
        "eia_report_form",
        "hazardous_waste_licence",
        "road_freight_permit",
        "road_dangerous_goods_transport",
        "road_cert_reissue",
    }


@pytest.mark.parametrize(("slug", "name", "scenario"), SCENARIOS, ids=SCENARIO_IDS)
def test_scenario_runs_with_save_restore_after_each_step(slug, name, scenario):
    TAKEN[slug] |= run_scenario(slug, scenario)


TAKEN: dict[str, set[tuple[str, str]]] = defaultdict(set)


def run_scenario(slug: str, scenario: dict) -> set[tuple[str, str]]:
    defn = definition(slug)
    run = CaseRun.start(defn, {"application": scenario["application"]})
    for i, step in enumerate(scenario["steps"]):
        run = CaseRun.load(defn, run.dump())
        if "message" in step:
            run.send_message(step["message"], step.get("data") or {})
            continue
        ready = [t for t in run.ready_tasks() if t.task_id == step["task"]]
        assert ready, f"step {i}: {step['task']} not ready; ready: {[t.task_id for t in run.ready_tasks()]}"
        assert ready[0].lane == step["role"], f"step {i}: lane {ready[0].lane} != {step['role']}"
        run.complete(ready[0].id, step.get("data") or {})
    run = CaseRun.load(defn, run.dump())
    snap = run.snapshot()
    expect = scenario["expect"]
    assert snap.completed == expect.get("completed", True)
    if "end_event" in expect:
        assert snap.end_event == expect["end_event"]
    for key, value in (expect.get("data") or {}).items():
        assert snap.data.get(key) == value, key
    return run.taken_flows()


NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}


def sequence_flows(slug: str) -> dict[tuple[str, str], str]:
    flows = {}
    for path in sorted((PROCESSES / slug).glob("*.bpmn")):
        for flow in etree.parse(str(path)).iterfind(".//bpmn:sequenceFlow", NS):
            flows[(flow.get("sourceRef"), flow.get("targetRef"))] = f"{path.name}#{flow.get('id')}"
    return flows


@pytest.mark.parametrize("slug", sorted({slug for slug, _, _ in SCENARIOS}))
def test_the_scenarios_of_an_item_travel_every_sequence_flow(slug):
    taken: set[tuple[str, str]] = set()
    for sl, _name, scenario in SCENARIOS:
        if sl == slug:
            taken |= run_scenario(slug, scenario)
    flows = sequence_flows(slug)
    missing = sorted(flow for pair, flow in flows.items() if pair not in taken)
    assert not missing, f"no scenario of {slug} travels {missing}"
