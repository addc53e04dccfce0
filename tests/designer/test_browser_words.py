"""The modelers speak the page's language: in a real browser, the bpmn-js palette, context pad and
replace menu and the dmn-js decision table read Chinese on a zh-CN page and English on an English one
(app/static/designer/translate.js)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.models import Session, User
from app.services.auth import Actor
from app.services.designer import drafts
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser

EIA = "350200-SXHJ-XK-0001"
DMN = "eia_expert_review.dmn"


def _draft(app) -> int:
    with app.app_context():
        designer = Session.scalar(select(User).where(User.username == "designer"))
        draft_id = drafts.create_from_version(Actor.of(designer), EIA, None).id
        Session.remove()
    return draft_id


def _open(browser, base: str, draft_id: int, lang: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(20000)
    page.goto(f"{base}/login")
    if lang == "en":
        page.goto(f"{base}/lang/en")
        page.goto(f"{base}/login")
    page.fill("input[name=username]", "designer")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/designer/$"))
    page.goto(f"{base}/designer/drafts/{draft_id}")
    page.wait_for_selector("#modeler-canvas[data-rendered=true]")
    return page


@pytest.mark.parametrize(
    ("lang", "start", "append_task", "other_task", "when", "then"),
    [
        ("zh", "创建开始事件", "追加任务", "服务任务", "当", "则"),
        ("en", "Create start event", "Append task", "Service task", "When", "Then"),
    ],
)
def test_the_modeler_and_the_decision_table_speak_the_pages_language(
    app, browser, live_server, lang, start, append_task, other_task, when, then
):
    draft_id = _draft(app)
    page = _open(browser, live_server, draft_id, lang)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        assert page.get_attribute("html", "lang").startswith(lang)
        palette = page.locator('.djs-palette .entry[data-action="create.start-event"]')
        assert palette.get_attribute("aria-label") == start  # the tooltip and the screen reader's name
        # the context pad of a task, and its replace menu
        page.locator('.djs-element[data-element-id="review"]').click()
        assert (
            page.locator('.djs-context-pad .entry[data-action="append.append-task"]').get_attribute("title")
            == append_task
        )
        page.locator('.djs-context-pad .entry[data-action="replace"]').click()
        menu = page.locator(".djs-popup")
        menu.wait_for()
        assert other_task in menu.inner_text()  # the task types review may become
        page.keyboard.press("Escape")
        # the decision table's column headings
        page.locator("#file-select").select_option(DMN)
        page.wait_for_selector("#dmn-canvas[data-rendered=true]")
        heads = page.locator("#dmn-canvas").inner_text()
        assert when in heads and then in heads, heads[:300]
        if lang == "zh":
            assert "Create start event" not in page.content()
        assert not errors, errors
    finally:
        page.context.close()
