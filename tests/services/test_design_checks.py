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
    # review 2 + decide 1 = 3 WD inside the promised period; acceptance (its own 5-WD clock), the
    # head's answer to an extension request and delivery (its own 10-WD clock) are outside it
    assert any("add up to 3 WD, more than the promised 2 WD" in w for w in result.warnings)


def test_a_site_inspection_subprocess_counts_against_the_promised_period(tmp_path):
    processes = copy_item(tmp_path, "hazardous_waste_licence", promised_wd=6)
    (result,) = validate_processes(processes, ROOT / "forms")
    # review 2 + site inspection 3 (a subprocess inside the 20 WD, no Art. 45 pause) + decide 2 = 7
    assert any("add up to 7 WD, more than the promised 6 WD" in w for w in result.warnings)


def test_an_expert_review_does_not_count_against_the_promised_period(tmp_path):
    processes = copy_item(tmp_path, "eia_report_form", promised_wd=7)
    (result,) = validate_processes(processes, ROOT / "forms")
    # review 5 + decide 2 = 7; the expert review's 15 WD are an Art. 45 special procedure
    assert result.ok and not any("add up to" in w for w in result.warnings)


def test_an_extension_step_in_an_item_without_extension_makes_it_undeployable(tmp_path):
    processes = copy_item(tmp_path, "road_freight_permit", extension_max_wd=0)
    (result,) = validate_processes(processes, ROOT / "forms")
    assert not result.ok
    assert "extension_max_wd is 0" in result.errors[0] and "decide" in result.errors[0]


def test_an_immediate_item_with_an_acceptance_limit_is_refused(tmp_path):
    processes = copy_item(tmp_path, "road_cert_reissue", acceptance_wd=5)
    (result,) = validate_processes(processes, ROOT / "forms")
    assert not result.ok and "acceptance_wd must be empty" in result.errors[0]


def test_a_broken_bpmn_is_reported_with_element_and_line(tmp_path):
    processes = copy_item(tmp_path, "road_freight_permit")
    bpmn = processes / "road_freight_permit" / "road_freight_permit.bpmn"
    bpmn.write_text(
        bpmn.read_text(encoding="utf-8").replace('accept_outcome == "accept"', 'accept_outcome = "accept"'),
        encoding="utf-8",
    )
    (result,) = validate_processes(processes, ROOT / "forms")
    assert not result.ok and "syntax" in result.errors[0].lower() and "line" in result.errors[0]
