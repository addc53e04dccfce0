"""A case walked through the browser: correction, supplement, acceptance, expert review, decision, PDF."""

from __future__ import annotations

import re
import shutil
import subprocess
from contextlib import contextmanager

import pytest

from tests.conftest import DEMO_PASSWORD
from tests.web.conftest import ARTIFACTS, SCREENSHOTS
from tests.web.helpers import submit_case

pytestmark = pytest.mark.browser


class Walk:
    """One browser context per user; every step screenshots its page into test-artifacts/ on failure."""

    def __init__(self, browser, base: str) -> None:
        self.browser = browser
        self.base = base
        self.pages: dict[str, object] = {}

    def as_user(self, username: str):
        if username not in self.pages:
            context = self.browser.new_context(
                locale="zh-CN", viewport={"width": 1360, "height": 900}, accept_downloads=True
            )
            page = context.new_page()
            page.set_default_timeout(15000)
            page.goto(f"{self.base}/login")
            page.get_by_label("用户名").fill(username)
            page.get_by_label("密码").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(re.compile(r".*/(inbox|cases)/.*"))
            self.pages[username] = page
        return self.pages[username]

    @contextmanager
    def step(self, name: str, page):
        try:
            yield page
        except Exception:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            raise

    def open_task(self, username: str, case_no: str):
        page = self.as_user(username)
        page.goto(f"{self.base}/inbox/?q={case_no}")
        row = page.locator("tr", has_text=case_no)
        if row.get_by_role("button", name="签收").count():
            row.get_by_role("button", name="签收").click()
            row = page.locator("tr", has_text=case_no)
        row.get_by_role("link", name="办理").click()
        page.wait_for_url(re.compile(r".*/tasks/\d+$"))
        return page

    def submit(self, page):
        page.get_by_role("button", name="提交").click()
        page.wait_for_url(re.compile(r".*/cases/TB\d+"))
        assert page.locator(".flash-success").count() == 1


def test_a_case_from_correction_to_a_pdf_decision(app, api, browser, live_server):
    walk = Walk(browser, live_server)
    case_no = submit_case(api, applicant_name="厦门海沧新材料科技有限公司")

    clerk = walk.as_user("env_clerk")
    with walk.step("01-inbox", clerk):
        clerk.goto(f"{live_server}/inbox/")
        assert clerk.locator("tr", has_text=case_no).count() == 1
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        clerk.screenshot(path=str(SCREENSHOTS / "inbox.png"), full_page=True)

    with walk.step("02-correction", clerk):
        walk.open_task("env_clerk", case_no)
        clerk.get_by_label("一次性告知补正").check()
        clerk.locator('input[name="deficient_materials-eia_report_public_version-_on"]').check()
        clerk.locator('textarea[name="deficient_materials-eia_report_public_version-reason"]').fill(
            "未提交报告表公开版本"
        )
        clerk.locator('input[name="deficient_materials-deletion_statement-_on"]').check()
        clerk.locator('textarea[name="deficient_materials-deletion_statement-reason"]').fill(
            "缺少删除内容及理由说明"
        )
        clerk.screenshot(path=str(SCREENSHOTS / "task-accept.png"), full_page=True)
        walk.submit(clerk)
        assert "补正材料通知书" in clerk.content()

    resp = api.post(
        f"/cases/{case_no}/supplements",
        user="applicant",
        json={
            "data": {
                "materials": [{"material": "eia_report_public_version"}, {"material": "deletion_statement"}]
            }
        },
    )
    assert resp.status_code == 200, resp.get_json()

    with walk.step("03-accept", clerk):
        walk.open_task("env_clerk", case_no)
        clerk.get_by_label("予以受理").check()
        walk.submit(clerk)
        assert "受理通知书" in clerk.content()

    reviewer = walk.as_user("env_reviewer")
    with walk.step("04-review", reviewer):
        walk.open_task("env_reviewer", case_no)
        reviewer.get_by_label("需组织专家评审").check()
        reviewer.get_by_label("审查意见").fill("大气环境影响预测需专家论证。")
        reviewer.get_by_label("专家评审理由").fill("模型参数取值存疑。")
        reviewer.get_by_label("专家评审预计所需工作日").fill("12")
        walk.submit(reviewer)
        assert "特殊程序时间告知书" in reviewer.content()

    with walk.step("05-organise-expert-review", reviewer):
        walk.open_task("env_reviewer", case_no)
        experts = [("王立新", "大气环境"), ("黄敏", "化工工艺"), ("郑海涛", "环境风险评价")]
        for i, (name, specialty) in enumerate(experts):
            reviewer.locator(f'input[name="experts-{i}-name"]').fill(name)
            reviewer.locator(f'input[name="experts-{i}-specialty"]').fill(specialty)
        reviewer.get_by_label("评审方式").select_option("meeting")
        reviewer.get_by_label("评审日期").fill("2026-03-20")
        reviewer.get_by_label("已书面告知申请人所需时间").check()
        walk.submit(reviewer)

    with walk.step("06-record-expert-opinion", reviewer):
        walk.open_task("env_reviewer", case_no)
        reviewer.get_by_label("通过", exact=True).check()
        reviewer.get_by_label("专家组评审意见").fill("报告表总体可行。")
        walk.submit(reviewer)

    with walk.step("07-review-again-or-decide", reviewer):
        reviewer.goto(f"{live_server}/inbox/?q={case_no}")
        if reviewer.locator("tr", has_text=case_no).count():
            walk.open_task("env_reviewer", case_no)
            reviewer.get_by_label("审查完毕，报送决定").check()
            reviewer.get_by_label("符合许可条件").check()
            reviewer.get_by_label("审查意见").fill("专家评审通过，建议批准。")
            walk.submit(reviewer)

    decider = walk.as_user("env_decider")
    with walk.step("08-decide", decider):
        walk.open_task("env_decider", case_no)
        decider.get_by_label("予以批准").check()
        decider.get_by_label("决定意见").fill("经审查，符合法定条件，准予许可。")
        walk.submit(decider)

    with walk.step("09-case-file-and-pdf", decider):
        decider.goto(f"{live_server}/cases/{case_no}")
        link = decider.locator('a[data-kind="approval_decision"]')
        assert link.count() == 1
        with decider.expect_download() as info:
            link.click()
        body = open(info.value.path(), "rb").read()
        assert body.startswith(b"%PDF")
        if shutil.which("pdftotext"):
            text = subprocess.run(
                ["pdftotext", "-", "-"], input=body, capture_output=True, check=True
            ).stdout.decode()  # noqa: S603,S607 - fixed argv
            assert case_no in text and "准予行政许可决定书" in text
        box = decider.wait_for_selector("#bpmn-canvas[data-rendered]", timeout=15000)
        assert box.get_attribute("data-rendered") == "true", box.get_attribute("data-error")
        # decided: the result is to be issued by the clerk (tests/web/test_browser_diagram.py checks more)
        current = decider.locator("#bpmn-canvas g.djs-element.highlight-current")
        assert current.count() == 1 and current.get_attribute("data-element-id") == "issue_result"
        for step in ("accept", "review", "decide"):
            assert decider.locator(f'#bpmn-canvas g.highlight-done[data-element-id="{step}"]').count() == 1, (
                step
            )
        decider.screenshot(path=str(SCREENSHOTS / "case-file.png"), full_page=True)
