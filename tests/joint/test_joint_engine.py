"""Every joint scenario on the engine alone: the master's BPMN and each component's own BPMN, saved and
restored after every step, with the platform's rule that the master waits for every component."""

from __future__ import annotations

import pytest
import yaml

from engine.definitions import parse_definition, read_process_files
from engine.runtime import CaseRun
from tests.joint.harness import SLUG, scenarios
from tests.processes.scenarios import FORMS, PROCESSES

SCENARIOS = scenarios()


def definition(slug: str):
    item = yaml.safe_load((PROCESSES / slug / "item.yaml").read_text(encoding="utf-8"))
    forms = [p.name for p in (FORMS / slug).glob("*.json")]
    return parse_definition(slug, item["process_id"], read_process_files(PROCESSES / slug), forms)


def test_the_joint_item_has_a_scenario_for_every_path():
    names = {name for name, _ in SCENARIOS}
    assert names == {"both_approve", "one_denies", "one_corrects_other_proceeds", "extension_of_joint_limit"}


@pytest.mark.parametrize(("name", "scenario"), SCENARIOS, ids=[n for n, _ in SCENARIOS])
def test_joint_scenario_runs_on_the_engine_with_save_restore_after_each_step(name, scenario):
    master_def = definition(SLUG)
    comps = {slug: definition(slug) for slug in scenario["application"]["components"]}
    states = {SLUG: CaseRun.start(master_def, {"application": scenario["application"]}).dump()}
    for slug, d in comps.items():
        states[slug] = CaseRun.start(d, {"application": scenario["application"]["components"][slug]}).dump()

    def load(slug):
        return CaseRun.load(master_def if slug == SLUG else comps[slug], states[slug])

    for i, step in enumerate(scenario["steps"]):
        if "supplement" in step:
            for slug, data in step["supplement"]["components"].items():
                run = load(slug)
                run.send_message("supplement", data)
                states[slug] = run.dump()
            continue
        if "extension" in step or "approve_extension" in step:
            continue  # a clock fact of the master (Art. 42 para. 2): no workflow step
        slug = step.get("component") or SLUG
        task_id = step.get("task") or step["master"]
        run = load(slug)
        ready = [t for t in run.ready_tasks() if t.task_id == task_id]
        assert ready, f"step {i}: {slug}/{task_id} not ready: {[t.task_id for t in run.ready_tasks()]}"
        assert ready[0].lane == step["role"]
        run.complete(ready[0].id, step.get("data") or {})
        states[slug] = run.dump()
        master = load(SLUG)
        if all(load(s).snapshot().completed for s in comps) and not master.snapshot().completed:
            if any(t.task_id == "collect" for t in master.ready_tasks()):
                continue
            master.send_message("components_decided", {s: load(s).snapshot().end_event for s in comps})
            states[SLUG] = master.dump()
    snap = load(SLUG).snapshot()
    assert snap.completed and snap.end_event == scenario["expect"]["master"]["end_event"]
    for slug, end in scenario["expect"]["components"].items():
        assert load(slug).snapshot().end_event == end
