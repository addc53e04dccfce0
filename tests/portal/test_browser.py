"""The front door in a real browser (Debian Chromium, 390 px wide like a phone): register, read a guide,
apply with uploads, follow the case; the public lookup; a window intake for another department's item."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest

from tests.conftest import DEMO_PASSWORD
from tests.portal.helpers import PASSWORD, PDF, fresh_mobile, fresh_resident_id, sms_code
from tests.web.conftest import ARTIFACTS, SCREENSHOTS

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
REISSUE = "350206-QXJT-GG-0001"


@contextmanager
def phone(browser, name: str):
    context = browser.new_context(
        locale="zh-CN", viewport=PHONE, device_scale_factor=1, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        yield page
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"portal-{name}.png"), full_page=True)
        raise
    finally:
        context.close()


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def _no_horizontal_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"page is {width}px wide at {PHONE['width']}px"


def test_register_read_a_guide_apply_with_uploads_and_follow_the_case(app, browser, live_server, tmp_path):
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(PDF)
    mobile, id_no = fresh_mobile(), fresh_resident_id()
    with phone(browser, "apply") as page:
        page.goto(f"{live_server}/")
        assert page.get_by_role("heading", name="网上办事大厅").is_visible()
        _no_horizontal_scroll(page)
        page.get_by_role("link", name="注册").first.click()
        page.fill("#name", "蔡文杰")
        page.fill("#id_no", id_no)
        page.fill("#mobile", mobile)
        page.get_by_role("button", name="获取短信验证码").click()
        assert page.locator(".flash-success").inner_text().startswith("验证码已发送")
        page.fill("#code", sms_code(mobile))
        page.fill("#password", PASSWORD)
        page.fill("#password2", PASSWORD)
        page.get_by_role("button", name="注册", exact=True).click()
        page.wait_for_url(re.compile(r".*/my/cases$"))

        page.goto(f"{live_server}/?q=补发")
        page.locator("#results").get_by_role("link", name="道路运输证补发").click()
        page.wait_for_url(re.compile(rf".*/guide/{REISSUE}$"))
        assert page.locator("#visits").inner_text() == "1 次"
        page.wait_for_selector("#bpmn-canvas[data-rendered=true]")
        lanes = page.locator("#bpmn-canvas").inner_text()
        assert "窗口办理" in lanes and "clerk" not in lanes
        _no_horizontal_scroll(page)
        _shot(page, "portal-guide-mobile.png")
        with page.expect_download() as download:
            page.locator("#material-application_form [data-kind=blank]").click()
        assert download.value.suggested_filename == "application_form-blank.pdf"

        page.get_by_role("link", name="在线申请").click()
        page.wait_for_url(re.compile(rf".*/apply/{REISSUE}$"))
        assert page.locator("#applicant_id_number").input_value() == id_no
        page.fill("#contact_address", "厦门市湖里区测试路1号")
        page.fill("#vehicle_plate", "闽D8M372")
        page.fill("#original_cert_number", "350200123456")
        page.fill("#business_licence_number", "闽交运管许可厦字350200010001号")
        page.check("input[name=reissue_reason][value=lost]")
        for code in ("application_form", "loss_statement_or_damaged_certificate", "vehicle_licence"):
            page.set_input_files(f"#material-{code}", str(pdf))
        page.check("input[name=confirm]")
        page.get_by_role("button", name="提交申请").click()
        # one required material is missing: named, with the input kept
        assert page.locator("#material-operator_identity-error").inner_text() == "必须上传此材料"
        assert page.locator("#vehicle_plate").input_value() == "闽D8M372"
        _no_horizontal_scroll(page)
        _shot(page, "portal-application-mobile.png")
        for code in (
            "application_form",
            "loss_statement_or_damaged_certificate",
            "vehicle_licence",
            "operator_identity",
        ):
            page.set_input_files(f"#material-{code}", str(pdf))
        page.check("input[name=confirm]")
        page.get_by_role("button", name="提交申请").click()
        page.wait_for_url(re.compile(r".*/my/cases/TB\d+$"))
        flash = page.locator(".flash-success").inner_text()
        case_no = re.search(r"TB\d+", flash).group(0)
        assert page.locator(".current-step").inner_text() == "审核并当场补发"
        assert page.locator("[data-next]").get_attribute("data-next") == "wait_acceptance"
        assert page.locator("#materials li").count() == 4
        _no_horizontal_scroll(page)
        _shot(page, "portal-case-mobile.png")
        code = page.locator(".query-code").inner_text()

    with phone(browser, "progress") as page:
        page.goto(f"{live_server}/progress")
        page.get_by_label("办件编号").fill(case_no)
        page.get_by_label("查询码").fill("WRONG234")
        page.get_by_role("button", name="查询").click()
        assert "查询码不正确" in page.locator("#progress-error").inner_text()
        page.get_by_label("查询码").fill(code.lower())
        page.get_by_role("button", name="查询").click()
        result = page.locator("#progress-result").inner_text()
        assert (
            "受理审查中" in result
            and "交通运输局" in result
            and "蔡文杰" not in result
            and id_no not in result
        )


def test_a_window_registers_a_walk_in_for_another_departments_item(app, browser, live_server, tmp_path):
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(PDF)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server}/login")
        page.get_by_label("用户名").fill("window_clerk")
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r".*/window/$"))
        page.locator("tr", has_text="道路运输证补发").get_by_role("link", name="登记收件").click()
        page.check("input[name=applicant_kind][value=person]")
        page.fill("#applicant_name", "柯明辉")
        page.fill("#applicant_id_number", "350203198506123013")
        page.fill("#contact_phone", "13799881234")
        page.fill("#vehicle_plate", "闽D12345")
        page.fill("#original_cert_number", "350200654321")
        page.fill("#business_licence_number", "闽交运管许可厦字350200010002号")
        page.check("input[name=reissue_reason][value=damaged]")
        for code in (
            "application_form",
            "loss_statement_or_damaged_certificate",
            "vehicle_licence",
            "operator_identity",
        ):
            page.set_input_files(f"#material-{code}", str(scan))
        page.fill("#id_no_read", "350203198506123013")
        page.get_by_role("button", name="收件并打印回执").click()
        assert "请核验申请人证件原件" in page.locator("#form-message").inner_text()
        for code in (
            "application_form",
            "loss_statement_or_damaged_certificate",
            "vehicle_licence",
            "operator_identity",
        ):
            page.set_input_files(f"#material-{code}", str(scan))
        page.check("input[name=id_checked]")
        page.get_by_role("button", name="收件并打印回执").click()
        page.wait_for_url(re.compile(r".*/window/receipts/TB\d+$"))
        receipt = page.locator("#receipt")
        assert receipt.locator(".department").inner_text() == "厦门市湖里区交通运输局"
        assert re.fullmatch(r"[2-9A-Z]{8}", receipt.locator(".query-code").inner_text())
        assert receipt.locator("ol li").count() == 4
        _shot(page, "window-receipt.png")
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "portal-window.png"), full_page=True)
        raise
    finally:
        context.close()
