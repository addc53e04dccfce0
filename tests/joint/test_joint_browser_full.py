"""一件事 end to end in a real browser (Debian Chromium), every step on its own page as the person who does
it: the applicant files the joint application online (one form, each department's fields, the materials
once); each department accepts its own part, the comprehensive window accepts once; the environment
department reviews, the other department reviews and decides, the environment department decides — in
parallel, each on its own task pages as its own demo users; the window hands everything over at once;
the applicant then sees both results on the portal. Component slugs, departments and users are read
from the catalogue (tests/joint/parts.py), the step data from the joint scenario both_approve."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime

import pytest

from tests.conftest import DEMO_PASSWORD
from tests.joint.harness import SLUG, WINDOW, dated, scenarios
from tests.joint.parts import components, department_of, item_yaml, user_of, with_expert_review
from tests.joint.test_joint_portal import page_fields
from tests.portal.helpers import PDF
from tests.web.conftest import ARTIFACTS, ROOT, SCREENSHOTS

pytestmark = pytest.mark.browser
SCENARIO = dict(scenarios())["both_approve"]
JOINT_CODE = item_yaml(SLUG)["code"]


def _context(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"joint-full-{name}.png"), full_page=True)


def fill(page, raw: dict) -> None:
    """Fill a rendered form from its field values (formrender's names): radios and checkboxes by value,
    selects by option, everything else typed; rows and conditional fields the page does not show are left
    out."""
    for name, value in raw.items():
        loc = page.locator(f'[name="{name}"]')
        if loc.count() == 0 or not loc.first.is_visible() or not loc.first.is_enabled():
            continue  # not rendered, or a conditional field this answer hides (e.g. a refusal's remedies)
        tag = loc.first.evaluate("e => e.tagName.toLowerCase()")
        kind = loc.first.get_attribute("type") or tag
        values = value if isinstance(value, list) else [value]
        if kind in ("radio", "checkbox"):
            for v in values:
                box = page.locator(f'[name="{name}"][value="{v}"]')
                (box if box.count() else loc.first).check()
        elif tag == "select":
            loc.first.select_option(str(values[0]))
        else:
            loc.first.fill(str(values[0]))


def _apply_online(browser, live_server, app, tmp_path) -> str:
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(PDF)
    context, page = _context(browser)
    try:
        page.goto(f"{live_server}/account/login")
        page.fill("#identifier", "applicant")
        page.fill("#password", DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()
        page.goto(f"{live_server}/apply/{JOINT_CODE}")
        fill(page, page_fields(app))
        for code in SCENARIO["materials"]:
            page.set_input_files(f"#material-{code}", str(scan))
        page.check("input[name=confirm]")
        page.get_by_role("button", name="提交申请").click()
        page.wait_for_url(re.compile(r".*/my/cases/TB\d+$"))
        assert page.locator("#components tr.component").count() == len(components())
        return page.url.rsplit("/", 1)[-1]
    except Exception:
        _shot(page, "apply")
        raise
    finally:
        context.close()


def _task_raw(app, case_no: str, bpmn_id: str, data: dict) -> dict:
    from app.models import Session
    from app.services.cases import load_case
    from app.services.catalogue import forms_for
    from app.services.forms import get_form
    from app.web import intake_form

    with app.test_request_context():
        Session.remove()
        case = load_case(case_no)
        task = next(t for t in case.tasks if t.bpmn_id == bpmn_id and t.state in ("ready", "claimed"))
        return intake_form.initial_raw(get_form(forms_for(case.process_version), task.form), data)


def _work(browser, live_server, app, username: str, case_no: str, bpmn_id: str, data: dict) -> str:
    """Log in as ``username``, open the case's task from the inbox, fill it in, submit."""
    raw = _task_raw(app, case_no, bpmn_id, data)
    context, page = _context(browser)
    try:
        page.goto(f"{live_server}/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()
        page.goto(f"{live_server}/inbox/?q={case_no}")
        row = page.locator("tr", has_text=case_no)
        if row.get_by_role("button", name="签收").count():
            row.get_by_role("button", name="签收").click()
            row = page.locator("tr", has_text=case_no)
        row.get_by_role("link", name="办理").click()
        page.wait_for_url(re.compile(r".*/tasks/\d+$"))
        fill(page, raw)
        page.get_by_role("button", name="提交").click()
        page.wait_for_url(re.compile(r".*/cases/TB\d+"))
        return page.content()
    except Exception:
        _shot(page, f"{username}-{bpmn_id}")
        raise
    finally:
        context.close()


def _ordered_steps() -> list[dict]:
    """The scenario's steps in the order of the brief: the environment accepts, the others accept, the
    window accepts; the environment reviews; the others review and decide; the environment decides;
    the window hands over."""
    env = with_expert_review()
    steps = SCENARIO["steps"]
    accepts = [s for s in steps if s.get("component") and s["task"] == "accept"]
    accepts.sort(key=lambda s: s["component"] != env)
    env_rest = [s for s in steps if s.get("component") == env and s["task"] != "accept"]
    cut = next(i for i, s in enumerate(env_rest) if s["task"] == "decide")
    others = [s for s in steps if s.get("component") not in (None, env) and s["task"] != "accept"]
    master = {s["master"]: s for s in steps if "master" in s}
    return [*accepts, master["accept"], *env_rest[:cut], *others, *env_rest[cut:], master["collect"]]


def test_a_joint_case_filed_online_runs_through_both_departments_pages_to_one_collection(
    app, browser, live_server, tmp_path
):
    from app.models import Session
    from app.services import cases, joint, org
    from app.services.catalogue import get_item
    from engine.workcal import local_date

    master_no = _apply_online(browser, live_server, app, tmp_path)
    with app.app_context():
        Session.remove()
        parts = {c.item.slug: c.case_no for c in joint.components_of(cases.load_case(master_no))}
    for step in _ordered_steps():
        today = local_date(datetime.now(UTC))  # per step: a run may cross Shanghai midnight
        data = dated(step["data"], today)
        if "master" in step:
            _work(browser, live_server, app, WINDOW, master_no, step["master"], data)
        else:
            slug = step["component"]
            _work(browser, live_server, app, user_of(slug, step["role"]), parts[slug], step["task"], data)

    with app.app_context():
        Session.remove()
        master = cases.load_case(master_no)
        assert (master.status, master.outcome, master.delivered_on) == ("completed", "collected", today)
        assert {c.item.slug: c.outcome for c in joint.components_of(master)} == dict.fromkeys(
            components(), "approved"
        )
        names = {s: get_item(s).name_zh for s in components()}
        depts = {s: org.name(department_of(s)) for s in components()}

    # the applicant sees both results on the portal
    context, page = _context(browser)
    try:
        page.goto(f"{live_server}/account/login")
        page.fill("#identifier", "applicant")
        page.fill("#password", DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()
        page.goto(f"{live_server}/my/cases/{master_no}")
        table = page.locator("#components")
        for slug in components():
            row = table.locator("tr.component", has_text=names[slug])
            assert depts[slug] in row.inner_text()
            assert "准予许可" in row.locator(".component-status").inner_text()
            assert row.locator(".component-results a").count() >= 1  # its decision documents
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "joint-portal-case.png"
        page.screenshot(path=str(shot), full_page=True)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        if SCREENSHOTS != ARTIFACTS:
            shutil.copyfile(shot, SCREENSHOTS / "joint-portal-case.png")
        assert (ROOT / "docs" / "screenshots").is_dir()
    except Exception:
        _shot(page, "portal")
        raise
    finally:
        context.close()
