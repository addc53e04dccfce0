"""The office in a real browser: the administrator's user pages (a user with two roles, disabling one,
a password reset and the forced change), a supervision order escalated twice up the chain, a send-back
from the decision to the review, the English inbox, task page and case file, and the phone layout at
390 px (inbox as cards with its buttons on screen, task page and case file without sideways scrolling),
with the README's screenshots."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.models import Session, User
from app.services import supervision
from app.services.auth import Actor
from app.services.cases import submit_application
from tests.conftest import DEMO_PASSWORD, delete_case_data, delete_test_users
from tests.factories import applicant_of, scenario
from tests.web.conftest import ARTIFACTS, SCREENSHOTS

pytestmark = pytest.mark.browser
CST = timezone(timedelta(hours=8))
PHONE = {"width": 390, "height": 844}


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=CST)


def login(
    browser,
    base: str,
    username: str,
    password: str = DEMO_PASSWORD,
    *,
    locale="zh-CN",
    viewport=None,
    english=False,
):
    context = browser.new_context(locale=locale, viewport=viewport or {"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    if english:
        page.goto(f"{base}/lang/en?next=/login")
    page.goto(f"{base}/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state()
    return page


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def cleanup_users(app):
    yield
    Session.remove()
    delete_case_data(app)
    delete_test_users("t\\_%")
    Session.remove()


def test_an_administrator_creates_a_two_role_user_disables_one_and_resets_a_password(
    browser, live_server, cleanup_users
):
    admin = login(browser, live_server, "admin")
    try:
        admin.goto(f"{live_server}/admin/users/new")
        admin.locator("#username").fill("t_browser")
        admin.locator("#name").fill("浏览器 新人")
        admin.locator("#password").fill("Passw0rd-Office")
        admin.locator("#role-0").select_option("reviewer")
        admin.locator("#department-0").select_option("env")
        admin.locator("#role-1").select_option("clerk")
        admin.locator("#department-1").select_option("transport")
        admin.locator("#user-form button[type=submit]").click()
        admin.wait_for_url(re.compile(r".*/admin/users/\d+$"))
        assert admin.locator(".flash-success").count() == 1
        assert admin.locator("#role-0").input_value() == "reviewer"
        assert admin.locator("#department-1").input_value() == "transport"
        user_url = admin.url
        # the two posts, each in its department, in the list
        admin.goto(f"{live_server}/admin/users?q=t_browser")
        row = admin.locator("#user-list tr", has_text="t_browser")
        assert (
            "审查 · 厦门市生态环境局" in row.inner_text()
            and "窗口受理 · 厦门市湖里区交通运输局" in row.inner_text()
        )

        # the new user works both posts: the inbox of a transport clerk and an env reviewer
        user = login(browser, live_server, "t_browser", "Passw0rd-Office")
        assert "/inbox/" in user.url
        header = user.locator(".who").inner_text()
        assert "审查" in header and "窗口受理" in header
        user.context.close()

        # a password reset: the next login must choose a new password first
        admin.goto(user_url)
        admin.locator("#reset-password").fill("Temp-2026-pass")
        admin.locator("#reset-form button[type=submit]").click()
        admin.wait_for_url(user_url)
        assert "待修改密码" in admin.locator("#user-state").inner_text()
        user = login(browser, live_server, "t_browser", "Temp-2026-pass")
        assert user.url.endswith("/account/password") and user.locator("#forced-change").count() == 1
        user.goto(f"{live_server}/inbox/")
        assert user.url.endswith("/account/password")  # no other page until it is changed
        user.locator("#current_password").fill("Temp-2026-pass")
        user.locator("#new_password").fill("Mine-2026-secret")
        user.locator("#confirm_password").fill("Mine-2026-secret")
        user.locator("form.stack button[type=submit]").click()
        user.wait_for_url(re.compile(r".*/inbox/.*"))
        user.context.close()

        # disable the account: it can no longer log in
        admin.goto(user_url)
        admin.locator("#disable-form button[type=submit]").click()
        admin.wait_for_url(user_url)
        assert "已停用" in admin.locator("#user-state").inner_text()
        refused = login(browser, live_server, "t_browser", "Mine-2026-secret")
        assert refused.url.endswith("/login") and "用户名或密码错误" in refused.content()
        refused.context.close()
    except Exception:
        shot(admin, "office-admin")
        raise
    finally:
        admin.context.close()


def test_a_missed_reply_escalates_twice_and_the_top_of_the_chain_answers(app, browser, live_server):
    with app.app_context():
        people = {u.username: Actor.of(u) for u in Session.scalars(select(User))}
        application = scenario("road_freight_permit", "accept_approve")["application"]
        case = submit_application(
            people["applicant"],
            "road_freight_permit",
            applicant_of(application),
            application,
            now=at("2026-11-02"),
        )
        order = supervision.issue_order(
            people["supervisor"], case.case_no, "请说明受理延迟原因", 1, now=at("2026-11-03")
        )
        assert supervision.check_orders(None, at("2026-11-05"))["escalated"] == 1
        assert supervision.check_orders(None, at("2026-11-09"))["escalated"] == 1
        order_id = order.id
        Session.remove()
    sup = login(browser, live_server, "supervisor")
    try:
        sup.goto(f"{live_server}/supervision/orders/{order_id}")
        levels = sup.locator("#escalations li")
        assert levels.count() == 2
        first, second = levels.nth(0).inner_text(), levels.nth(1).inner_text()
        assert "厦门市湖里区交通运输局" in first and "厦门市交通运输局" in first
        assert "厦门市交通运输局" in second and "福建省交通运输厅" in second
        assert "福建省交通运输厅" in sup.locator("#order-current").inner_text()
        sup.goto(f"{live_server}/supervision/cards")
        assert sup.locator("#card-list tbody tr").count() == 2
    except Exception:
        shot(sup, "office-escalation-supervisor")
        raise
    finally:
        sup.context.close()
    city = login(browser, live_server, "xm_tr_head")
    try:
        city.goto(f"{live_server}/supervision/orders")
        assert city.locator("#order-list tr", has_text=f"#{order_id}").count() == 1
    finally:
        city.context.close()
    province = login(browser, live_server, "fj_tr_head")
    try:
        assert province.locator(".main-nav a", has_text="督办").count() == 1  # the menu leads there
        province.locator(".main-nav a", has_text="督办").click()
        province.locator("#order-list a", has_text=f"#{order_id}").click()
        province.locator("#reply").fill("已责成湖里区交通运输局三日内办结并报告。")
        province.locator("#reply-form button[type=submit]").click()
        province.wait_for_url(re.compile(rf".*/supervision/orders/{order_id}$"))
        assert province.locator("#order-state").inner_text() == "已回复"
    except Exception:
        shot(province, "office-escalation-province")
        raise
    finally:
        province.context.close()


def _freight_at_decision(api) -> tuple[str, int]:
    from tests.factories import submit

    case_no = submit(api, "road_freight_permit", "accept_approve")
    steps = scenario("road_freight_permit", "accept_approve")["steps"]
    for s, user in zip(steps[:2], ("tr_clerk", "tr_reviewer"), strict=True):
        doc = api.get(f"/cases/{case_no}", user).get_json()
        (task,) = [t for t in doc["open_tasks"] if t["bpmn_id"] == s["task"]]
        assert api.post(f"/tasks/{task['id']}/complete", user, json={"data": s["data"]}).status_code == 200
    (task,) = api.get(f"/cases/{case_no}", "tr_decider").get_json()["open_tasks"]
    return case_no, task["id"]


def test_a_decider_sends_the_case_back_and_the_reviewer_sees_why(api, browser, live_server):
    case_no, task_id = _freight_at_decision(api)
    decider = login(browser, live_server, "tr_decider")
    try:
        decider.goto(f"{live_server}/tasks/{task_id}")
        # the whole file is on the page: the application and both earlier opinions
        assert "厦门顺达物流有限公司" in decider.locator("#application").inner_text()
        assert decider.locator("#opinions .opinion").count() == 2
        decider.get_by_label("退回审查").check()
        reason = decider.locator('textarea[name="send_back_reason"]')
        assert reason.is_visible()
        assert not decider.locator('textarea[name="decision_reason"]').is_visible()  # not asked for
        reason.fill("请核实闽D7L926的道路运输车辆达标核查结论。")
        decider.locator("form.task-form button.primary").click()
        decider.wait_for_url(re.compile(rf".*/cases/{case_no}$"))
        assert "请核实闽D7L926" in decider.locator("#opinions").inner_text()
    except Exception:
        shot(decider, "office-send-back-decider")
        raise
    finally:
        decider.context.close()
    reviewer = login(browser, live_server, "tr_reviewer")
    try:
        reviewer.goto(f"{live_server}/inbox/?q={case_no}")
        row = reviewer.locator("tr", has_text=case_no)
        assert "审查" in row.inner_text()
        row.get_by_role("button", name="签收").click()
        reviewer.locator("tr", has_text=case_no).get_by_role("link", name="办理").click()
        reviewer.wait_for_url(re.compile(r".*/tasks/\d+$"))
        opinions = reviewer.locator("#opinions").inner_text()
        assert "退回至 审查" in opinions and "请核实闽D7L926" in opinions
    except Exception:
        shot(reviewer, "office-send-back-reviewer")
        raise
    finally:
        reviewer.context.close()


def test_the_inbox_task_page_and_case_file_in_english(api, browser, live_server):
    case_no, task_id = _freight_at_decision(api)
    page = login(browser, live_server, "tr_decider", english=True, locale="en-GB")
    try:
        page.goto(f"{live_server}/inbox/")
        assert page.locator("h1").inner_text() == "Inbox"
        row = page.locator("tr", has_text=case_no)
        assert "Road freight transport business permit" in row.inner_text() and "Decision" in row.inner_text()
        options = page.locator("#f-step option").all_inner_texts()
        assert options and not any(re.search(r"[\u4e00-\u9fff]", o) for o in options), options
        page.goto(f"{live_server}/tasks/{task_id}")
        assert page.locator("h1").inner_text().startswith("Decision")
        labels = page.locator("form.task-form label").all_inner_texts()
        assert "Send back to review" in " ".join(labels)
        assert not any(re.search(r"[\u4e00-\u9fff]", t) for t in labels), labels
        assert "Acceptance check" in page.locator("#opinions").inner_text()
        page.goto(f"{live_server}/cases/{case_no}")
        headings = page.locator("h1, h2, th").all_inner_texts()
        assert not any(re.search(r"[\u4e00-\u9fff]", h) for h in headings), headings
        page.wait_for_selector("#bpmn-canvas[data-rendered]")
        assert page.locator("#bpmn-canvas").get_attribute("data-rendered") == "true"
        lanes = page.locator('#bpmn-canvas [data-element-id^="lane_"] text').all_text_contents()
        assert {"Window clerk", "Reviewer", "Decider"} <= {t.strip() for t in lanes}, lanes
        steps = page.locator('#bpmn-canvas [data-element-id="review"] text').all_text_contents()
        assert "Review" in " ".join(steps)
    except Exception:
        shot(page, "office-english")
        raise
    finally:
        page.context.close()


def _no_sideways_scroll(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page scrolls sideways by {overflow}px"


def test_at_390_px_the_inbox_is_cards_with_its_actions_on_screen(api, browser, live_server):
    case_no, task_id = _freight_at_decision(api)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = login(browser, live_server, "tr_decider", viewport=PHONE)
    try:
        page.goto(f"{live_server}/inbox/")
        row = page.locator("tr", has_text=case_no)
        box = row.bounding_box()
        assert box["width"] <= PHONE["width"] and row.evaluate("r => getComputedStyle(r).display") == "block"
        claim = row.get_by_role("button", name="签收")
        b = claim.bounding_box()
        assert b["x"] >= 0 and b["x"] + b["width"] <= PHONE["width"] and b["height"] >= 36
        _no_sideways_scroll(page)
        page.screenshot(path=str(SCREENSHOTS / "inbox-mobile.png"), full_page=False)
        claim.click()
        page.locator("tr", has_text=case_no).get_by_role("link", name="办理").click()
        page.wait_for_url(re.compile(r".*/tasks/\d+$"))
        submit = page.locator("form.task-form button.primary")
        submit.scroll_into_view_if_needed()
        b = submit.bounding_box()
        assert b["x"] + b["width"] <= PHONE["width"]
        _no_sideways_scroll(page)
        page.screenshot(path=str(SCREENSHOTS / "task-mobile.png"), full_page=False)
        page.goto(f"{live_server}/cases/{case_no}")
        _no_sideways_scroll(page)
        assert page.locator("#opinions").is_visible()
        page.screenshot(path=str(SCREENSHOTS / "case-mobile.png"), full_page=False)
        # the menu of department staff leads to orders, alerts and notifications
        nav = page.locator(".main-nav").inner_text()
        assert "督办" in nav and "预警" in nav and "通知" in nav
    except Exception:
        shot(page, "office-mobile")
        raise
    finally:
        page.context.close()
