"""Heat map of an item's steps: average waiting time per BPMN step in working days, on the item's
diagram and on each subprocess it calls (the page drills from a call activity into its diagram).

A step's waiting time is the working days from the day its task opened to the day it was completed (still
open: to today), counted on the official calendar like every limit — (opened, ended], so a task finished on
the day it opened waited 0 WD. A call activity on the calling diagram carries the sum of the averages of the
steps inside it.

The window is the steps opened on or after the Shanghai day ``days`` days ago. Done steps come from the daily
summary (app.services.summary: per day opened, item and step, the steps done and the working days they
waited, kept by the case events), the open ones live by ``case_task.item_id``, grouped by the day they
opened — so the cost follows the number of days and steps, not of tasks (a million cases: bench/supervision.py)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app.models import CaseTask, DailySummary, ProcessVersion, ServiceItem, Session
from app.models.vocab import OPEN_TASK_STATES
from app.services.auth import Actor
from app.services.cockpit import SHANGHAI, require_supervisor
from app.services.errors import NotFound, ValidationFailed
from app.services.i18n import t
from app.services.summary import CASE_ROW
from app.services.workdays import get_calendar
from engine.workcal import local_date
from engine.xmlsafe import parse_xml

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


@dataclass(frozen=True)
class Diagram:
    """One process of a version: its file, name, the ids of its elements and its call activities."""

    process_id: str
    name: str
    xml: str
    elements: frozenset[str]
    calls: dict[str, str]  # call activity id -> called process id


def diagrams_of(version: ProcessVersion) -> dict[str, Diagram]:
    """Every executable process in the version's BPMN files, keyed by process id."""
    out: dict[str, Diagram] = {}
    for fname, text in sorted(version.files.items()):
        if not fname.endswith(".bpmn"):
            continue
        root = parse_xml(text, fname).getroot()
        for proc in root.iter(f"{{{BPMN_NS}}}process"):
            pid = proc.get("id") or ""
            ids = frozenset(el.get("id") for el in proc.iter() if el.get("id"))
            calls = {
                el.get("id") or "": el.get("calledElement") or ""
                for el in proc.iter(f"{{{BPMN_NS}}}callActivity")
            }
            out[pid] = Diagram(pid, proc.get("name") or pid, text, ids, calls)
    return out


class ShanghaiDay(FunctionElement[date]):
    """The Asia/Shanghai calendar day of a UTC timestamp column, in SQL (no DST: UTC+8 all year)."""

    type = Date()
    inherit_cache = True


@compiles(ShanghaiDay, "postgresql")
def _pg_day(element: ShanghaiDay, compiler: Any, **kw: Any) -> str:
    return f"CAST(timezone('Asia/Shanghai', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(ShanghaiDay)
def _sqlite_day(element: ShanghaiDay, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _heat(value: float, worst: float) -> str:
    ratio = value / worst if worst else 0
    return "red" if ratio >= 0.66 else "yellow" if ratio >= 0.33 else "green"


def heatmap(
    actor: Actor, item_code: str, now: datetime, days: int = 30, process: str | None = None
) -> dict[str, Any]:
    """Steps of one diagram of the item (default: the main process) with their average waiting working
    days, task and open counts and a heat (relative to the slowest step of that diagram)."""
    require_supervisor(actor)
    if not 1 <= days <= 366:
        raise ValidationFailed(t("days 应为 1–366"), [{"field": "days", "message": "1..366"}])
    item = Session.scalar(
        select(ServiceItem).where((ServiceItem.code == item_code) | (ServiceItem.slug == item_code))
    )
    version = Session.get(ProcessVersion, item.current_version) if item and item.current_version else None
    if item is None or version is None:
        raise NotFound(t("事项 %(item_code)s 不存在", item_code=item_code), code="item_not_found")
    diagrams = diagrams_of(version)
    shown = diagrams.get(process or version.process_id)
    if shown is None:
        raise ValidationFailed(
            t("流程 %(process)s 不属于该事项", process=process),
            [{"field": "process", "message": t("流程 %(process)s 不属于该事项", process=process)}],
        )
    since = local_date(now - timedelta(days=days))  # steps opened on or after this Shanghai day
    # done steps: the daily summary (kept by the case events; a few rows per day and step)
    done = Session.execute(
        select(
            DailySummary.step,
            func.max(DailySummary.step_name),
            func.sum(DailySummary.tasks_done),
            func.sum(DailySummary.task_wd),
            func.min(DailySummary.day),
        )
        .where(DailySummary.item_id == item.id, DailySummary.step != CASE_ROW, DailySummary.day >= since)
        .group_by(DailySummary.step)
    ).all()
    # open steps, live: one row per (step, day opened)
    opened = ShanghaiDay(CaseTask.created_at)
    still_open = Session.execute(
        select(CaseTask.bpmn_id, func.max(CaseTask.name), opened, func.count())
        .where(
            CaseTask.item_id == item.id,  # ix_case_task_item_state
            CaseTask.state.in_(OPEN_TASK_STATES),
            CaseTask.created_at >= datetime.combine(since, time.min, SHANGHAI),
        )
        .group_by(CaseTask.bpmn_id, opened)
    ).all()
    cal = get_calendar()
    today = local_date(now)
    totals: dict[str, list[int]] = {}  # bpmn_id -> [tasks, sum of waiting working days]
    first: dict[str, date] = {}
    names: dict[str, str] = {}
    open_: dict[str, int] = defaultdict(int)
    for bpmn_id, name, tasks, waited, day in done:
        if not tasks:
            continue
        totals[bpmn_id] = [int(tasks), int(waited or 0)]
        names[bpmn_id], first[bpmn_id] = name, _as_date(day)
    for bpmn_id, name, day_opened, count in still_open:
        start = _as_date(day_opened)
        total = totals.setdefault(bpmn_id, [0, 0])
        total[0] += count
        total[1] += max(0, cal.count_workdays(start, today)) * count
        names.setdefault(bpmn_id, name)
        first[bpmn_id] = min(first.get(bpmn_id, start), start)
        open_[bpmn_id] += count
    waits = {b: totals[b] for b in sorted(totals, key=lambda b: (first[b], b))}  # first opened first

    def step(bpmn_id: str) -> dict[str, Any]:
        tasks, waited = waits[bpmn_id]
        return {
            "bpmn_id": bpmn_id,
            "name": names[bpmn_id],
            "kind": "task",
            "tasks": tasks,
            "open": open_[bpmn_id],
            "avg_wd": round(waited / tasks, 1),
        }

    def inside(pid: str, seen: frozenset[str] = frozenset()) -> list[str]:
        d = diagrams.get(pid)
        if d is None or pid in seen:
            return []
        own = [b for b in waits if b in d.elements]
        return own + [b for called in d.calls.values() for b in inside(called, seen | {pid})]

    steps = [step(b) for b in waits if b in shown.elements]
    for call_id, called in shown.calls.items():
        inner = [step(b) for b in inside(called)]
        if not inner:
            continue
        steps.append(
            {
                "bpmn_id": call_id,
                "name": diagrams[called].name,
                "kind": "call",
                "process": called,
                "tasks": max(s["tasks"] for s in inner),
                "open": sum(s["open"] for s in inner),
                "avg_wd": round(sum(s["avg_wd"] for s in inner), 1),
            }
        )
    worst = max((s["avg_wd"] for s in steps), default=0.0)
    for s in steps:
        s["heat"] = _heat(s["avg_wd"], worst)
    return {
        "item_code": item.code,
        "item_name": item.name_zh,
        "days": days,
        "process": shown.process_id,
        "process_name": shown.name,
        "main_process": version.process_id,
        "diagrams": [
            {"process": d.process_id, "name": d.name}
            for d in sorted(diagrams.values(), key=lambda d: d.process_id != version.process_id)
        ],
        "steps": steps,
        "bpmn": shown.xml,
    }
