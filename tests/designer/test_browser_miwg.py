"""Every MIWG model (21 reference, 21 bpmn.io exports) opens in the viewer and in the modeler without
an error, and validating it gives success or element-level errors — in a real headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import DEMO_PASSWORD
from tests.web.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

MIWG = sorted((Path(__file__).resolve().parents[1] / "data" / "miwg").glob("*/*.bpmn"))


@pytest.fixture(scope="module")
def designer_page(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20000)
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill("designer")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r".*/designer/$"))
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page, errors
    context.close()


@pytest.mark.parametrize("mode", ["viewer", "modeler"])
def test_every_miwg_model_renders_and_validates(designer_page, live_server, mode):
    page, errors = designer_page
    page.goto(f"{live_server}/designer/open?mode={mode}")
    failures = []
    for path in MIWG:
        page.set_input_files("#open-file", str(path))
        page.wait_for_function(
            "name => document.getElementById('findings').getAttribute('data-done') === name", arg=path.name
        )
        canvas = page.locator("#bpmn-canvas")
        rendered = canvas.get_attribute("data-rendered")
        shapes = page.locator("#bpmn-canvas .djs-element").count()
        status = page.locator("#findings").get_attribute("data-status")
        unanchored = page.evaluate(
            "() => Array.from(document.querySelectorAll('#findings .finding-error'))"
            ".filter(li => !li.getAttribute('data-element')).length"
        )
        if rendered != "true" or shapes == 0 or status != "200" or unanchored:
            failures.append(
                (
                    path.parent.name,
                    path.name,
                    rendered,
                    canvas.get_attribute("data-error"),
                    shapes,
                    status,
                    unanchored,
                )
            )
    if failures:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"miwg-{mode}.png"), full_page=True)
    assert failures == []
    assert errors == []
