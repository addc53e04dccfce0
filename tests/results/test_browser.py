"""Deliverable 8 in a real headless Chromium: an approval's licence downloaded and verified valid, a head
revokes it (verify says revoked, the publication is withdrawn), a 非常不满意 rating becomes a
rectification that is answered and the answer reaches the applicant."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.models import Case, Licence, Session
from tests.conftest import DEMO_PASSWORD
from tests.results.helpers import walk

pytestmark = pytest.mark.browser


def _staff(browser, live_server, user):
    page = browser.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def _applicant(browser, live_server):
    page = browser.new_page(accept_downloads=True)
    page.set_default_timeout(15000)
    page.goto(f"{live_server}/account/login")
    page.fill("#identifier", "applicant")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def test_licence_download_verify_revoke_and_withdrawn_publication(api, app, browser, live_server, tmp_path):
    case_no = walk(
        api,
        "road_freight_permit",
        "accept_approve",
        overrides={"issue_result": {"valid_until": "2030-12-31"}},
    )
    with app.app_context():
        case = Session.scalar(select(Case).where(Case.case_no == case_no))
        lic = Session.scalar(select(Licence).where(Licence.case_id == case.id))
        Session.remove()
    page = _applicant(browser, live_server)
    try:
        page.goto(f"{live_server}/my/cases/{case_no}")
        assert page.inner_text("#case-licence-no") == lic.licence_no
        with page.expect_download() as dl:
            page.click("#licence-pdf")
        path = tmp_path / "licence.pdf"
        dl.value.save_as(path)
        body = path.read_bytes()
        assert body.startswith(b"%PDF") and b"/ETSI.CAdES.detached" in body  # the PAdES signature
        page.goto(f"{live_server}/licences/verify")
        page.fill("#licence_no", lic.licence_no)
        page.fill("#code", lic.verify_code)
        page.click("#verify-form button[type=submit]")
        assert page.inner_text("#verify-status") == "有效"
        assert lic.holder_id_no not in page.content() or lic.holder_kind == "entity"
        page.goto(f"{live_server}/public/decisions")
        assert page.locator("#decision-list tbody tr[data-id]").count() == 1
    finally:
        page.close()
    head = _staff(browser, live_server, "tr_head")
    try:
        head.goto(f"{live_server}/results/licences/{lic.licence_no}")
        head.fill("#reason", "以欺骗手段取得许可，依法撤销")
        head.click("#end-form button[type=submit]")
        assert "已撤销" in head.inner_text("#licence-status")
    finally:
        head.close()
    public = browser.new_page()
    try:
        public.goto(f"{live_server}/licences/verify?licence_no={lic.licence_no}&code={lic.verify_code}")
        assert public.inner_text("#verify-status") == "已撤销"
        public.goto(f"{live_server}/public/decisions")
        assert public.locator("#decision-list tbody tr[data-id]").count() == 0
    finally:
        public.close()


def test_a_very_dissatisfied_rating_becomes_a_rectification_that_is_answered(api, app, browser, live_server):
    case_no = walk(api, "road_freight_permit", "accept_approve")
    page = _applicant(browser, live_server)
    try:
        page.goto(f"{live_server}/my/cases/{case_no}")
        page.check("#rating-form input[name=score][value='1']")
        page.check("#rating-form input[name=tags][value='多次跑动']")
        page.fill("#rating-comment", "窗口让我跑了三次")
        page.click("#rating-form button[type=submit]")
        assert "非常不满意" in page.inner_text("#my-rating")
    finally:
        page.close()
    clerk = _staff(browser, live_server, "tr_clerk")
    try:
        clerk.goto(f"{live_server}/results/")
        clerk.locator("#rectification-list a", has_text="待整改").click()
        clerk.check("#reply-form input[name=outcome][value=rectified]")
        clerk.fill("#finding", "窗口一次性告知不到位，属实")
        clerk.fill("#reply", "已对窗口人员进行培训，向您致歉")
        clerk.click("#reply-form button[type=submit]")
        assert "已答复" in clerk.inner_text("#rect-state")
    finally:
        clerk.close()
    page = _applicant(browser, live_server)
    try:
        page.goto(f"{live_server}/my/cases/{case_no}")
        assert "向您致歉" in page.inner_text("#rating-reply")
    finally:
        page.close()
