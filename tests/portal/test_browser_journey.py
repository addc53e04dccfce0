"""The applicant's whole journey in a real browser (Debian Chromium at phone width): register, read the
guide, apply with uploads (saving a draft on the way), receive the correction notice a clerk issues on
the staff task page, supplement exactly the listed material, follow the progress, download the decision."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.conftest import DEMO_PASSWORD
from tests.portal.helpers import PASSWORD, PDF, fresh_mobile, fresh_resident_id, sms_code, walk
from tests.portal.test_browser import _no_horizontal_scroll, _shot, phone
from tests.web.conftest import ARTIFACTS

pytestmark = pytest.mark.browser
FREIGHT = "350206-QXJT-XK-0001"  # 道路货物运输经营许可, 湖里区交通运输局
FIRST = ["application_form", "responsible_person_id"]
LATER = ["vehicle_licences", "vehicle_inspection_reports", "driver_qualifications", "safety_management_rules"]


def _register(page, live_server, name: str) -> str:
    mobile, id_no = fresh_mobile(), fresh_resident_id()
    page.goto(f"{live_server}/account/register")
    page.fill("#name", name)
    page.fill("#id_no", id_no)
    page.fill("#mobile", mobile)
    page.get_by_role("button", name="获取短信验证码").click()
    page.fill("#code", sms_code(mobile))
    page.fill("#password", PASSWORD)
    page.fill("#password2", PASSWORD)
    page.get_by_role("button", name="注册", exact=True).click()
    page.wait_for_url(re.compile(r".*/my/cases$"))
    return mobile


def _clerk_issues_the_correction(browser, live_server, case_no: str) -> None:
    """The department's clerk claims the acceptance step in the inbox and issues the one-time notice."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server}/login")
        page.get_by_label("用户名").fill("tr_clerk")
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r".*/(inbox|cases)/.*"))
        page.goto(f"{live_server}/inbox/?q={case_no}")
        row = page.locator("tr", has_text=case_no)
        if row.get_by_role("button", name="签收").count():
            row.get_by_role("button", name="签收").click()
            row = page.locator("tr", has_text=case_no)
        row.get_by_role("link", name="办理").click()
        page.wait_for_url(re.compile(r".*/tasks/\d+$"))
        page.get_by_label("一次性告知补正").check()
        page.locator('input[name="deficient_materials-safety_management_rules-_on"]').check()
        page.locator('textarea[name="deficient_materials-safety_management_rules-reason"]').fill(
            "未提交安全生产管理制度文本"
        )
        page.get_by_role("button", name="提交").click()
        page.wait_for_url(re.compile(r".*/cases/TB\d+"))
        assert "补正材料通知书" in page.content()
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "journey-clerk.png"), full_page=True)
        raise
    finally:
        context.close()


def test_register_apply_with_a_draft_supplement_follow_and_download_the_decision(
    app, api, browser, live_server, tmp_path
):
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(PDF)
    with phone(browser, "journey") as page:
        _register(page, live_server, "黄志明")

        # the guide of the item
        page.goto(f"{live_server}/?q=货物运输")
        page.locator("#results").get_by_role("link", name="道路货物运输经营许可").click()
        page.wait_for_url(re.compile(rf".*/guide/{FREIGHT}$"))
        assert "安全生产管理制度" in page.locator("#materials").inner_text()
        page.get_by_role("link", name="在线申请").click()
        page.wait_for_url(re.compile(rf".*/apply/{FREIGHT}$"))

        # half of it, then 保存草稿: kept on the server, resumed with its files
        page.check("input[name=business_scope][value=general_freight]")
        page.fill("#business_address", "厦门市湖里区金山路66号")
        for code in FIRST:
            page.set_input_files(f"#material-{code}", str(scan))
        page.locator("#save-draft").click()
        page.wait_for_url(re.compile(r".*\?draft=\d+$"))
        assert page.locator(".flash-success").inner_text().startswith("草稿已保存")
        assert page.locator("#business_address").input_value() == "厦门市湖里区金山路66号"
        for code in FIRST:
            assert "scan.pdf" in page.locator(f"#material-{code}-kept").inner_text()
        page.goto(f"{live_server}/my/drafts")
        page.locator("#drafts").get_by_role("link", name="道路货物运输经营许可").click()
        page.wait_for_url(re.compile(r".*\?draft=\d+$"))

        page.fill("#vehicles-0-plate_number", "闽D3H551")
        page.fill("#vehicles-0-vehicle_type", "重型仓栅式货车")
        page.fill("#vehicles-0-total_mass_kg", "25000")
        page.fill("#driver_count", "1")
        for code in LATER:
            page.set_input_files(f"#material-{code}", str(scan))
        page.check("input[name=confirm]")
        page.get_by_role("button", name="提交申请").click()
        page.wait_for_url(re.compile(r".*/my/cases/TB\d+$"))
        case_no = re.search(r"TB\d+", page.url).group(0)
        code = page.locator(".query-code").inner_text()
        assert page.locator('#documents a[data-kind="receipt"]').count() == 1
        assert page.locator("#materials li").count() == len(FIRST) + len(LATER)

        _clerk_issues_the_correction(browser, live_server, case_no)

        # the notice arrives: unread count in the header, the message list, the case page
        page.goto(f"{live_server}/my/cases")
        # one unread: the receipt's message was read on the case page the applicant landed on
        assert page.locator("#nav-messages .unread-count").inner_text() == "1"
        page.locator("#nav-messages").click()
        assert page.locator('#messages li[data-event="correction_requested"]').count() == 1
        assert (
            "短信" in page.locator('#messages li[data-event="correction_requested"] .delivery').inner_text()
        )
        _no_horizontal_scroll(page)
        _shot(page, "portal-messages-mobile.png")
        page.goto(f"{live_server}/my/cases/{case_no}")
        assert page.locator("[data-next]").get_attribute("data-next") == "supplement"
        page.locator("#supplement-link").click()
        page.wait_for_url(re.compile(rf".*/my/cases/{case_no}/supplement$"))
        listed = page.locator("#requested li")
        assert listed.count() == 1
        assert "未提交安全生产管理制度文本" in listed.first.locator(".reason").inner_text()
        page.get_by_role("button", name="提交补正材料").click()  # nothing chosen: named, nothing sent
        assert "必须上传此材料" in page.locator("#material-safety_management_rules-error").inner_text()
        assert "安全生产管理制度文本" in page.locator("#form-message").inner_text()
        page.goto(f"{live_server}/my/cases/{case_no}/supplement")
        page.set_input_files("#material-safety_management_rules", str(scan))
        page.fill("#note-safety_management_rules", "补交安全生产责任制度和操作规程")
        _no_horizontal_scroll(page)
        _shot(page, "portal-supplement-mobile.png")
        page.get_by_role("button", name="提交补正材料").click()
        page.wait_for_url(re.compile(rf".*/my/cases/{case_no}$"))
        assert page.locator("[data-next]").get_attribute("data-next") == "wait_acceptance"
        assert "第 1 次补正" in page.locator("#materials").inner_text()

    # the office accepts, reviews, decides and delivers (its own pages are tested elsewhere)
    walk(api, case_no, "road_freight_permit", "correct_once_approve", skip=2)  # after notice and supplement

    with phone(browser, "journey-after") as page:
        page.goto(f"{live_server}/progress")
        page.get_by_label("办件编号").fill(case_no)
        page.get_by_label("查询码").fill(code)
        page.get_by_role("button", name="查询").click()
        result = page.locator("#progress-result").inner_text()
        assert "已办结" in result and "黄志明" not in result

        page.goto(f"{live_server}/account/login")
        page.get_by_label("手机号码或证件号码").fill(_mobile_of(case_no))
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r".*/my/cases$"))
        page.goto(f"{live_server}/my/cases/{case_no}")
        assert page.locator("[data-next]").get_attribute("data-next") == "collect"
        assert page.locator("#withdraw-link").count() == 0
        with page.expect_download() as download:
            page.locator('#documents a[data-kind="approval_decision"]').click()
        body = open(download.value.path(), "rb").read()
        assert body.startswith(b"%PDF")
        if shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", "-", "-"], input=body, capture_output=True, check=True)
            assert case_no in text.stdout.decode() and "准予行政许可决定书" in text.stdout.decode()


def _mobile_of(case_no: str) -> str:
    from sqlalchemy import select

    from app.models import ApplicantProfile, Case, Session

    Session.remove()
    user_id = Session.scalar(select(Case.applicant_user_id).where(Case.case_no == case_no))
    return Session.get(ApplicantProfile, user_id).mobile


def test_the_window_prints_the_receipt_pdf_of_a_walk_in(app, browser, live_server, tmp_path):
    """The comprehensive window registers another department's item and opens the receipt PDF."""
    from tests.portal.test_intake import REISSUE, REISSUE_REQUIRED

    scan = tmp_path / "scan.pdf"
    scan.write_bytes(PDF)
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server}/login")
        page.get_by_label("用户名").fill("window_clerk")
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r".*/window/$"))
        page.goto(f"{live_server}/window/new/{REISSUE}")
        page.check("input[name=applicant_kind][value=person]")
        page.fill("#applicant_name", "柯明辉")
        page.fill("#applicant_id_number", "350203198506123013")
        page.fill("#contact_phone", "13799881234")
        page.fill("#vehicle_plate", "闽D12345")
        page.fill("#original_cert_number", "350200654321")
        page.fill("#business_licence_number", "闽交运管许可厦字350200010002号")
        page.check("input[name=reissue_reason][value=damaged]")
        for code in REISSUE_REQUIRED:
            page.set_input_files(f"#material-{code}", str(scan))
        page.fill("#id_no_read", "350203198506123013")
        page.check("input[name=id_checked]")
        page.get_by_role("button", name="收件并打印回执").click()
        page.wait_for_url(re.compile(r".*/window/receipts/TB\d+$"))
        case_no = page.locator("#receipt .case-no").inner_text()
        href = page.locator("#receipt-pdf").get_attribute("href")
        resp = page.request.get(f"{live_server}{href}")
        assert resp.status == 200 and resp.headers["content-type"] == "application/pdf"
        assert resp.body().startswith(b"%PDF")
        if shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", "-", "-"], input=resp.body(), capture_output=True, check=True)
            assert case_no in text.stdout.decode() and "收件回执" in text.stdout.decode()
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "portal-window-pdf.png"), full_page=True)
        raise
    finally:
        context.close()
