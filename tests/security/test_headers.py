"""Security headers on every answer; no inline script or handler in any template; the pages run
under the CSP in a real browser without a single violation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.security import CSP
from tests.conftest import DEMO_PASSWORD
from tests.web.helpers import submit_case, web_login

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"


def test_every_page_and_api_answer_carries_the_security_headers(client, api):
    web_login(client, "env_clerk")
    for resp in (client.get("/login"), client.get("/inbox/"), api.get("/items", "applicant")):
        h = resp.headers
        assert h["Content-Security-Policy"] == CSP
        assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
        assert "script-src 'self';" in h["Content-Security-Policy"] and "unsafe-inline" not in CSP
        assert h["X-Frame-Options"] == "DENY"
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "same-origin"
        assert h["Cache-Control"] == "no-store"


def test_static_files_may_be_cached_but_not_sniffed(client):
    resp = client.get("/static/css/tongban.css")
    assert resp.status_code == 200 and resp.headers.get("Cache-Control") != "no-store"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.IGNORECASE)
STYLE_ATTR = re.compile(r"""\sstyle\s*=\s*["']""", re.IGNORECASE)


@pytest.mark.parametrize(
    "template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES))
)
def test_templates_have_no_inline_script_handler_or_style(template):
    text = template.read_text(encoding="utf-8")
    assert not INLINE_SCRIPT.search(text), "inline <script>: move it to a file under app/static/js"
    assert not HANDLER.search(text), "inline event handler: bind it in app/static/js"
    assert not JS_URL.search(text), "javascript: URL"
    assert not STYLE_ATTR.search(text), "style attribute: use a class in the stylesheet"


def _note_violation(violations: list[str], page, msg) -> None:
    if "Content Security Policy" in msg.text or "Refused to" in msg.text:
        violations.append(f"{page.url}: {msg.text}")


@pytest.mark.browser
def test_the_pages_run_in_chromium_without_a_csp_violation(live_server, browser, api):
    case_no = submit_case(api)
    violations: list[str] = []
    visited = []
    for username, paths in (
        ("env_clerk", ["/inbox/", f"/cases/{case_no}", "/account/password"]),
        (
            "supervisor",
            ["/supervision/", "/supervision/heatmap/eia_report_form", "/supervision/notifications"],
        ),
    ):
        context = browser.new_context(locale="zh-CN")
        page = context.new_page()
        page.on("console", lambda msg, page=page: _note_violation(violations, page, msg))
        page.goto(f"{live_server}/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state("networkidle")
        for path in paths:
            resp = page.goto(f"{live_server}{path}")
            page.wait_for_load_state("networkidle")
            visited.append((path, resp.status))
            if path.startswith("/cases/"):  # the scripts really run under the CSP: bpmn-js drew the diagram
                page.wait_for_selector("#bpmn-canvas[data-rendered=true] svg")
            if path == "/supervision/":  # and ECharts drew the trend charts
                page.wait_for_selector("#trend-week canvas")
            if path.startswith("/supervision/heatmap"):
                page.wait_for_selector("#heat-canvas svg")
        context.close()
    assert all(status == 200 for _, status in visited), visited
    assert violations == []
