"""Words, not codes: every page and export a person opens, in Chinese and in English, is read back and
searched for the platform's internal codes — department, role, status, step, outcome, field, event,
clock, light and state codes, ``special:…`` pause reasons, ``step#id`` targets and field paths like
``deficient_materials.0.reason``. In English, headings, labels, buttons, table headers, menu entries
and choices carry no Chinese (only the data people typed, and the language switch, may).

The codes are taken from the real vocabulary and the deployed processes and forms, not listed by hand.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser

from openpyxl import load_workbook
from sqlalchemy import select

from app.models import ProcessVersion, Session, User
from app.models.vocab import ClockKind
from app.services import alerts, labels, org, supervision
from app.services.auth import Actor
from app.services.cases import renotify_special_procedure, submit_application, submit_supplement
from app.services.documents import KINDS
from app.services.tasks import complete_task
from engine.events import EventKind, Meaning
from tests.factories import applicant_of, scenario
from tests.supervision.reporting import monthly_pdf
from tests.web.helpers import web_login

CST = timezone(timedelta(hours=8))
CJK = re.compile(r"[\u4e00-\u9fff]")
PATH_RE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)*\.\d+(?:\.[a-z_]+)?\b")
TARGET_RE = re.compile(r"\b[a-z][a-z_]*#\d+\b")
STRUCTURE = {
    "title",
    "h1",
    "h2",
    "h3",
    "th",
    "label",
    "button",
    "legend",
    "summary",
    "option",
    "caption",
    "dt",
}
SKIP = {"script", "style", "template"}
# words people use that are also codes: tolerated in English text only
ENGLISH_WORDS = {"open", "case", "step", "city", "new", "post", "window", "head", "pass", "fail", "issue"}


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=CST)


class Text(HTMLParser):
    """Visible text of a page, and the text of its headings, labels, buttons, headers and choices."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.visible: list[str] = []
        self.structural: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "img", "input", "meta", "link", "hr", "wbr"):
            return
        classes = (dict(attrs).get("class") or "").split()
        # the language switch names each language in itself; user names are what people type at login;
        # <code> marks a literal people must type (e.g. a CSV header)
        self.stack.append((tag, tag in SKIP or tag == "code" or "lang" in classes or "username" in classes))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if any(skip for _tag, skip in self.stack) or not data.strip():
            return
        self.visible.append(data)
        if any(
            tag in STRUCTURE or (tag == "a" and any(t == "nav" for t, _ in self.stack))
            for tag, _ in self.stack
        ):
            self.structural.append(data)


def codes() -> tuple[set[str], set[str]]:
    """(every code, the codes that cannot be English words) from the vocabulary and the processes."""
    out = {d.code for d in org.departments()}
    for table in (
        labels.ROLES,
        labels.STATUSES,
        labels.TASK_STATES,
        labels.LIGHTS,
        labels.ALERT_STATES,
        labels.ORDER_STATES,
        labels.SUBJECT_KINDS,
        labels.DEADLINE_KINDS,
        labels.LEVELS,
        labels.ITEM_KINDS,
        labels.CARD_RULES,
    ):
        out |= set(table)
    out |= (
        {k.value for k in EventKind} | {m.value for m in Meaning} | {k.value for k in ClockKind} | set(KINDS)
    )
    for version in Session.scalars(select(ProcessVersion)):
        for body in version.files.values():
            out |= set(re.findall(r'\bid="([a-z][a-z0-9_]*)"', body))
        for form in version.forms.values():
            stack = [form.get("schema") or {}]
            while stack:
                node = stack.pop()
                for key, prop in (node.get("properties") or {}).items():
                    out.add(key)
                    out |= {v for v in prop.get("enum") or [] if isinstance(v, str)}
                    out |= {v for v in (prop.get("items") or {}).get("enum") or [] if isinstance(v, str)}
                    stack.append(prop)
                    stack.append(prop.get("items") or {})
    # usernames are identifiers people type at login; the administrator's is also the platform's
    out -= {"admin", "true", "false", "none"}
    out = {c for c in out if re.fullmatch(r"[a-z][a-z0-9_]*", c)}
    strict = {c for c in out if "_" in c or c not in ENGLISH_WORDS and not c.isalpha()} | {"env"}
    return out, strict


def found(text: str, words: set[str]) -> list[str]:
    hits = set(re.findall(r"(?<![A-Za-z0-9_@.\-/])[a-z][a-z0-9_]*(?![A-Za-z0-9_@\-/])", text)) & words
    hits |= set(PATH_RE.findall(text)) | set(TARGET_RE.findall(text))
    if "special:" in text:
        hits.add("special:")
    return sorted(hits)


def check_page(html: str, where: str, lang: str, all_codes: set[str], strict: set[str]) -> list[str]:
    parser = Text()
    parser.feed(html)
    visible = " ".join(parser.visible)
    problems = [
        f"{where} [{lang}]: code {hit!r}" for hit in found(visible, all_codes if lang == "zh" else strict)
    ]
    if lang == "en":
        for chunk in parser.structural:
            if CJK.search(chunk):
                problems.append(
                    f"{where} [en]: Chinese in a heading/label/button/choice: {chunk.strip()[:60]!r}"
                )
    return problems


def _do(people, case, bpmn_id, user, data, day):
    Session.refresh(case)
    task = next(t for t in case.tasks if t.bpmn_id == bpmn_id and t.state in ("ready", "claimed"))
    complete_task(people[user], task.id, data, now=at(day))
    Session.refresh(case)
    return case


def build_cases(people):
    """A freight case that went through correction, send-back, extension, decision and delivery; an
    EIA case waiting in its expert review; an order escalated twice; alerts and cards."""
    steps = scenario("road_freight_permit", "extension_approved_approve")["steps"]
    application = scenario("road_freight_permit", "extension_approved_approve")["application"]
    freight = submit_application(
        people["applicant"],
        "road_freight_permit",
        applicant_of(application),
        application,
        now=at("2026-11-02"),
    )
    _do(
        people,
        freight,
        "accept",
        "tr_clerk",
        {
            "accept_outcome": "correct",
            "deficient_materials": [{"material": "vehicle_licences", "reason": "行驶证已过期"}],
        },
        "2026-11-02",
    )
    submit_supplement(
        people["applicant"],
        freight.case_no,
        {"materials": [{"material": "vehicle_licences"}]},
        now=at("2026-11-03"),
    )
    _do(people, freight, "accept", "tr_clerk", steps[0]["data"], "2026-11-03")
    _do(people, freight, "review", "tr_reviewer", steps[1]["data"], "2026-11-04")
    _do(
        people,
        freight,
        "decide",
        "tr_decider",
        {"decision": "send_back", "send_back_reason": "请核实检测结论"},
        "2026-11-05",
    )
    _do(people, freight, "review", "tr_reviewer", steps[1]["data"], "2026-11-06")
    _do(people, freight, "decide", "tr_decider", steps[2]["data"], "2026-11-09")
    _do(people, freight, "approve_extension", "tr_head", steps[3]["data"], "2026-11-10")
    _do(people, freight, "decide", "tr_decider", steps[4]["data"], "2026-11-11")
    _do(
        people,
        freight,
        "issue_result",
        "tr_clerk",
        {**steps[5]["data"], "issue_date": "2026-11-12", "delivered_on": "2026-11-12"},
        "2026-11-12",
    )
    eia_app = scenario("eia_report_form", "expert_review_approve")["application"]
    eia = submit_application(
        people["applicant"], "eia_report_form", applicant_of(eia_app), eia_app, now=at("2026-11-02")
    )
    _do(people, eia, "accept", "env_clerk", {"accept_outcome": "accept"}, "2026-11-02")
    _do(
        people,
        eia,
        "review",
        "env_reviewer",
        {
            "review_outcome": "expert_review",
            "review_opinion": "需评审",
            "expert_review_reason": "模型存疑",
            "expected_duration_wd": 5,
        },
        "2026-11-03",
    )
    renotify_special_procedure(people["env_reviewer"], eia.case_no, 8, "专家回避", now=at("2026-11-05"))
    open_freight = submit_application(
        people["applicant"],
        "road_freight_permit",
        applicant_of(application),
        application,
        now=at("2026-11-02"),
    )
    order = supervision.issue_order(
        people["supervisor"], open_freight.case_no, "请说明受理延迟原因", 1, now=at("2026-11-03")
    )
    supervision.check_orders(None, at("2026-11-05"))
    supervision.check_orders(None, at("2026-11-09"))
    alerts.sweep(None, at("2026-11-20"))
    supervision.issue_alert_cards(at("2026-11-30").date(), at("2026-11-30"))
    Session.commit()
    return freight, eia, open_freight, order


def pages(freight, eia, open_freight, order):
    done = [t for t in freight.tasks if t.state == "completed"]
    open_tasks = [t for t in eia.tasks + open_freight.tasks if t.state in ("ready", "claimed")]
    by_user = {
        "tr_clerk": [
            "/inbox/",
            "/inbox/?tab=done",
            "/cases/",
            f"/cases/{freight.case_no}",
            f"/cases/{open_freight.case_no}",
        ]
        + [f"/tasks/{t.id}" for t in done]
        + [f"/tasks/{t.id}" for t in open_freight.tasks if t.state == "ready"],
        "env_reviewer": ["/inbox/", f"/cases/{eia.case_no}"]
        + [f"/tasks/{t.id}" for t in open_tasks if t.case_id == eia.id],
        "xm_tr_head": [
            "/supervision/orders",
            f"/supervision/orders/{order.id}",
            "/supervision/alerts",
            "/supervision/cards",
            "/supervision/notifications",
        ],
        "supervisor": [
            "/supervision/",
            "/supervision/overdue",
            "/supervision/alerts",
            "/supervision/orders",
            f"/supervision/orders/{order.id}",
            "/supervision/cards",
            "/supervision/notifications",
            "/supervision/reports",
            "/admin/audit",
            f"/admin/audit?case_no={freight.case_no}",
        ],
        "admin": [
            "/admin/users",
            "/admin/users/new",
            "/admin/departments",
            "/admin/calendar",
            "/admin/catalogue",
            "/account/password",
        ],
    }
    admin_id = Session.scalar(select(User.id).where(User.username == "xm_tr_head"))
    by_user["admin"].append(f"/admin/users/{admin_id}")
    return by_user


EXPORTS = [
    f"/supervision/export/{name}.xlsx"
    for name in ("overdue", "alerts", "orders", "cards", "items", "departments")
] + ["/admin/audit/export.xlsx"]


def test_pages_exports_and_the_diagram_show_words_not_codes_in_both_languages(app):
    # the cases are built in an app context of their own; the page requests must not share it (g)
    with app.app_context():
        people = {u.username: Actor.of(u) for u in Session.scalars(select(User))}
        freight, eia, open_freight, order = build_cases(people)
        all_codes, strict = codes()
        by_user = pages(freight, eia, open_freight, order)
        case_no = freight.case_no
        Session.remove()
    assert {"transport", "in_progress", "accept", "decide", "deficient_materials", "send_back"} <= all_codes
    problems: list[str] = []
    for lang in ("zh", "en"):
        for user, paths in by_user.items():
            client = app.test_client()
            if lang == "en":
                client.get("/lang/en")
            token = web_login(client, user)
            for path in paths:
                resp = client.get(path)
                assert resp.status_code == 200, (
                    f"{user} {path} [{lang}]: {resp.status_code} {resp.headers.get('Location')}"
                )
                problems += check_page(resp.data.decode(), f"{user} {path}", lang, all_codes, strict)
            if user == "tr_clerk":
                xml = client.get(f"/cases/{case_no}/diagram.bpmn").data.decode()
                names = " ".join(re.findall(r'<bpmn:\w+ [^>]*\bname="([^"]*)"', xml))
                problems += [
                    f"diagram [{lang}]: {hit}" for hit in found(names, all_codes if lang == "zh" else strict)
                ]
                if lang == "en":
                    lanes = re.findall(r'<bpmn:lane [^>]*name="([^"]*)"', xml)
                    assert lanes and not any(CJK.search(n) for n in lanes), lanes
            if user == "supervisor":
                for path in EXPORTS:
                    resp = client.get(path)
                    assert resp.status_code == 200, f"{path} [{lang}]"
                    rows = list(load_workbook(io.BytesIO(resp.data)).active.values)
                    if path.startswith("/admin/audit"):  # its last column is the stored record, as JSON
                        rows = [row[:-1] for row in rows]
                    text = " ".join(str(v) for row in rows for v in row if v is not None)
                    problems += [
                        f"{path} [{lang}]: {hit}"
                        for hit in found(text, all_codes if lang == "zh" else strict)
                    ]
                    if lang == "en" and path.startswith("/supervision"):
                        headers = next(load_workbook(io.BytesIO(resp.data)).active.values)
                        problems += [
                            f"{path} [en]: Chinese header {h!r}" for h in headers if CJK.search(str(h))
                        ]
                if shutil.which("pdftotext"):
                    pdf = monthly_pdf(app, client, token, "2026-11").data
                    listed = client.get("/supervision/reports").data.decode()  # its state, made
                    problems += check_page(listed, "supervisor /supervision/reports", lang, all_codes, strict)
                    text = subprocess.run(
                        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
                    ).stdout.decode()
                    problems += [
                        f"monthly PDF [{lang}]: {hit}"
                        for hit in found(text, all_codes if lang == "zh" else strict)
                    ]
                    if lang == "en":
                        headings = [line for line in text.splitlines() if re.match(r"\s*\d\. ", line)]
                        assert len(headings) == 5 and not any(CJK.search(h) for h in headings), headings
    assert not problems, "\n".join(problems)
