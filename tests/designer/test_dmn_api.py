"""Decision tables over the designer API, on a copy of the EIA report form item: a bad table is a 422 with
the cell, file and line, and changes nothing; a deployed table with a new threshold routes new cases."""

from __future__ import annotations

import copy

import pytest
import yaml

from tests.designer.conftest import ROOT, copied_item
from tests.designer.test_api import deploy, validate

SLUG, CODE = "zz_eia_dmn_copy", "350200-SXHJ-XK-9301"
DMN = "eia_expert_review.dmn"
SCENARIO = yaml.safe_load(
    (
        ROOT
        / "processes"
        / "eia_report_form"
        / "scenarios"
        / "catalogue_hospital_499_beds_no_expert_review.yaml"
    ).read_text(encoding="utf-8")
)
DATA = {step["task"]: step["data"] for step in SCENARIO["steps"]}
USERS = {"clerk": "env_clerk", "reviewer": "env_reviewer"}


def eia_copy():
    return copied_item(SLUG, CODE, source="eia_report_form")


def test_the_real_eia_item_with_its_table_validates_over_the_api(api):
    files, forms, item = eia_copy()
    assert DMN in files
    body = validate(api, files, forms, item).get_json()
    assert body["valid"] is True and body["errors"] == [], body["errors"]


@pytest.mark.parametrize(
    ("old", "new", "element"),
    [
        ("&gt;= 500", "&gt;= 5OO", "rule_hospital_841_book_in3"),
        ('hitPolicy="UNIQUE"', 'hitPolicy="ANY"', "table_eia_expert_review"),
        ('application["project_scale"]', 'application["beds"]', "input_project_scale"),
        ("</decisionTable>", "", None),  # malformed XML: a finding at the file and line
    ],
    ids=["cell", "hit-policy", "unknown-input", "malformed"],
)
def test_a_bad_table_is_refused_with_its_element_and_line_and_nothing_changes(
    api, scratch, old, new, element
):
    files, forms, item = eia_copy()
    first = deploy(api, files, forms, item, code=CODE)
    assert first.status_code == 201, first.get_json()
    bad = {**files, DMN: files[DMN].replace(old, new, 1)}
    resp = deploy(api, bad, forms, item, code=CODE)
    assert resp.status_code == 422
    errors = resp.get_json()["error"]["details"]["errors"]
    on_dmn = [e for e in errors if e["file"] == DMN]
    assert on_dmn and all(e["line"] for e in on_dmn)
    if element:
        assert element in {e["element_id"] for e in on_dmn}
    versions = api.get(f"/items/{CODE}/versions", "designer").get_json()["versions"]
    assert [v["version"] for v in versions] == [first.get_json()["version"]]


def _case(api, beds: int) -> str:
    from tests.factories import applicant_of

    application = copy.deepcopy(SCENARIO["application"])
    application["project_scale"] = beds
    resp = api.post(
        "/cases",
        "applicant",
        json={"item_code": CODE, "applicant": applicant_of(application), "data": application},
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["case_no"]


def _step(api, case_no: str, task: str, role: str) -> None:
    doc = api.get(f"/cases/{case_no}", "env_clerk").get_json()
    (open_task,) = [t for t in doc["open_tasks"] if t["bpmn_id"] == task]
    resp = api.post(f"/tasks/{open_task['id']}/complete", USERS[role], json={"data": DATA[task]})
    assert resp.status_code == 200, resp.get_json()


def test_a_case_started_before_a_new_threshold_keeps_the_old_table(api, scratch):
    files, forms, item = eia_copy()
    assert deploy(api, files, forms, item, code=CODE).status_code == 201
    before = _case(api, 400)
    lowered = {
        **files,
        DMN: files[DMN].replace("&gt;= 500", "&gt;= 400", 1).replace("&lt; 500", "&lt; 400", 1),
    }
    assert deploy(api, lowered, forms, item, code=CODE).status_code == 201
    after = _case(api, 400)
    for case_no in (before, after):
        _step(api, case_no, "accept", "clerk")
        _step(api, case_no, "review", "reviewer")
    steps = {
        c: [t["bpmn_id"] for t in api.get(f"/cases/{c}", "env_clerk").get_json()["open_tasks"]]
        for c in (before, after)
    }
    assert steps == {before: ["decide"], after: ["organise_expert_review"]}
