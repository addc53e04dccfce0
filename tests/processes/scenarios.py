"""Shared loading of the catalogue's scenario files (used by engine-level and API-level tests)."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ROOT / "processes"
FORMS = ROOT / "forms"


def _is_joint(folder: Path) -> bool:
    return "joint" in (yaml.safe_load((folder / "item.yaml").read_text(encoding="utf-8")) or {})


def item_slugs() -> list[str]:
    """The single-department items; joint items (一件事, item.yaml ``joint``) have their own scenario
    format and runners (tests/joint)."""
    return sorted(p.name for p in PROCESSES.iterdir() if (p / "item.yaml").exists() and not _is_joint(p))


def joint_slugs() -> list[str]:
    return sorted(p.name for p in PROCESSES.iterdir() if (p / "item.yaml").exists() and _is_joint(p))


def all_scenarios() -> list[tuple[str, str, dict]]:
    out = []
    for slug in item_slugs():
        for path in sorted((PROCESSES / slug / "scenarios").glob("*.yaml")):
            out.append((slug, path.stem, yaml.safe_load(path.read_text(encoding="utf-8"))))
    return out


SCENARIOS = all_scenarios()
SCENARIO_IDS = [f"{slug}/{name}" for slug, name, _ in SCENARIOS]
