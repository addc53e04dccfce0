"""The audit-log viewer: the audit trail filtered by who, what, case and period, and its export.

Administrators and supervisors read every entry. Filters are validated (a bad date or an unknown
case number is named, never ignored); the period is Asia/Shanghai days. Exports carry the same
filters and at most ``EXPORT_LIMIT`` rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import func, select

from app.models import AuditEvent, Case, CaseTask, ServiceItem, Session, User
from app.models.vocab import SHANGHAI
from app.services import labels, org
from app.services.auth import Actor
from app.services.casenumbers import is_valid_case_no
from app.services.catalogue import definition_for, step_names
from app.services.errors import Forbidden, ValidationFailed
from app.services.i18n import N_, t

PER_PAGE = 50
EXPORT_LIMIT = 20000

# What an entry records, as people say it (zh msgids; the pages translate them).
ACTIONS: dict[str, str] = {
    "case.submit": N_("提交申请"),
    "case.supplement": N_("补正材料"),
    "case.withdraw": N_("撤回申请"),
    "case.special_renotified": N_("再次告知特殊程序时间"),
    "case.sent_back": N_("退回"),
    "case.deemed_accepted": N_("视为受理"),
    "case.timer": N_("定时事件"),
    "case.timer_fired": N_("定时事件"),
    "case.deemed_withdrawn": N_("视为撤回"),
    "case.migrate": N_("迁移到新流程版本"),
    "auth.login": N_("登录"),
    "auth.login_failed": N_("登录失败"),
    "auth.login_refused": N_("登录被拒绝（账户锁定）"),
    "auth.lockout": N_("账户锁定"),
    "auth.logout": N_("退出登录"),
    "auth.unlock": N_("解除锁定"),
    "auth.password_changed": N_("修改密码"),
    "auth.password_set": N_("设置密码"),
    "auth.token_revoked": N_("撤销令牌"),
    "process.migrate": N_("迁移办件"),
    "draft.create": N_("新建流程草稿"),
    "draft.delete": N_("删除流程草稿"),
    "task.claim": N_("签收"),
    "task.release": N_("放回组内"),
    "task.complete": N_("办理环节"),
    "material.upload": N_("上传材料"),
    "alert.raised": N_("发出预警"),
    "alert.acknowledged": N_("确认预警"),
    "alert.resolved": N_("解除预警"),
    "supervision.order_issued": N_("下达督办单"),
    "supervision.order_replied": N_("回复督办单"),
    "supervision.order_escalated": N_("督办升级"),
    "calendar.seed": N_("载入工作日历"),
    "calendar.import": N_("导入年度日历"),
    "calendar.day": N_("修改日历日"),
    "process.deploy": N_("部署流程版本"),
    "catalogue.accepting": N_("开放或暂停受理"),
    "job.retry": N_("重试后台任务"),
    "report.request": N_("申请生成监察报告"),
    "user.create": N_("新建用户"),
    "user.update": N_("修改用户"),
    "user.disable": N_("停用用户"),
    "user.password_reset": N_("重置密码"),
    "user.password_change": N_("修改密码"),
    "org.load": N_("载入组织机构"),
    "org.seal": N_("更换印章"),
    "licence.issue": N_("签发电子证照"),
    "licence.revoke": N_("撤销电子证照"),
    "licence.annul": N_("注销电子证照"),
    "licence.expire": N_("电子证照到期"),
    "licence.reuse": N_("复用电子证照"),
    "publication.publish": N_("公示许可决定"),
    "publication.withdraw": N_("撤下公示"),
    "rating.create": N_("评价"),
    "rating.appeal": N_("申诉差评"),
    "rating.appeal_decided": N_("裁决差评申诉"),
    "rectification.reply": N_("答复整改"),
}

# Targets ``<kind>#<id>`` that are not a step (``<bpmn_id>#<task id>``), and their words.
NUMBERED_TARGETS: dict[str, tuple[str, str]] = {
    "order": ("督办单", "Supervision order"),
    "alert": ("预警", "Alert"),
    "publication": ("公示", "Publication"),
    "rating": ("评价", "Rating"),
    "rectification": ("整改", "Rectification"),
    "draft": ("流程草稿", "Process draft"),
    "report_run": ("监察报告", "Supervision report"),
}


@dataclass(frozen=True)
class AuditFilters:
    who: str | None = None
    action: str | None = None
    case_no: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def as_args(self) -> dict[str, str]:
        out = {
            "who": self.who,
            "action": self.action,
            "case_no": self.case_no,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
        }
        return {k: v for k, v in out.items() if v}


@dataclass
class AuditPage:
    rows: list[tuple[AuditEvent, str | None]]  # the entry and its case number
    total: int
    page: int
    per_page: int
    filters: AuditFilters

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _require_reader(actor: Actor) -> None:
    if not actor.is_oversight:
        raise Forbidden(t("仅管理员和电子监察人员可查看审计日志"), code="not_allowed")


def parse_filters(args: Any) -> AuditFilters:
    problems: list[dict[str, Any]] = []

    def _date(key: str) -> date | None:
        raw = (args.get(key) or "").strip()
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            problems.append({"field": key, "message": t("日期格式应为 YYYY-MM-DD")})
            return None

    who = (args.get("who") or "").strip()[:64] or None
    action = (args.get("action") or "").strip() or None
    if action is not None and action not in ACTIONS:
        problems.append({"field": "action", "message": t("未知的操作")})
    case_no = (args.get("case_no") or "").strip().upper()[:32] or None
    if case_no is not None and not is_valid_case_no(case_no):
        problems.append({"field": "case_no", "message": t("办件编号格式不正确")})
    f = AuditFilters(who, action, case_no, _date("from"), _date("to"))
    if f.date_from and f.date_to and f.date_to < f.date_from:
        problems.append({"field": "to", "message": t("结束日期早于开始日期")})
    if problems:
        raise ValidationFailed(t("筛选条件有误"), problems)
    return f


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, SHANGHAI)


def _query(f: AuditFilters) -> Any:
    stmt = select(AuditEvent, Case.case_no).outerjoin(Case, Case.id == AuditEvent.case_id)
    if f.who:
        term = f.who.replace("\\", "").replace("%", "").replace("_", "\\_")
        stmt = stmt.where(AuditEvent.actor_name.like(term + "%", escape="\\"))
    if f.action:
        stmt = stmt.where(AuditEvent.action == f.action)
    if f.case_no:
        stmt = stmt.where(Case.case_no == f.case_no)
    if f.date_from:
        stmt = stmt.where(AuditEvent.at >= _day_start(f.date_from))
    if f.date_to:
        stmt = stmt.where(AuditEvent.at < _day_start(f.date_to + timedelta(days=1)))
    return stmt


def search(actor: Actor, filters: AuditFilters, page: int = 1, per_page: int = PER_PAGE) -> AuditPage:
    _require_reader(actor)
    per_page = min(max(per_page, 1), 200)
    page = max(page, 1)
    stmt = _query(filters)
    total = Session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = Session.execute(
        stmt.order_by(AuditEvent.id.desc()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return AuditPage([(r[0], r[1]) for r in rows], total, page, per_page, filters)


def _export_rows(actor: Actor, filters: AuditFilters) -> list[tuple[AuditEvent, str | None]]:
    _require_reader(actor)
    rows = Session.execute(_query(filters).order_by(AuditEvent.id).limit(EXPORT_LIMIT)).all()
    return [(r[0], r[1]) for r in rows]


def _plain(value: Any) -> str:
    if value is None:
        return ""
    import json

    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _target(label: dict[str, str] | None, raw: str | None, lang: str) -> str:
    if label is None:
        return raw or ""
    return label["en"] if lang == "en" else label["zh"]


def export(
    actor: Actor,
    filters: AuditFilters,
    fmt: str,
    tr: Callable[[str], str] = lambda s: s,
    lang: str = "zh",
) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of the filtered entries; ``tr`` translates the words into
    ``lang`` (zh or en; the web layer passes its gettext)."""
    if fmt not in ("xlsx", "csv"):
        raise ValidationFailed(
            t("导出格式须为 xlsx 或 csv"), [{"field": "format", "message": t("须为 xlsx 或 csv")}]
        )
    rows = _export_rows(actor, filters)
    targets = describe_targets([e for e, _ in rows])
    cases = cases_of([e for e, _ in rows])
    ids = {e.actor_id for e, _ in rows if e.actor_id is not None}
    names = (
        dict(Session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()) if ids else {}
    )
    system = tr(N_("系统"))
    # the words first; the stored record (before/after as JSON) last, for auditors and tools
    headers = [
        tr(h)
        for h in (
            N_("编号"),
            N_("时间"),
            N_("操作人"),
            N_("操作"),
            N_("办件编号"),
            N_("对象"),
            N_("变更"),
            N_("原始记录"),
        )
    ]
    table = [
        [
            e.id,
            e.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
            names.get(e.actor_id, e.actor_name) if e.actor_id is not None else system,
            tr(ACTIONS[e.action]) if e.action in ACTIONS else tr(N_("其他操作")),
            case_no or "",
            _target(targets.get(e.id), e.target, lang),
            "；".join(describe_change(e, cases.get(e.case_id) if e.case_id else None, tr, lang)),
            _plain(
                {
                    "action": e.action,
                    "target": e.target,
                    "before": e.before,
                    "after": e.after,
                    "detail": e.detail,
                }
            ),
        ]
        for e, case_no in rows
    ]
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(headers)
        writer.writerows(table)
        return "audit.csv", "text/csv; charset=utf-8", ("\ufeff" + buf.getvalue()).encode("utf-8")
    wb = Workbook()
    ws = wb.active
    ws.title = tr(N_("审计日志"))
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in table:
        ws.append(row)
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return "audit.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", out.getvalue()


def describe_targets(entries: list[AuditEvent]) -> dict[int, dict[str, str]]:
    """What each entry acted on, as {zh, en} words (a step's name, 督办单 #3, a user's name …),
    keyed by entry id; entries whose target is already plain (a case number, a date) are left out."""
    task_ids = {
        int(e.target.split("#", 1)[1])
        for e in entries
        if e.target
        and "#" in e.target
        and e.target.split("#", 1)[1].isdigit()
        and e.target.split("#", 1)[0] not in (*NUMBERED_TARGETS, "user")
    }
    tasks = (
        {row.id: row for row in Session.scalars(select(CaseTask).where(CaseTask.id.in_(task_ids)))}
        if task_ids
        else {}
    )
    user_ids = {
        int(e.target[5:])
        for e in entries
        if e.target and e.target.startswith("user#") and e.target[5:].isdigit()
    }
    names = (
        dict(Session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids))).all())
        if user_ids
        else {}
    )
    # sign-in entries name the account as typed (``user:<username>``; it may not exist)
    logins = {e.target[5:] for e in entries if e.target and e.target.startswith("user:")}
    by_login = (
        dict(Session.execute(select(User.username, User.display_name).where(User.username.in_(logins))).all())
        if logins
        else {}
    )
    items = {i.slug: i for i in Session.scalars(select(ServiceItem))}
    out: dict[int, dict[str, str]] = {}
    for e in entries:
        target = e.target or ""
        kind, _, num = target.partition("#")
        if target.startswith("user:"):
            login = target[5:]
            shown = by_login.get(login, login)
            out[e.id] = {"zh": f"用户 {shown}", "en": f"User {shown}"}
        elif kind in NUMBERED_TARGETS and num:
            zh, en = NUMBERED_TARGETS[kind]
            out[e.id] = {"zh": f"{zh} #{num}", "en": f"{en} #{num}"}
        elif kind == "user" and num.isdigit():
            name = names.get(int(num), num)
            out[e.id] = {"zh": f"用户 {name}", "en": f"User {name}"}
        elif num.isdigit() and int(num) in tasks:
            row = tasks[int(num)]
            label = step_names(row.case.process_version).get(row.bpmn_id) or {"zh": row.name, "en": row.name}
            out[e.id] = {"zh": f"环节：{label['zh']}", "en": f"Step: {label['en']}"}
        elif target in items:
            out[e.id] = {"zh": items[target].name_zh, "en": items[target].name_en}
    return out


def cases_of(entries: list[AuditEvent]) -> dict[int, Case]:
    """The cases the entries belong to (their changes are described with the case's step names)."""
    ids = {e.case_id for e in entries if e.case_id is not None}
    return {c.id: c for c in Session.scalars(select(Case).where(Case.id.in_(ids)))} if ids else {}


def describe_change(
    entry: AuditEvent, case: Case | None, tr: Callable[[str], str] = lambda s: s, lang: str = "zh"
) -> list[str]:
    """An entry's before → after in words: status, current steps, outcome, task state, reasons, replies,
    departments — never the stored codes (the raw record stays in the export's last column)."""
    before, after = entry.before or {}, entry.after or {}
    en = lang == "en"
    out: list[str] = []

    def step(bpmn_id: str) -> str:
        names = step_names(case.process_version).get(bpmn_id) if case is not None else None
        return (names["en"] if en else names["zh"]) if names else "—"

    def dept(code: Any) -> str:
        info = org.department(code) if isinstance(code, str) else None
        return (info.name_en if en else info.name_zh) if info else "—"

    def say(msgid: str, **values: Any) -> None:
        out.append(tr(msgid) % values)

    if "status" in after and before.get("status") != after.get("status"):
        say(
            N_("状态：%(a)s → %(b)s"),
            a=labels.word(labels.STATUSES, before.get("status"), tr),
            b=labels.word(labels.STATUSES, after.get("status"), tr),
        )
    if case is not None and ("open_tasks" in after or "open_tasks" in before):
        old = [step(s) for s in before.get("open_tasks") or []]
        new = [step(s) for s in after.get("open_tasks") or []]
        if old != new:
            say(N_("当前环节：%(a)s → %(b)s"), a="、".join(old) or "—", b="、".join(new) or "—")
    if case is not None and after.get("outcome") and after.get("outcome") != before.get("outcome"):
        name = definition_for(case.process_version).element_names.get(after["outcome"], "")
        say(N_("结果：%(r)s"), r=tr(name) if name else "—")
    if "state" in after and before.get("state") != after.get("state"):
        say(
            N_("环节状态：%(a)s → %(b)s"),
            a=labels.word(labels.TASK_STATES, before.get("state"), tr),
            b=labels.word(labels.TASK_STATES, after.get("state"), tr),
        )
    if isinstance(after.get("reason"), str) and after["reason"]:
        say(N_("理由：%(r)s"), r=after["reason"])
    if entry.action == "case.sent_back" and after.get("step"):
        say(N_("退回至：%(s)s"), s=step(after["step"]))
    if isinstance(after.get("reply"), str) and after["reply"]:
        say(N_("回复：%(r)s"), r=after["reply"])
    if isinstance(after.get("instruction"), str) and after["instruction"]:
        say(N_("督办事项：%(r)s"), r=after["instruction"])
    if after.get("department") and entry.action.startswith("supervision."):
        say(N_("部门：%(d)s"), d=dept(after["department"]))
    return out
