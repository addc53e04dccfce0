"""What the EIA item's decision table costs: parsing the item with and without its DMN file, validating
the table (the designer's Validate), and one step that runs the business rule task (review → table →
gateway), against the same step routed by a hand-written condition. Engine only, one process.

    .venv/bin/python bench/dmn.py [--rounds 300]
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.definitions import parse_definition, read_process_files  # noqa: E402
from engine.runtime import CaseRun  # noqa: E402
from engine.validation import validate_bundle  # noqa: E402

SLUG = "eia_report_form"
FOLDER = ROOT / "processes" / SLUG
FORMS = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in (ROOT / "forms" / SLUG).glob("*.json")}
APPLICATION = yaml.safe_load(
    (FOLDER / "scenarios" / "catalogue_hospital_500_beds_expert_review.yaml").read_text(encoding="utf-8")
)["application"]
REVIEW = {"review_outcome": "pass", "review_conclusion": "compliant", "review_opinion": "符合"}


def hand_written(files: dict[str, bytes]) -> dict[str, bytes]:
    """The same item routed by a condition in the BPMN instead of the table (the table's hospital rule)."""
    main = files[f"{SLUG}.bpmn"].decode()
    start = main.index('    <bpmn:businessRuleTask id="classify_expert_review"')
    end = main.index("</bpmn:businessRuleTask>") + len("</bpmn:businessRuleTask>")
    main = (
        main[:start]
        + (
            '    <bpmn:scriptTask id="classify_expert_review" name="按条件判定" scriptFormat="python">\n'
            "      <bpmn:incoming>flow_review_classify</bpmn:incoming>\n"
            "      <bpmn:outgoing>flow_review_gw</bpmn:outgoing>\n"
            "      <bpmn:script>expert_review_required = review_outcome == 'expert_review' or "
            "(application['eia_catalogue_row'] == 'hospital_841' and application['project_scale'] >= 500)"
            "</bpmn:script>\n    </bpmn:scriptTask>"
        )
        + main[end:]
    )
    return {
        n: (main.encode() if n == f"{SLUG}.bpmn" else d) for n, d in files.items() if not n.endswith(".dmn")
    }


def timed(fn, rounds: int) -> tuple[float, float]:
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def review_step(definition) -> callable:
    run = CaseRun.start(definition, {"application": copy.deepcopy(APPLICATION)})
    (accept,) = run.ready_tasks()
    run.complete(accept.id, {"accept_outcome": "accept"})
    state = run.dump()

    def step() -> None:
        r = CaseRun.load(definition, state)
        (review,) = [t for t in r.ready_tasks() if t.task_id == "review"]
        r.complete(review.id, REVIEW)
        assert [t.task_id for t in r.ready_tasks()] == ["organise_expert_review"]

    return step


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=300)
    rounds = ap.parse_args().rounds
    files = read_process_files(FOLDER)
    plain = hand_written(files)
    with_dmn = parse_definition(SLUG, SLUG, files, FORMS)
    without = parse_definition(SLUG, SLUG, plain, FORMS)
    rows = [
        (
            "parse item with its DMN table",
            timed(lambda: parse_definition(SLUG, SLUG, files, FORMS), rounds // 3),
        ),
        (
            "parse item, condition instead",
            timed(lambda: parse_definition(SLUG, SLUG, plain, FORMS), rounds // 3),
        ),
        (
            "validate (designer) with table",
            timed(lambda: validate_bundle(SLUG, SLUG, files, FORMS), rounds // 3),
        ),
        ("review step through the table", timed(review_step(with_dmn), rounds)),
        ("review step, hand-written", timed(review_step(without), rounds)),
    ]
    print(f"{'what':34} {'p50 ms':>8} {'p95 ms':>8}")
    for name, (p50, p95) in rows:
        print(f"{name:34} {p50:8.2f} {p95:8.2f}")


if __name__ == "__main__":
    main()
