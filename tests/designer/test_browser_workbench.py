"""A designer, in a real browser, copies an item, deploys it, adds an expert-review step in the modeler,
binds a form and a step limit, sees the validation error on the element and fixes it, deploys the new
version; a new case runs on it while an older case finishes on the old one; a dry run then a
migration moves a waiting case, which then runs to the end on the new version."""

from __future__ import annotations

import re

import pytest

from tests.conftest import DEMO_PASSWORD
from tests.designer.flows import case_doc, complete, open_steps, start_case
from tests.web.conftest import ARTIFACTS, SCREENSHOTS

pytestmark = pytest.mark.browser

SLUG, CODE = "zz_freight_browser", "350206-QXJT-XK-9101"
OPINION = {"opinion": "专家组同意通过。"}

ADD_STEP = """() => {
  const m = window.tongbanWorkbench.modeler;
  const reg = m.get('elementRegistry'), modeling = m.get('modeling'), factory = m.get('elementFactory');
  const flow = reg.get('flow_review_decide'), review = reg.get('review'), decide = reg.get('decide');
  const lane = reg.get('lane_reviewer');
  const participant = reg.filter(e => e.type === 'bpmn:Participant')[0];
  const shape = factory.createShape({ type: 'bpmn:UserTask' });
  modeling.createShape(shape, { x: review.x + review.width + 120, y: lane.y + lane.height / 2 }, participant);
  modeling.updateLabel(shape, '专家评审');
  modeling.reconnectEnd(flow, shape, { x: shape.x, y: shape.y + shape.height / 2 });
  modeling.connect(shape, decide, { type: 'bpmn:SequenceFlow' });
  m.get('selection').select(shape);
  return shape.id;
}"""
LANE_OF = """id => {
  const reg = window.tongbanWorkbench.modeler.get('elementRegistry');
  const lane = reg.filter(e => e.type === 'bpmn:Lane').find(l => (l.businessObject.flowNodeRef || []).some(n => n.id === id));
  return lane ? lane.businessObject.name : null;
}"""


def step_limits(case_no: str) -> dict[str, int | None]:
    """The open steps' limits as the clocks stored them (from the limit bound in the panel)."""
    from sqlalchemy import select

    from app.models import Case, CaseTask, Session

    rows = Session.execute(
        select(CaseTask.bpmn_id, CaseTask.limit_wd)
        .join(Case)
        .where(Case.case_no == case_no, CaseTask.state.in_(("ready", "claimed")))
    ).all()
    Session.remove()
    return dict(rows)


def login(browser, base: str):
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 1400, "height": 1000}, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(20000)
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill("designer")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r".*/designer/$"))
    return page


def test_designer_adds_a_step_deploys_and_migrates_a_waiting_case(browser, live_server, api, scratch):
    page = login(browser, live_server)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        # 1. a copy of a real item under its own code and slug, deployed as it is
        form = page.locator("#copy-item-form")
        form.locator("select[name=source]").select_option("350206-QXJT-XK-0001")
        form.locator("input[name=code]").fill(CODE)
        form.locator("input[name=slug]").fill(SLUG)
        form.get_by_role("button", name="复制为草稿").click()
        page.wait_for_url(re.compile(r".*/designer/drafts/\d+$"))
        page.wait_for_selector("#modeler-canvas[data-rendered=true]")
        page.get_by_role("button", name="部署为新版本").click()
        page.wait_for_selector("#workbench[data-deployed]")
        v1 = page.locator("#workbench").get_attribute("data-deployed")

        earlier = start_case(api, CODE)  # will finish on v1
        for task, role in [("accept", "clerk"), ("review", "reviewer")]:
            complete(api, earlier, task, role)
        waiting = start_case(api, CODE)  # waits at acceptance; will be migrated

        # 2. the expert-review step, drawn in the modeler; limit bound in the properties panel
        generated = page.evaluate(ADD_STEP)
        panel = page.locator("#properties-panel")
        assert panel.get_attribute("data-element") == generated
        panel.locator("#prop-id").fill("expert_review")  # the designer names the step (its id keys the form)
        panel.locator("#prop-id").press("Tab")
        assert page.evaluate(LANE_OF, "expert_review") == "reviewer"
        assert "reviewer" in panel.locator("[data-prop=lane]").inner_text()
        panel.locator("#prop-time_limit_wd").fill("3")
        panel.locator("#prop-time_limit_wd").press("Tab")
        assert "缺少" in panel.locator("[data-prop=form]").inner_text()

        # 3. validate: the missing form is an error on the element, shown on the diagram and in the list
        page.get_by_role("button", name="验证").click()
        page.wait_for_selector("#findings[data-errors]")
        assert page.locator("#findings").get_attribute("data-errors") != "0"
        assert page.locator('.finding-badge[data-element="expert_review"]').is_visible()
        messages = page.locator('#findings .finding-error[data-element="expert_review"]').all_inner_texts()
        assert any("expert_review.json" in m for m in messages), messages
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "designer-validation-error.png"))

        # 4. fix it: bind a form (created from the panel), check its live preview, validate again
        panel.get_by_role("button", name="新建表单").click()
        page.get_by_role("tab", name="表单").click()
        assert page.locator("#form-select").input_value() == "expert_review.json"
        page.wait_for_selector("#form-preview[data-rendered] textarea[name=opinion]")
        page.screenshot(path=str(SCREENSHOTS / "designer-form-editor.png"))
        page.get_by_role("tab", name="事项信息").click()
        promised = page.locator("#item-limits-promised_wd")
        assert promised.input_value() == "5"
        promised.fill("21")  # above the statutory 20 WD: the CLI's check, shown at the field
        promised.press("Tab")
        page.get_by_role("button", name="验证").click()
        field_error = page.locator('.field[data-field="limits.promised_wd"] .field-error')
        field_error.wait_for(state="visible")
        assert "超过法定时限" in field_error.inner_text()
        page.screenshot(path=str(SCREENSHOTS / "designer-item-form.png"))
        promised.fill("5")
        promised.press("Tab")
        page.get_by_role("tab", name="流程图").click()
        page.get_by_role("button", name="验证").click()
        page.wait_for_selector("#findings[data-errors='0']")
        assert page.locator(".finding-badge").count() == 0

        # 5. deploy the new version
        page.get_by_role("button", name="部署为新版本").click()
        page.wait_for_function(
            f"() => (document.getElementById('workbench').getAttribute('data-deployed') || '{v1}') !== '{v1}'"
        )
        v2 = page.locator("#workbench").get_attribute("data-deployed")
        assert v2 != v1

        # a new case runs on the new version, through the new step
        fresh = start_case(api, CODE)
        assert case_doc(api, fresh)["process_version"] == v2
        for task, role in [("accept", "clerk"), ("review", "reviewer")]:
            complete(api, fresh, task, role)
        assert open_steps(api, fresh) == ["expert_review"]
        assert step_limits(fresh) == {"expert_review": 3}
        complete(api, fresh, "expert_review", "reviewer", OPINION)  # the form bound in the workbench
        for task, role in [("decide", "decider"), ("issue_result", "clerk")]:
            complete(api, fresh, task, role)
        assert case_doc(api, fresh)["status"] == "completed"
        # the case started before finishes on the old version, without the new step
        for task, role in [("decide", "decider"), ("issue_result", "clerk")]:
            complete(api, earlier, task, role)
        assert (
            case_doc(api, earlier)["status"] == "completed"
            and case_doc(api, earlier)["process_version"] == v1
        )

        # 6. dry run, then the migration, from the item page
        page.goto(f"{live_server}/designer/items/{CODE}")
        migrate = page.locator("#migrate-form")
        migrate.locator("select[name=from_version]").select_option(v1)
        migrate.locator("select[name=to_version]").select_option(v2)
        migrate.get_by_role("button", name="试迁移").click()
        row = page.locator(f"details.migration-run[open] tr[data-case='{waiting}']")
        assert row.locator("td.result").inner_text() == "可迁移"
        assert case_doc(api, waiting)["process_version"] == v1
        migrate = page.locator("#migrate-form")
        migrate.locator("select[name=from_version]").select_option(v1)
        migrate.locator("select[name=to_version]").select_option(v2)
        migrate.get_by_role("button", name="迁移可迁移的办件").click()
        row = page.locator(f"details.migration-run[open] tr[data-case='{waiting}']")
        assert row.locator("td.result").inner_text() == "已迁移"
        page.screenshot(path=str(SCREENSHOTS / "designer-migration.png"), full_page=True)

        # the migrated case runs to the end on the new version
        assert case_doc(api, waiting)["process_version"] == v2
        for task, role in [("accept", "clerk"), ("review", "reviewer")]:
            complete(api, waiting, task, role)
        complete(api, waiting, "expert_review", "reviewer", OPINION)
        for task, role in [("decide", "decider"), ("issue_result", "clerk")]:
            complete(api, waiting, task, role)
        assert case_doc(api, waiting)["status"] == "completed"
        assert errors == []
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "designer-workbench.png"), full_page=True)
        raise
