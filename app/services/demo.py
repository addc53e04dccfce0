"""Demo cases in every state for the demo users (``flask seed-demo``), so a first run is not empty.

Every case is made through the real services — filed with the items' sample PDFs as its materials,
walked along one of the item's own scenario files by the demo user of each lane — with ``now`` set to
working days in the past, so clocks, lights, documents and messages are what they would be had it all
happened then. Afterwards the lights are brought to today and the supervision sweep runs once.

Idempotent: a demo case is known by its filer and applicant name; one that exists is left alone.
Development only (the demo users exist only there).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import yaml
from sqlalchemy import select

from app.models import Case, CaseTask, Session, User, utcnow
from app.models.vocab import OPEN_TASK_STATES, SHANGHAI
from app.services import alerts, cases, clocks
from app.services.applications import Upload, file_application
from app.services.auth import Actor
from app.services.catalogue import get_item
from app.services.context import ctx
from app.services.errors import DomainError
from app.services.guide import guide_dir
from app.services.tasks import complete_task
from app.services.workdays import get_calendar

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
STAFF = {
    ("env", "clerk"): "env_clerk",
    ("env", "reviewer"): "env_reviewer",
    ("env", "decider"): "env_decider",
    ("env", "head"): "env_head",
    ("transport", "clerk"): "tr_clerk",
    ("transport", "reviewer"): "tr_reviewer",
    ("transport", "decider"): "tr_decider",
    ("transport", "head"): "tr_head",
    ("xm_transport", "clerk"): "xm_tr_clerk",
    ("xm_transport", "reviewer"): "xm_tr_reviewer",
    ("xm_transport", "decider"): "xm_tr_decider",
    ("xm_transport", "head"): "xm_tr_head",
}


@dataclass(frozen=True)
class DemoCase:
    state: str  # what it shows (printed by the command, named in the README)
    filer: str  # demo username who files it (an applicant, or the window for a walk-in)
    slug: str
    scenario: str
    applicant_name: str  # with the filer, the key that makes seeding idempotent
    days_ago: tuple[int, ...]  # working days before today: the filing, then each step walked
    withdraw: str | None = None  # withdrawn with this reason after the steps
    extra: dict[str, Any] = field(default_factory=dict)  # changes to the application


DEMO_CASES: tuple[DemoCase, ...] = (
    DemoCase(
        "新收件 (new)", "applicant", "eia_report_form", "accept_approve", "厦门翔安新材料科技有限公司", (0,)
    ),
    DemoCase(
        "待补正 (correcting)",
        "applicant",
        "road_freight_permit",
        "correct_once_approve",
        "厦门鹭通物流有限公司",
        (3, 2),
    ),
    DemoCase(
        "审查中 (in review)",
        "applicant",
        "hazardous_waste_licence",
        "accept_inspect_approve",
        "厦门绿源再生资源有限公司",
        (3, 2),
    ),
    DemoCase(
        "实地核查 (on-site check at the city transport bureau)",
        "applicant",
        "road_dangerous_goods_transport",
        "accept_approve",
        "厦门安运危险货物运输有限公司",
        (2, 1),
    ),
    DemoCase(
        "专家评审 (expert review)",
        "applicant",
        "eia_report_form",
        "expert_review_approve",
        "厦门同安精细化工有限公司",
        (5, 4, 2),
    ),
    DemoCase(
        "已延期 (extended)",
        "applicant",
        "road_freight_permit",
        "extension_approved_approve",
        "厦门顺达货运有限公司",
        (6, 5, 4, 3, 2),
    ),
    DemoCase(
        "黄灯 (yellow)",
        "applicant",
        "eia_report_form",
        "accept_approve",
        "厦门集美涂装科技有限公司",
        (9, 8, 6),
    ),
    DemoCase(
        "红灯 (red)",
        "applicant",
        "hazardous_waste_licence",
        "accept_inspect_approve",
        "厦门海沧环保处置有限公司",
        (10, 9),
    ),
    DemoCase(
        "已办结 (decided and delivered)",
        "applicant",
        "road_freight_permit",
        "accept_approve",
        "厦门湖里快运有限公司",
        (12, 11, 10, 9, 8),
    ),
    DemoCase(
        "已撤回 (withdrawn)",
        "applicant",
        "eia_report_form",
        "accept_approve",
        "厦门思明印刷有限公司",
        (4,),
        withdraw="项目选址调整，暂不建设，申请撤回。",
    ),
    DemoCase(
        "不予受理 (refused)",
        "applicant2",
        "road_freight_permit",
        "refuse_at_acceptance",
        "漳州龙海远航运输有限公司",
        (3, 2),
    ),
    DemoCase(
        "窗口收件 (walk-in at the window)", "window_clerk", "road_cert_reissue", "issue", "蔡文杰", (0,)
    ),
)


@dataclass
class Seeded:
    created: list[tuple[str, str]] = field(default_factory=list)  # (state, case number)
    existing: list[tuple[str, str]] = field(default_factory=list)


def _actor(username: str) -> Actor:
    user = Session.scalar(select(User).where(User.username == username))
    if user is None:
        raise DomainError(f"演示用户 {username} 不存在，请先创建演示用户 / no demo user {username}")
    return Actor.of(user)


def _workdays_ago(today: date, n: int) -> date:
    cal = get_calendar()
    day, left = today, n
    while left > 0:
        day -= timedelta(days=1)
        if cal.is_workday(day):
            left -= 1
    return day


def _moment(today: date, now: datetime, n: int, i: int) -> datetime:
    """When step I (0: the filing) of a case happened, N working days before today."""
    if n == 0:
        return now - timedelta(minutes=40 - i)
    local = datetime.combine(_workdays_ago(today, n), time(9, 30), SHANGHAI) + timedelta(minutes=7 * i)
    return local.astimezone(now.tzinfo or SHANGHAI)


def _shift_dates(data: dict[str, Any], day: date) -> dict[str, Any]:
    """The scenario's dates moved together so that the earliest one is DAY (e.g. issue and delivery on
    that day, a validity five years on)."""
    found = [date.fromisoformat(v) for v in data.values() if isinstance(v, str) and ISO_DATE.match(v)]
    if not found:
        return data
    offset = day - min(found)
    return {
        k: (date.fromisoformat(v) + offset).isoformat() if isinstance(v, str) and ISO_DATE.match(v) else v
        for k, v in data.items()
    }


def _scenario(slug: str, name: str) -> dict[str, Any]:
    path = ctx().settings.processes_dir / slug / "scenarios" / f"{name}.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@contextmanager
def _samples(slug: str, codes: list[str]) -> Iterator[list[Upload]]:
    """The guide's sample PDF of each material as the uploaded file."""
    item = get_item(slug)
    folder: Path = guide_dir(item)
    handles: list[BinaryIO] = []
    uploads = []
    try:
        for code in codes:
            path = folder / f"{code}-sample.pdf"
            if path.is_file():
                stream: BinaryIO = path.open("rb")
                handles.append(stream)
                uploads.append(Upload(code, f"{code}.pdf", stream))
        yield uploads
    finally:
        for handle in handles:
            handle.close()


def _exists(spec: DemoCase, filer: Actor) -> Case | None:
    owner = (
        Case.applicant_user_id == filer.id if filer.role == "applicant" else Case.applicant_user_id.is_(None)
    )
    return Session.scalar(
        select(Case).where(owner, Case.applicant_name == spec.applicant_name).order_by(Case.id).limit(1)
    )


def _file(spec: DemoCase, filer: Actor, at: datetime) -> Case:
    scenario = _scenario(spec.slug, spec.scenario)
    application = {**scenario["application"], "applicant_name": spec.applicant_name, **spec.extra}
    declared = list(application.pop("submitted_materials", None) or [])
    item = get_item(spec.slug)
    codes = [
        m["code"]
        for m in (item.definition or {}).get("materials") or []
        if m.get("required") or m["code"] in declared
    ]
    id_check = {"checked": True, "id_no_read": application.get("applicant_id_number")}
    with _samples(spec.slug, codes) as uploads:
        return file_application(filer, item.code, application, uploads, id_check=id_check, now=at)


def _walk(spec: DemoCase, case: Case, filer: Actor, today: date, now: datetime) -> None:
    steps = _scenario(spec.slug, spec.scenario)["steps"][: len(spec.days_ago) - 1]
    department = get_item(spec.slug).department_code
    for i, step in enumerate(steps, start=1):
        at = _moment(today, now, spec.days_ago[i], i)
        day = at.astimezone(SHANGHAI).date()
        data = _shift_dates(dict(step.get("data") or {}), day)
        if "message" in step:
            cases.submit_supplement(filer, case.case_no or "", data, now=at)
            continue
        task = Session.scalar(
            select(CaseTask).where(
                CaseTask.case_id == case.id,
                CaseTask.bpmn_id == step["task"],
                CaseTask.state.in_(OPEN_TASK_STATES),
            )
        )
        if task is None:
            raise DomainError(f"演示办件 {spec.state}：环节 {step['task']} 未开启 / step not open")
        complete_task(_actor(STAFF[(department, step["role"])]), task.id, data, now=at)
    if spec.withdraw:
        at = _moment(today, now, max(spec.days_ago[-1] - 1, 0), len(steps) + 1)
        cases.withdraw_application(filer, case.case_no or "", spec.withdraw, now=at)


def seed_demo_cases(now: datetime | None = None) -> Seeded:
    """Make the demo cases that are not there yet; returns what was made and what was found."""
    if ctx().settings.production:
        raise DomainError("生产环境不创建演示办件 / no demo cases in production", code="demo_in_production")
    now = now or utcnow()
    today = now.astimezone(SHANGHAI).date()
    out = Seeded()
    for spec in DEMO_CASES:
        filer = _actor(spec.filer)
        found = _exists(spec, filer)
        if found is not None:
            out.existing.append((spec.state, found.case_no or ""))
            continue
        case = _file(spec, filer, _moment(today, now, spec.days_ago[0], 0))
        _walk(spec, case, filer, today, now)
        out.created.append((spec.state, case.case_no or ""))
    if out.created:
        clocks.refresh_lights(today)  # lights and remaining days as of today, as the daily sweep would
        alerts.sweep(None, now)
    return out
