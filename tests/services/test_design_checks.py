"""Design-time checks of time limits: promised vs statutory, the 35 % rule, step limits vs promised."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from app.services.catalogue import validate_processes

ROOT = Path(__file__).resolve().parents[2]


def copy_item(tmp_path: Path, slug: str, **limits) -> Path:
    processes = tmp_path / "processes"
    shutil.copytree(ROOT / "processes" / slug, processes / slug)
    item_file = processes / slug / "item.yaml"
    item = yaml.safe_load(item_file.read_text(encoding="utf-8"))
    item["limits"].update(limits)
    item_file.write_text(yaml.safe_dump(item, allow_unicode=True), encoding="utf-8")
    return processes


def test_the_real_catalogue_passes_without_time_limit_warnings():
    results = validate_processes(ROOT / "processes", ROOT / "forms")
    assert all(r.ok for r in results)
    assert [w for r in results for w in r.warnings if "WD" in w] == []


def test_promised_above_35_percent_of_statutory_is_named(tmp_path):
    processes = copy_item(tmp_path, "road_freight_permit", promised_wd=12)
    (result,) = validate_processes(processes, ROOT / "forms")
    assert result.ok
    assert any(
        "350206-QXJT-XK-0001" in w and "12 WD" in w and "35%" in w and "20 WD" in w for w in result.warnings
    )


def test_promised_above_statutory_is_named(tmp_path):
    processes = copy_item(tmp_path, "road_freight_permit", promised_wd=25)
    (result,) = validate_processes(processes, ROOT / "forms")
    assert any("exceeds the statutory limit 20 WD" in w for w in result.warnings)


def test_step_limits_adding_up_to_more_than_promised_are_named(tmp_path):
    processes = copy_item(tmp_path, "road_freight_permit", promised_wd=2)
    (result,) = validate_processes(processes, ROOT / "forms")
    # accept 1 + review 2 + decide 1 = 4 WD on the main path
    assert any("add up to 4 WD, more than the promised 2 WD" in w for w in result.warnings)


def test_a_broken_bpmn_is_reported_with_element_and_line(tmp_path):
    processes = copy_item(tmp_path, "road_freight_permit")
    bpmn = processes / "road_freight_permit" / "road_freight_permit.bpmn"
    bpmn.write_text(
        bpmn.read_text(encoding="utf-8").replace('accept_outcome == "accept"', 'accept_outcome = "accept"'),
        encoding="utf-8",
    )
    (result,) = validate_processes(processes, ROOT / "forms")
    assert not result.ok and "syntax" in result.errors[0].lower() and "line" in result.errors[0]
