"""The cockpit in headless Chromium: counts, ECharts trends, drill-down to the case, heat-map overlays."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from app.models import Session, User
from app.services import alerts
from app.services.auth import Actor
from tests.conftest import DEMO_PASSWORD
from tests.supervision.conftest import at, submit
from tests.web.conftest import SCREENSHOTS

pytestmark = pytest.mark.browser

VENDOR = Path(__file__).resolve().parents[2] / "app" / "static" / "vendor"


def _supervisor_page(browser, live_server):
    """A new page logged in as the demo supervisor."""
    page = browser.new_page()
    page.goto(f"{live_server}/login?next=/supervision/")
    page.fill("input[name=username]", "supervisor")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    return page


def test_a_supervisor_reads_the_cockpit_and_drills_down_to_a_red_case(app, live_server, browser):
    with app.app_context():
        people = {u.username: Actor.of(u) for u in Session.scalars(select(User))}
        red = submit(people, "2026-03-02").case_no
        alerts.sweep(None, at("2026-03-10"))
        Session.remove()
    page = _supervisor_page(browser, live_server)
    try:
        page.goto(f"{live_server}/supervision/")
        assert page.inner_text("[data-light=red]") == "1"
        assert page.inner_text("[data-light=total]") == "1"
        assert page.locator("#by-department tr[data-dept=env] td").nth(3).inner_text() == "1"
        if (VENDOR / "echarts.min.js").exists():
            page.wait_for_selector("#trend-week[data-rendered=true] canvas", timeout=10000)
        link = page.locator(".overdue-list a", has_text=red)
        assert link.count() == 1
        link.click()
        page.wait_for_load_state()
        assert red in page.content()
        page.goto(f"{live_server}/supervision/heatmap/eia_report_form?days=366")
        if (VENDOR / "bpmn-viewer.production.min.js").exists():
            page.wait_for_selector("#heat-canvas[data-rendered=true]", timeout=15000)
            badge = page.locator(".heat-badge[data-step=accept]")
            assert badge.count() == 1 and badge.inner_text().endswith(" 工作日")
    finally:
        page.close()


def test_a_supervisor_asks_for_the_monthly_report_and_downloads_it_when_the_page_says_it_is_made(
    app, live_server, browser
):
    from app.services.pdf import FontMissing, find_cjk_font
    from tests.supervision.reporting import run_reports_pass

    try:
        find_cjk_font()
    except FontMissing:
        pytest.skip("no CJK font (apt-get install fonts-noto-cjk or fonts-wqy-microhei)")
    page = _supervisor_page(browser, live_server)
    try:
        page.goto(f"{live_server}/supervision/?month=2026-03")
        page.get_by_role("link", name="月报 PDF").click()
        page.wait_for_load_state()
        assert page.input_value("#month") == "2026-03"
        page.get_by_role("button", name="生成月报 PDF").click()
        page.wait_for_load_state()
        row = page.locator("#report-runs tr[data-run]")
        assert row.count() == 1 and row.get_attribute("data-state") == "pending"
        assert "生成中" in row.inner_text()
        run_reports_pass(app)
        # the page refreshes itself while a report is being made: no reload by the test
        page.wait_for_selector("#report-runs tr[data-state=done]", timeout=15000)
        link = page.locator("#report-runs tr[data-state=done] a")
        assert "已生成" in page.inner_text("#report-runs tr[data-state=done]")
        pdf = page.request.get(f"{live_server}{link.get_attribute('href')}")
        assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "supervision-reports.png"), full_page=True)
    finally:
        page.close()
