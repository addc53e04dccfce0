"""One joint case in a real browser (Debian Chromium): filed at the comprehensive window with both
departments' fields and the union of the materials, each department accepts its own part on its own
task page, the window accepts once, both departments decide in parallel, the window hands everything
over at once (统一窗口出件)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.conftest import DEMO_PASSWORD
from tests.joint.harness import SLUG, dated, scenarios, user_for
from tests.portal.helpers import PDF
from tests.web.conftest import ARTIFACTS

pytestmark = pytest.mark.browser
HW, DG = "hazardous_waste_licence", "road_dangerous_goods_transport"
SCENARIO = dict(scenarios())["both_approve"]


def _login(browser, live_server, username):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    return context, page


def _open_task(page, live_server, case_no):
    page.goto(f"{live_server}/inbox/?q={case_no}")
    row = page.locator("tr", has_text=case_no)
    if row.get_by_role("button", name="签收").count():
        row.get_by_role("button", name="签收").click()
        row = page.locator("tr", has_text=case_no)
    row.get_by_role("link", name="办理").click()
    page.wait_for_url(re.compile(r".*/tasks/\d+$"))


def _work(browser, live_server, username, case_no, fill, shot):
    context, page = _login(browser, live_server, username)
    try:
        _open_task(page, live_server, case_no)
        fill(page)
        page.get_by_role("button", name="提交").click()
        page.wait_for_url(re.compile(r".*/cases/TB\d+"))
        return page.content()
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"joint-{shot}.png"), full_page=True)
        raise
    finally:
        context.close()


def _intake(browser, live_server, tmp_path) -> str:
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(PDF)
    app_data = SCENARIO["application"]
    context, page = _login(browser, live_server, "window_clerk")
    try:
        page.goto(f"{live_server}/window/new/{SLUG}")
        page.check("input[name=applicant_kind][value=entity]")
        for key in (
            "applicant_name",
            "applicant_id_number",
            "legal_representative",
            "contact_name",
            "contact_phone",
        ):
            page.fill(f"#{key}", app_data[key])
        page.fill("#contact_address", app_data["contact_address"])
        page.check(f"input[name={HW}__business_mode][value=collection]")
        page.fill(f"[name='{HW}__waste_categories-0']", "HW08")
        page.check(f"input[name={HW}__disposal_methods][value=collection]")
        page.fill(f"[name={HW}__annual_capacity_tonnes]", "3000")
        page.fill(f"[name={HW}__facility_address]", "厦门市翔安区舫山东路1288号")
        page.check(f"input[name={DG}__dangerous_goods_scope][value=class9]")
        page.check(f"input[name={DG}__dangerous_goods_scope][value=hazardous_waste]")
        page.fill(f"[name={DG}__business_address]", "厦门市翔安区舫山东路1288号")
        page.fill(f"[name={DG}__vehicle_count]", "5")
        page.fill(f"[name={DG}__tank_vehicle_count]", "0")
        page.fill(f"[name={DG}__parking_address]", "厦门市翔安区舫山东路1288号危险货物专用停车场")
        page.fill(f"[name={DG}__parking_area_m2]", "1200")
        page.fill(f"[name={DG}__safety_manager_count]", "1")
        page.fill(f"[name={DG}__driver_count]", "6")
        page.fill(f"[name={DG}__escort_count]", "5")
        for code in SCENARIO["materials"]:
            page.set_input_files(f"#material-{code}", str(scan))
        page.fill("#id_no_read", app_data["applicant_id_number"])
        page.check("input[name=id_checked]")
        page.get_by_role("button", name="收件并打印回执").click()
        page.wait_for_url(re.compile(r".*/window/receipts/TB\d+$"))
        return page.locator("#receipt .case-no").inner_text().strip()
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "joint-intake.png"), full_page=True)
        raise
    finally:
        context.close()


def _accept(page):
    page.get_by_label("予以受理").check()


def test_a_joint_case_from_window_intake_through_two_departments_to_one_collection(
    app, browser, live_server, tmp_path
):
    from app.models import Session
    from app.services import cases, joint
    from app.services.tasks import complete_task
    from engine.workcal import local_date
    from tests.factories import actor

    master_no = _intake(browser, live_server, tmp_path)
    with app.app_context():
        master = cases.load_case(master_no)
        parts = {c.item.slug: c.case_no for c in joint.components_of(master)}
    # each department accepts its own part, in its own inbox
    _work(browser, live_server, "env_clerk", parts[HW], _accept, "env-accept")
    _work(browser, live_server, "xm_tr_clerk", parts[DG], _accept, "tr-accept")
    page = _work(
        browser,
        live_server,
        "window_clerk",
        master_no,
        lambda p: p.get_by_label("统一受理").check(),
        "window-accept",
    )
    assert "厦门市生态环境局" in page and "厦门市交通运输局" in page  # the master lists its parts
    # both departments review and decide in parallel (their own forms; the steps of the scenario)
    with app.app_context():
        for step in SCENARIO["steps"][3:-1]:
            today = local_date(datetime.now(UTC))  # per step: a run may cross Shanghai midnight
            Session.remove()
            case = cases.load_case(parts[step["component"]])
            task = next(
                t for t in case.tasks if t.bpmn_id == step["task"] and t.state in ("ready", "claimed")
            )
            complete_task(actor(user_for(step)), task.id, dated(step["data"], today))

    delivered = []

    def collect(p):
        delivered.append(local_date(datetime.now(UTC)))
        p.select_option("#delivery_method", "window")
        p.fill("#delivered_on", delivered[-1].isoformat())
        p.fill("#recipient", "吴志强（法定代表人）")

    page = _work(browser, live_server, "window_clerk", master_no, collect, "collect")
    with app.app_context():
        Session.remove()
        master = cases.load_case(master_no)
        assert (master.status, master.outcome, master.delivered_on) == (
            "completed",
            "collected",
            delivered[-1],
        )
        assert {c.item.slug: c.outcome for c in joint.components_of(master)} == {
            HW: "approved",
            DG: "approved",
        }
