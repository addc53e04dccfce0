"""Every display name is exactly {zh, en}: item.yaml names and fees, form titles/labels/options/help, the items API.

An unquoted YAML flow mapping such as ``{zh: 授权委托书, en: Power of attorney, and more}`` parses as
``{"zh": ..., "en": "Power of attorney", "and more": None}``: the English name is cut at the comma and a
junk key appears. These tests walk the real files and the real API, so any such name fails them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ROOT / "processes"
FORMS = ROOT / "forms"
SLUGS = sorted(p.name for p in PROCESSES.iterdir() if (p / "item.yaml").is_file())
FORM_FILES = sorted((slug, p.name) for slug in SLUGS for p in (FORMS / slug).glob("*.json"))
NAME_KEYS = ("name", "fees")  # the bilingual display values of an item.yaml, at any depth
UI_TEXT_KEYS = ("label", "help")


def item_yaml(slug: str) -> dict[str, Any]:
    return yaml.safe_load((PROCESSES / slug / "item.yaml").read_text(encoding="utf-8"))


def form(slug: str, filename: str) -> dict[str, Any]:
    return json.loads((FORMS / slug / filename).read_text(encoding="utf-8"))


def bilingual_problem(value: Any) -> str | None:
    """None when ``value`` is exactly {"zh": non-empty str, "en": non-empty str}, else what is wrong."""
    if not isinstance(value, dict):
        return f"not a mapping: {value!r}"
    if set(value) != {"zh", "en"}:
        return f"keys {sorted(map(str, value))}, expected exactly ['en', 'zh']"
    for lang in ("zh", "en"):
        text = value[lang]
        if not isinstance(text, str) or not text.strip():
            return f"{lang} is {text!r}, expected a non-empty string"
    return None


def item_names(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(path, value) of every `name`/`fees` value anywhere in an item.yaml document."""
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}" if path else str(key)
            if key in NAME_KEYS:
                yield where, value
            else:
                yield from item_names(value, where)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from item_names(value, f"{path}[{i}]")


def form_texts(doc: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(path, value) of the form title and of every label, help text and option label under `ui`."""
    yield "title", doc.get("title")

    def walk(node: Any, path: str) -> Iterator[tuple[str, Any]]:
        if isinstance(node, dict):
            for key, value in node.items():
                where = f"{path}.{key}"
                if key in UI_TEXT_KEYS:
                    yield where, value
                elif key == "options" and isinstance(value, dict):
                    for option, label in value.items():
                        yield f"{where}.{option}", label
                else:
                    yield from walk(value, where)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from walk(value, f"{path}[{i}]")

    yield from walk(doc.get("ui"), "ui")


def test_the_walkers_find_names_and_reject_a_comma_cut_flow_mapping():
    """The checks below can fail: the YAML bug they guard against is caught by them."""
    broken = yaml.safe_load(
        "materials:\n  - {code: x, name: {zh: 委托书, en: Power of attorney, and more}}\n"
    )
    ((path, value),) = item_names(broken)
    assert path == "materials[0].name"
    assert bilingual_problem(value) == "keys ['and more', 'en', 'zh'], expected exactly ['en', 'zh']"
    quoted = yaml.safe_load('name: {zh: "委托书", en: "Power of attorney, and more"}')
    assert bilingual_problem(quoted["name"]) is None
    assert bilingual_problem({"zh": "委托书", "en": " "}) == "en is ' ', expected a non-empty string"
    texts = dict(
        form_texts({"title": {"zh": "表", "en": "Form"}, "ui": {"fields": {"a": {"options": {"v": 1}}}}})
    )
    assert texts == {"title": {"zh": "表", "en": "Form"}, "ui.fields.a.options.v": 1}


@pytest.mark.parametrize("slug", SLUGS)
def test_every_item_yaml_name_and_fee_is_exactly_zh_and_en(slug):
    doc = item_yaml(slug)
    names = list(item_names(doc))
    # the item, its fees, its result, every material, every special procedure and its e-licence
    expected = (
        3
        + len(doc["materials"])
        + len(doc.get("special_procedures") or [])
        + (1 if doc.get("licence") else 0)
    )
    assert len(names) == expected, [p for p, _ in names]
    problems = {path: bilingual_problem(value) for path, value in names if bilingual_problem(value)}
    assert problems == {}, f"processes/{slug}/item.yaml"


@pytest.mark.parametrize(("slug", "filename"), FORM_FILES)
def test_every_form_title_label_option_and_help_is_exactly_zh_and_en(slug, filename):
    texts = list(form_texts(form(slug, filename)))
    assert len(texts) > 1, "a form has a title and labelled fields"
    problems = {path: bilingual_problem(value) for path, value in texts if bilingual_problem(value)}
    assert problems == {}, f"forms/{slug}/{filename}"


@pytest.mark.parametrize(("slug", "filename"), FORM_FILES)
def test_material_option_labels_are_the_item_yaml_material_names(slug, filename):
    """The material pickers were generated from item.yaml: their labels must be the names written there."""
    names = {m["code"]: m["name"] for m in item_yaml(slug)["materials"]}
    for path, label in form_texts(form(slug, filename)):
        field, _, code = path.rpartition(".options.")
        if code in names and field.rsplit(".", 1)[-1] in ("material", "submitted_materials"):
            assert label == names[code], f"forms/{slug}/{filename}: {path}"


def test_the_items_api_returns_exactly_zh_and_en_for_every_name(api):
    listed = {i["slug"]: i for i in api.get("/items", "applicant").get_json()["items"]}
    assert sorted(listed) == SLUGS
    for slug in SLUGS:
        on_disk = item_yaml(slug)
        resp = api.get(f"/items/{listed[slug]['code']}", "applicant")
        assert resp.status_code == 200, resp.get_json()
        body = resp.get_json()
        assert (body["name_zh"], body["name_en"]) == (on_disk["name"]["zh"], on_disk["name"]["en"])
        served = dict(item_names(body["definition"]))
        assert served == dict(item_names(on_disk)), slug
        problems = {
            path: bilingual_problem(value) for path, value in served.items() if bilingual_problem(value)
        }
        assert problems == {}, slug
