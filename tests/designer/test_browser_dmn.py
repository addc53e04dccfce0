"""A designer, in a real browser, opens a copy of the EIA report form item, edits a threshold of its
expert-review decision table in the dmn-js editor, validates (an invalid cell is an error at that cell),
fixes it and deploys; a new case then routes as the new table says."""

from __future__ import annotations

import copy
import re
from datetime import datetime

import pytest
import yaml

from app.models.vocab import SHANGHAI
from tests.designer.conftest import ROOT
from tests.designer.test_browser_workbench import login
from tests.factories import applicant_of
from tests.web.conftest import ARTIFACTS, SCREENSHOTS

pytestmark = pytest.mark.browser

SLUG, CODE = "zz_eia_dmn_browser", "350200-SXHJ-XK-9201"
DMN = "eia_expert_review.dmn"
BOOK = "rule_hospital_841_book_in3"  # 医院 841: beds >= 500 → expert review
FORM = "rule_hospital_841_form_in3"  # beds < 500 → no expert review
USERS = {"clerk": "env_clerk", "reviewer": "env_reviewer", "decider": "env_decider"}
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


def edit_cell(page, element_id: str, text: str) -> None:
    """Type into a decision-table cell as a designer does: click it, replace its text, leave it."""
    cell = page.locator(f'#dmn-canvas td[data-element-id="{element_id}"]')
    cell.click()
    editable = cell.locator("[contenteditable]").first
    editable.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.locator("#dmn-canvas .tjs-table-head, #dmn-canvas th").first.click()  # blur: the edit is committed
    page.wait_for_function(
        "([id, text]) => (document.querySelector(`#dmn-canvas td[data-element-id='${id}']`) || {}).textContent"
        "?.trim() === text",
        arg=[element_id, text],
    )


def start_case(api, beds: int) -> str:
    application = copy.deepcopy(SCENARIO["application"])
    application["project_scale"] = beds
    resp = api.post(
        "/cases",
        "applicant",
        json={"item_code": CODE, "applicant": applicant_of(application), "data": application},
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["case_no"]


def open_steps(api, case_no: str) -> list[str]:
    return [t["bpmn_id"] for t in api.get(f"/cases/{case_no}", "env_clerk").get_json()["open_tasks"]]


def complete(api, case_no: str, task: str, role: str) -> None:
    doc = api.get(f"/cases/{case_no}", "env_clerk").get_json()
    (open_task,) = [t for t in doc["open_tasks"] if t["bpmn_id"] == task]
    data = dict(DATA[task])
    if "delivered_on" in data:
        data["delivered_on"] = datetime.now(SHANGHAI).date().isoformat()
    resp = api.post(f"/tasks/{open_task['id']}/complete", USERS[role], json={"data": data})
    assert resp.status_code == 200, resp.get_json()


def test_designer_edits_a_decision_table_threshold_and_new_cases_route_by_it(
    browser, live_server, api, scratch
):
    page = login(browser, live_server)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        form = page.locator("#copy-item-form")
        form.locator("select[name=source]").select_option("350200-SXHJ-XK-0001")
        form.locator("input[name=code]").fill(CODE)
        form.locator("input[name=slug]").fill(SLUG)
        form.get_by_role("button", name="复制为草稿").click()
        page.wait_for_url(re.compile(r".*/designer/drafts/\d+$"))
        page.wait_for_selector("#modeler-canvas[data-rendered=true]")

        # the DMN file opens in the decision-table editor, not as XML
        page.locator("#file-select").select_option(DMN)
        page.wait_for_selector("#dmn-canvas[data-rendered=true]")
        assert page.locator("#dmn-box").get_attribute("data-mode") == "table"
        assert page.locator("#xml-editor").is_hidden()
        assert page.locator(f'#dmn-canvas td[data-element-id="{BOOK}"]').inner_text().strip() == ">= 500"

        # a threshold typed wrong (letter O for zero) is an error at that cell, in the table and the list
        edit_cell(page, BOOK, ">= 3OO")
        edit_cell(page, FORM, "< 300")
        page.get_by_role("button", name="验证").click()
        page.wait_for_selector("#findings[data-errors]:not([data-errors='0'])")
        finding = page.locator(f'#findings .finding-error[data-element="{BOOK}"]')
        assert finding.count() == 1
        text = finding.inner_text()
        assert DMN in text and "rule 5" in text and "3OO" in text, text
        assert page.locator(f'#dmn-canvas td.dmn-finding[data-element-id="{BOOK}"]').is_visible()

        # fixed, validated clean, deployed
        edit_cell(page, BOOK, ">= 300")
        page.get_by_role("button", name="验证").click()
        page.wait_for_selector("#findings[data-errors='0']")
        assert page.locator("#dmn-canvas td.dmn-finding").count() == 0
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "designer-dmn.png"))

        # the XML view is the fallback and carries the edit
        page.locator("#dmn-view-xml").click()
        assert "&gt;= 300" in page.locator("#xml-editor").input_value()
        page.locator("#dmn-view-table").click()
        page.wait_for_selector("#dmn-box[data-mode=table]")

        page.get_by_role("button", name="部署为新版本").click()
        page.wait_for_selector("#workbench[data-deployed]")
        version = page.locator("#workbench").get_attribute("data-deployed")
        assert errors == []
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "designer-dmn.png"), full_page=True)
        raise

    # new cases route by the new table: 300 beds now goes to expert review, 299 does not
    large, small = start_case(api, 300), start_case(api, 299)
    assert api.get(f"/cases/{large}", "env_clerk").get_json()["process_version"] == version
    for case_no in (large, small):
        complete(api, case_no, "accept", "clerk")
        complete(api, case_no, "review", "reviewer")
    assert open_steps(api, large) == ["organise_expert_review"]
    assert open_steps(api, small) == ["decide"]
