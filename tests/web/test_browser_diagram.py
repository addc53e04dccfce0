"""The case diagram in headless Chromium: bpmn-js really drew the process, and the current step is marked.

"Rendered" means: the viewer's import succeeded without warnings, every shape and edge of the served
BPMN diagram is in the SVG, no error box is shown and the page logged no error. "Marked" means the
current step carries the `highlight-current` marker (visible as its fill colour) and the 当前环节 badge,
the completed steps carry `highlight-done`, and nothing else is marked current.
"""

from __future__ import annotations

import re

import pytest
from lxml import etree

from tests.conftest import DEMO_PASSWORD
from tests.factories import open_task, scenario, submit
from tests.web.conftest import ROOT

pytestmark = pytest.mark.browser

VIEWER = ROOT / "app" / "static" / "vendor" / "bpmn-viewer.production.min.js"
DI = "http://www.omg.org/spec/BPMN/20100524/DI"
CURRENT_FILL = "rgb(255, 243, 196)"  # .highlight-current in tongban.css (#fff3c4)
DONE_FILL = "rgb(200, 230, 201)"  # .highlight-done (#c8e6c9)


@pytest.fixture
def viewer_installed():
    assert VIEWER.exists(), f"{VIEWER} is missing: `make setup` copies bpmn-js from npm (make assets)"


class Page:
    """A logged-in page that records console errors and uncaught exceptions."""

    def __init__(self, browser, base: str, username: str) -> None:
        self.context = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(15000)
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.base = base
        self.page.goto(f"{base}/login")
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码").fill(DEMO_PASSWORD)
        self.page.get_by_role("button", name="登录").click()
        self.page.wait_for_url(re.compile(r".*/(inbox|cases)/.*"))

    def case(self, case_no: str):
        self.errors.clear()  # what the case page itself logs
        self.page.goto(f"{self.base}/cases/{case_no}")
        self.page.wait_for_selector("#bpmn-canvas[data-rendered]")
        return self.page.locator("#bpmn-canvas")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_page(browser, live_server):
    pages: list[Page] = []

    def make(username: str) -> Page:
        pages.append(Page(browser, live_server, username))
        return pages[-1]

    yield make
    for p in pages:
        p.close()


def diagram_ids(page: Page, case_no: str) -> set[str]:
    """bpmnElement ids of every shape and edge in the diagram the page is served."""
    resp = page.page.request.get(f"{page.base}/cases/{case_no}/diagram.bpmn")
    assert resp.ok, resp.status
    root = etree.fromstring(resp.body())
    return {
        el.get("bpmnElement")
        for el in root.iter(f"{{{DI}}}BPMNShape", f"{{{DI}}}BPMNEdge")
        if el.get("bpmnElement")
    }


def marked(page: Page, css: str) -> set[str]:
    return set(
        page.page.eval_on_selector_all(
            f"#bpmn-canvas g.djs-element.{css}", "els => els.map(e => e.getAttribute('data-element-id'))"
        )
    )


def fill_of(page: Page, element_id: str) -> str:
    return page.page.eval_on_selector(
        f'#bpmn-canvas g.djs-element[data-element-id="{element_id}"] .djs-visual > :first-child',
        "el => getComputedStyle(el).fill",
    )


def assert_rendered(page: Page, box, case_no: str) -> None:
    assert box.get_attribute("data-rendered") == "true", box.get_attribute("data-error")
    assert box.get_attribute("data-import-warnings") == "0"
    assert page.page.locator("#bpmn-canvas .diagram-error").count() == 0
    expected = diagram_ids(page, case_no)
    assert {"accept", "review", "decide", "issue_result"} <= expected  # the served diagram is the EIA process
    drawn = set(
        page.page.eval_on_selector_all(
            "#bpmn-canvas svg g.djs-element[data-element-id]",
            "els => els.map(e => e.getAttribute('data-element-id'))",
        )
    )
    assert expected <= drawn, f"not drawn: {sorted(expected - drawn)}"
    assert page.errors == []


def test_a_case_at_review_shows_its_diagram_with_review_current_and_acceptance_done(
    app, api, open_page, viewer_installed
):
    case_no = submit(api)
    accept = open_task(api, case_no, "accept")
    data = scenario("eia_report_form", "accept_approve")["steps"][0]["data"]
    assert api.post(f"/tasks/{accept['id']}/complete", "env_clerk", json={"data": data}).status_code == 200

    page = open_page("env_reviewer")
    box = page.case(case_no)
    assert_rendered(page, box, case_no)
    assert marked(page, "highlight-current") == {"review"}
    assert marked(page, "highlight-done") == {"accept"}
    assert box.get_attribute("data-marked-current") == "review"
    assert fill_of(page, "review") == CURRENT_FILL and fill_of(page, "accept") == DONE_FILL
    assert fill_of(page, "decide") not in (CURRENT_FILL, DONE_FILL)
    badge = page.page.locator(".diagram-current-badge")
    assert (
        badge.count() == 1
        and badge.get_attribute("data-step") == "review"
        and badge.inner_text() == "当前环节"
    )


def test_a_step_inside_the_expert_review_marks_the_call_activity_on_the_main_diagram(
    app, api, open_page, viewer_installed
):
    steps = scenario("eia_report_form", "expert_review_approve")["steps"]
    case_no = submit(api, name="expert_review_approve")
    users = {"clerk": "env_clerk", "reviewer": "env_reviewer"}
    for step in steps[:2]:  # accept, then review asking for the expert review
        task = open_task(api, case_no, step["task"])
        resp = api.post(f"/tasks/{task['id']}/complete", users[step["role"]], json={"data": step["data"]})
        assert resp.status_code == 200, resp.get_json()
    inner = api.get(f"/cases/{case_no}", "supervisor").get_json()["open_tasks"]
    assert [t["special_procedure"] for t in inner] == ["expert_review"]

    page = open_page("env_reviewer")
    box = page.case(case_no)
    assert_rendered(page, box, case_no)
    (current,) = marked(page, "highlight-current")
    assert current not in ("review", "accept") and current in diagram_ids(page, case_no)
    assert page.page.eval_on_selector(
        f'#bpmn-canvas g.djs-element[data-element-id="{current}"]', "el => el.getAttribute('data-element-id')"
    )
    assert marked(page, "highlight-done") == {"accept", "review"}


@pytest.mark.parametrize(
    ("status", "body", "detail"),
    [(500, "boom", r"^HTTP 500$"), (200, "<definitions>not BPMN</definitions>", r"\S")],
    ids=["server-error", "not-bpmn"],
)
def test_a_diagram_that_cannot_be_shown_gives_an_error_box_in_words_and_no_marks(
    app, api, open_page, viewer_installed, status, body, detail
):
    """The other side of the checks above: a failed load or import is visible and is not 'rendered'."""
    case_no = submit(api)
    page = open_page("env_clerk")
    page.page.route(
        "**/diagram.bpmn",
        lambda route: route.fulfill(status=status, body=body, content_type="application/xml"),
    )
    box = page.case(case_no)
    assert box.get_attribute("data-rendered") == "error"
    assert re.search(detail, box.get_attribute("data-error") or "")
    error = page.page.locator("#bpmn-canvas .diagram-error[role=alert]")
    assert error.inner_text() == "流程图加载失败，请刷新页面重试。"
    assert marked(page, "highlight-current") == set() and box.get_attribute("data-marked-current") is None
