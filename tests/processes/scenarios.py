"""Shared loading of the catalogue's scenario files (used by engine-level and API-level tests)."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ROOT / "processes"
FORMS = ROOT / "forms"


def item_slugs() -> list[str]:
    return sorted(p.name for p in PROCESSES.iterdir() if (p / "item.yaml").exists())


def all_scenarios() -> list[tuple[str, str, dict]]:
    out = []
    for slug in item_slugs():
        for path in sorted((PROCESSES / slug / "scenarios").glob("*.yaml")):
            out.append((slug, path.stem, yaml.safe_load(path.read_text(encoding="utf-8"))))
    return out


SCENARIOS = all_scenarios()
SCENARIO_IDS = [f"{slug}/{name}" for slug, name, _ in SCENARIOS]
