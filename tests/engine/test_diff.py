"""Version diffs of real items: elements added, removed, changed; forms and limits."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from engine.definitions import read_process_files
from engine.diff import diff_versions
from tests.designer.bpmn_edit import insert_user_task, set_property

ROOT = Path(__file__).resolve().parents[2]
MAIN = "road_freight_permit.bpmn"


def test_added_step_changed_limit_form_and_item_limits_are_listed():
    files = read_process_files(ROOT / "processes" / "road_freight_permit")
    forms = {
        p.name: json.loads(p.read_text()) for p in (ROOT / "forms" / "road_freight_permit").glob("*.json")
    }
    item = yaml.safe_load((ROOT / "processes" / "road_freight_permit" / "item.yaml").read_text())
    new = insert_user_task(files[MAIN], "flow_review_decide", "expert_review", "专家评审", "reviewer")
    new = set_property(new, "decide", "time_limit_wd", "2")
    new_forms = {**forms, "expert_review.json": {"schema": {"type": "object"}}}
    new_forms["decide.json"] = json.loads(json.dumps(forms["decide.json"]))
    new_forms["decide.json"]["schema"]["properties"]["note"] = {"type": "string", "title": "备注"}
    new_item = {**item, "limits": {**item["limits"], "promised_wd": 4}}

    diff = diff_versions(files, {MAIN: new}, forms, new_forms, item, new_item)
    assert {(e.id, e.type) for e in diff.added} == {
        ("expert_review", "userTask"),
        ("flow_review_decide_next", "sequenceFlow"),
    }
    assert diff.removed == []
    changed = {e.id: e.changes for e in diff.changed}
    assert changed["decide"] == ("time_limit_wd: 1 → 2",)
    assert changed["flow_review_decide"] == ("targetRef: decide → expert_review",)
    assert (
        "reviewer" in {c for e in diff.changed if e.id == "lane_reviewer" for c in e.changes}
        or "lane_reviewer" not in changed
    )
    assert diff.forms_added == ["expert_review.json"] and diff.forms_changed == {"decide.json": ["+ note"]}
    assert diff.limits_changed == {"promised_wd": (item["limits"]["promised_wd"], 4)}
    assert not diff.empty


def test_layout_only_change_is_no_difference():
    files = read_process_files(ROOT / "processes" / "road_freight_permit")
    moved = files[MAIN].replace(b'<dc:Bounds x="490" y="370"', b'<dc:Bounds x="500" y="380"', 1)
    assert moved != files[MAIN]
    assert diff_versions(files, {MAIN: moved}).empty
