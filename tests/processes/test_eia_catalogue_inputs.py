"""The EIA application collects the decision table's inputs (the catalogue row and the scale) and
refuses them when they cannot be decided on: in its JSON Schema and over the API, with nothing created."""

from __future__ import annotations

import copy

import pytest

from tests.factories import applicant_of
from tests.processes.scenarios import SCENARIOS
from tests.processes.test_catalogue_files import validator

APPLICATION = next(
    s["application"]
    for slug, name, s in SCENARIOS
    if slug == "eia_report_form" and name == "catalogue_hospital_499_beds_no_expert_review"
)


def with_(**changes) -> dict:
    out = copy.deepcopy(APPLICATION)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


@pytest.mark.parametrize(
    ("changes", "ok"),
    [
        ({}, True),
        ({"eia_catalogue_row": None}, False),  # the row is required
        ({"eia_catalogue_row": "mining_081"}, False),  # not a row of the table
        ({"project_scale": None}, False),  # a row with a threshold needs the scale
        ({"project_scale": 0}, False),
        ({"project_scale": 499.5}, False),  # beds are whole
        ({"eia_catalogue_row": "sewage_462", "project_scale": 99999.5}, True),
        ({"eia_catalogue_row": "auto_36", "project_scale": None}, False),
        ({"eia_catalogue_row": "other", "project_scale": None}, True),  # no threshold, no scale needed
        ({"eia_catalogue_row": "coating_264", "project_scale": None}, True),
    ],
)
def test_the_application_form_validates_the_tables_inputs(changes, ok):
    assert validator("eia_report_form", "application").is_valid(with_(**changes)) is ok


def case_count() -> int:
    from sqlalchemy import func, select

    from app.models import Case, Session

    try:
        return int(Session.scalar(select(func.count(Case.id))) or 0)
    finally:
        Session.remove()


def test_an_undecidable_application_is_a_422_naming_the_field_and_creates_no_case(api):
    before = case_count()
    bad = with_(eia_catalogue_row="hospital_841", project_scale=None)
    resp = api.post(
        "/cases",
        "applicant",
        json={"item_code": "eia_report_form", "applicant": applicant_of(bad), "data": bad},
    )
    assert resp.status_code == 422
    fields = {d["field"] for d in resp.get_json()["error"]["details"]}
    assert "project_scale" in fields, resp.get_json()
    assert case_count() == before
    good = with_()
    ok = api.post(
        "/cases",
        "applicant",
        json={"item_code": "eia_report_form", "applicant": applicant_of(good), "data": good},
    )
    assert ok.status_code == 201 and case_count() == before + 1  # the count does see a case
