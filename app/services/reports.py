"""Exports: any supervision list as an Excel workbook, and the monthly supervision report as PDF.

Both speak words, not codes: departments and items by name, statuses, lights, states, cards and
rules by their display names (app.services.labels), in the reader's language. The web layer passes
its translator ``tr`` (flask-babel's gettext) and the language; services never import Flask.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select

from app.models import ServiceItem, Session
from app.services import alerts, cockpit, labels, org, results_figures, supervision
from app.services.auth import Actor
from app.services.errors import ValidationFailed
from app.services.i18n import N_, localize, t
from app.services.pdf import FONT_NAME, new_pdf

Tr = Callable[[str], str]


def _identity(text: str) -> str:
    return text


class Words:
    """Turns the codes of a row into words in one language."""

    def __init__(self, tr: Tr, lang: str) -> None:
        self.tr, self.en = tr, lang == "en"
        self._items = {i.code: i for i in Session.scalars(select(ServiceItem))}

    def text(self, value: Any) -> str:
        return str(localize(value, self.tr))

    def dept(self, code: Any) -> str:
        info = org.department(code) if code else None
        return (info.name_en if self.en else info.name_zh) if info else "—"

    def item(self, code: Any) -> str:
        item = self._items.get(code)
        return (item.name_en if self.en else item.name_zh) if item else "—"

    def value(self, kind: str | None, value: Any, row: dict[str, Any]) -> Any:
        if value is None or value == "":
            return ""
        if kind == "dept":
            return self.dept(value)
        if kind == "item":
            return self.item(row.get("item_code"))
        if kind == "reason":
            return self.text(value)
        if kind == "word":  # a marked msgid (N_) kept in the row
            return self.tr(str(value))
        if kind == "rated":  # a satisfaction row: an item or a department
            return self.item(row.get("item_code")) if row.get("item_code") else self.dept(row.get("key"))
        tables = {
            "status": labels.STATUSES,
            "deadline_kind": labels.DEADLINE_KINDS,
            "light": labels.LIGHTS,
            "alert_state": labels.ALERT_STATES,
            "order_state": labels.ORDER_STATES,
            "subject": labels.SUBJECT_KINDS,
            "colour": labels.CARD_COLOURS,
            "rule": labels.CARD_RULES,
            "kind": labels.ITEM_KINDS,
        }
        if kind in tables:
            return labels.word(tables[kind], value, self.tr)
        if isinstance(value, bool):
            return labels.word(labels.YES_NO, value, self.tr)
        return value


# list name -> (sheet title, [(key, header, kind)]); kind None: shown as it is
LISTS: dict[str, tuple[str, list[tuple[str, str, str | None]]]] = {
    "overdue": (
        N_("超期办件"),
        [
            ("case_no", N_("办件编号"), None),
            ("item_name", N_("事项"), "item"),
            ("department_code", N_("部门"), "dept"),
            ("applicant_name", N_("申请人"), None),
            ("status", N_("状态"), "status"),
            ("deadline_kind", N_("时限类型"), "deadline_kind"),
            ("deadline", N_("期限"), None),
            ("used_wd", N_("已用工作日"), None),
            ("remaining_wd", N_("剩余工作日"), None),
            ("deadline_confirmed", N_("日历已确认"), None),
        ],
    ),
    "alerts": (
        N_("预警"),
        [
            ("id", N_("编号"), None),
            ("case_no", N_("办件编号"), None),
            ("subject_kind", N_("对象"), "subject"),
            ("level", N_("级别"), "light"),
            ("state", N_("状态"), "alert_state"),
            ("department_code", N_("部门"), "dept"),
            ("deadline", N_("期限"), None),
            ("raised_on", N_("预警日"), None),
            ("resolved_at", N_("解除时间"), None),
        ],
    ),
    "orders": (
        N_("督办单"),
        [
            ("id", N_("编号"), None),
            ("case_no", N_("办件编号"), None),
            ("department_code", N_("责任部门"), "dept"),
            ("instruction", N_("督办事项"), None),
            ("issued_on", N_("督办日"), None),
            ("reply_due", N_("回复期限"), None),
            ("state", N_("状态"), "order_state"),
            ("light", N_("灯"), "light"),
            ("reply", N_("回复"), None),
            ("escalated_to", N_("升级至"), "dept"),
        ],
    ),
    "cards": (
        N_("黄牌红牌"),
        [
            ("id", N_("编号"), None),
            ("department_code", N_("部门"), "dept"),
            ("color", N_("颜色"), "colour"),
            ("rule", N_("规则"), "rule"),
            ("issued_on", N_("日期"), None),
            ("reason", N_("原因"), "reason"),
        ],
    ),
    "items": (
        N_("按事项统计"),
        [
            ("item_code", N_("事项编码"), None),
            ("name", N_("事项"), "item"),
            ("green", N_("绿灯"), None),
            ("yellow", N_("黄灯"), None),
            ("red", N_("红灯"), None),
            ("total", N_("在办"), None),
        ],
    ),
    "departments": (
        N_("按部门统计"),
        [
            ("department_code", N_("部门"), "dept"),
            ("green", N_("绿灯"), None),
            ("yellow", N_("黄灯"), None),
            ("red", N_("红灯"), None),
            ("total", N_("在办"), None),
        ],
    ),
}


# The results' figures (app.services.results_figures): separate lists, added after the case lists.
LISTS["results"] = (
    N_("结果与评价"),
    [("indicator", N_("指标"), "word"), ("value", N_("本月"), None), ("goal", N_("目标"), None)],
)
LISTS["satisfaction"] = (
    N_("满意度"),
    [
        ("group", N_("维度"), "word"),
        ("name", N_("名称"), "rated"),
        ("ratings", N_("评价数"), None),
        ("avg_score", N_("平均分"), None),
        ("satisfaction", N_("满意率"), None),
    ],
)


def _pct(value: Any) -> str:
    return f"{value * 100:.1f}%" if isinstance(value, float | int) and not isinstance(value, bool) else "—"


def results_rows(actor: Actor, period: Any, today: date) -> list[dict[str, Any]]:
    """The results' indicators of a month as (indicator, value, goal) rows, for Excel and the PDF."""
    f = results_figures.results_summary(actor, period, today)
    goals = f["goals"]
    return [
        {
            "indicator": N_("即办件占比"),
            "value": _pct(f["immediate_share"]),
            "goal": "≥ " + _pct(goals["immediate_share"]),
        },
        {
            "indicator": N_("最多跑一次事项占比"),
            "value": _pct(f["one_visit_share"]),
            "goal": "≥ " + _pct(goals["one_visit_share"]),
        },
        {
            "indicator": N_("准予决定电子证照覆盖率"),
            "value": _pct(f["licence_coverage"]),
            "goal": _pct(goals["licence_coverage"]),
        },
        {"indicator": N_("电子证照复用次数"), "value": f["reuses"], "goal": "—"},
        {"indicator": N_("许可决定按时公示率"), "value": _pct(f["published_on_time"]), "goal": "100.0%"},
        {"indicator": N_("逾期未公示"), "value": f["publications_late_pending"], "goal": "0"},
        {"indicator": N_("满意率（满意及以上）"), "value": _pct(f["satisfaction"]), "goal": "—"},
        {
            "indicator": N_("平均评分"),
            "value": f["avg_score"] if f["avg_score"] is not None else "—",
            "goal": "—",
        },
        {
            "indicator": N_("差评按时整改率"),
            "value": _pct(f["rectified_on_time"]),
            "goal": _pct(goals["rectified_on_time"]),
        },
        {"indicator": N_("未完成整改"), "value": f["open_rectifications"], "goal": "0"},
    ]


def list_rows(actor: Actor, name: str, args: dict[str, Any]) -> list[dict[str, Any]]:
    if name == "results":
        from app.services.workdays import today as today_of

        day = today_of()
        return results_rows(actor, cockpit.month_period(args.get("month") or None, day), day)
    if name == "satisfaction":
        return [
            {
                **row,
                "group": N_("事项") if group == "item" else N_("部门"),
                "item_code": row.get("code") if group == "item" else None,
                "satisfaction": _pct(row["satisfaction"]),
            }
            for group in ("item", "department")
            for row in results_figures.satisfaction_by(actor, group)
        ]
    if name == "overdue":
        return cockpit.overdue(
            actor, limit=5000, department=args.get("department") or None, item=args.get("item") or None
        )["rows"]
    if name == "alerts":
        cockpit.require_supervisor(actor)
        return [
            alerts.alert_dict(a)
            for a in alerts.list_alerts(
                actor, limit=1000, state=args.get("state") or None, level=args.get("level") or None
            )
        ]
    if name == "orders":
        return [
            supervision.order_dict(o)
            for o in supervision.list_orders(actor, args.get("state") or None, limit=5000)
        ]
    if name == "cards":
        return [
            supervision.card_dict(c)
            for c in supervision.list_cards(actor, args.get("department") or None, limit=5000)
        ]
    if name == "items":
        return cockpit.by_item(actor)
    if name == "departments":
        return cockpit.by_department(actor)
    raise ValidationFailed(
        t("没有名为 %(name)s 的列表", name=name), [{"field": "list", "message": t("未知的列表")}]
    )


def export_xlsx(
    actor: Actor, name: str, args: dict[str, Any], tr: Tr = _identity, lang: str = "zh"
) -> tuple[str, bytes]:
    """The named list as a workbook in words: (file name, bytes)."""
    rows = list_rows(actor, name, args)
    title, columns = LISTS[name]
    words = Words(tr, lang)
    wb = Workbook()
    ws = wb.active
    ws.title = tr(title)[:31]
    headers = [tr(header) for _key, header, _kind in columns]
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([words.value(kind, row.get(key), row) for key, _header, kind in columns])
    for idx, header in enumerate(headers, start=1):
        ws.column_dimensions[ws.cell(row=1, column=idx).column_letter].width = max(10, len(header) * 2 + 2)
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return f"supervision-{name}.xlsx", buf.getvalue()


def monthly_report_pdf(
    actor: Actor, month: str | None, today: date, now: datetime, tr: Tr = _identity, lang: str = "zh"
) -> tuple[str, bytes]:
    period = cockpit.month_period(month, today)
    perf = cockpit.performance(actor, period)
    lights = cockpit.by_light(actor)
    depts = cockpit.by_department(actor)
    items = cockpit.by_item(actor)
    late = cockpit.overdue(actor, limit=20)
    cards = supervision.list_cards(actor, limit=5000)
    words = Words(tr, lang)
    en = lang == "en"
    month_label = period.start.strftime("%Y-%m") if en else period.start.strftime("%Y年%m月")
    title = tr(N_("电子监察月报")) + " " + month_label
    pdf = new_pdf(title, margins=10)
    pdf.set_font(FONT_NAME, size=16)
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font(FONT_NAME, size=9)
    stamp = now.astimezone(cockpit.SHANGHAI).strftime("%Y-%m-%d %H:%M")
    pdf.cell(
        0,
        6,
        words.text(t("统计期间 %(period)s；生成于 %(at)s", period=period.label, at=stamp)),
        new_x="LMARGIN",
        new_y="NEXT",
        align="C",
    )
    rate = f"{perf['on_time_rate'] * 100:.1f}%" if perf["on_time_rate"] is not None else "—"
    share = f"{perf['immediate_share'] * 100:.1f}%" if perf["immediate_share"] is not None else "—"
    _heading(pdf, tr(N_("一、总体情况")))
    _table(
        pdf,
        [tr(N_("指标")), tr(N_("数值"))],
        [
            [tr(N_("本月受理（提交）办件")), perf["submitted"]],
            [tr(N_("本月办结办件")), perf["completed"]],
            [tr(N_("按期办结率")), rate],
            [
                tr(N_("平均实际用时（工作日）")),
                perf["avg_used_wd"] if perf["avg_used_wd"] is not None else "—",
            ],
            [
                tr(N_("平均承诺时限（工作日）")),
                perf["avg_promised_wd"] if perf["avg_promised_wd"] is not None else "—",
            ],
            [tr(N_("即办件占比")), share],
            [tr(N_("在办：绿灯 / 黄灯 / 红灯")), f"{lights['green']} / {lights['yellow']} / {lights['red']}"],
            [tr(N_("等待未确认日历的办件")), cockpit.unconfirmed_waiting(actor)],
        ],
        [110, 70],
    )
    light_headers = [tr(N_("绿灯")), tr(N_("黄灯")), tr(N_("红灯")), tr(N_("在办"))]
    _heading(pdf, tr(N_("二、分部门在办情况")))
    _table(
        pdf,
        [tr(N_("部门")), *light_headers],
        [
            [_cut(words.dept(d["department_code"]), 30), d["green"], d["yellow"], d["red"], d["total"]]
            for d in depts
        ],
        [70, 27, 27, 27, 29],
    )
    _heading(pdf, tr(N_("三、分事项在办情况")))
    _table(
        pdf,
        [tr(N_("事项")), *light_headers],
        [
            [
                _cut(words.item(i["item_code"]), 40 if en else 22),
                i["green"],
                i["yellow"],
                i["red"],
                i["total"],
            ]
            for i in items
        ],
        [90, 22, 22, 22, 24],
    )
    _heading(pdf, words.text(t("四、超期办件（共 %(n)s 件，列前 20 件）", n=late["total"])))
    _table(
        pdf,
        [tr(N_("办件编号")), tr(N_("事项")), tr(N_("部门")), tr(N_("期限")), tr(N_("已用"))],
        [
            [
                r["case_no"],
                _cut(words.item(r["item_code"]), 26 if en else 14),
                _cut(words.dept(r["department_code"]), 14 if en else 7),
                r["deadline"] or "—",
                r["used_wd"] if r["used_wd"] is not None else "—",
            ]
            for r in late["rows"]
        ],
        [48, 62, 25, 25, 20],
    )
    in_month = [c for c in cards if period.start <= c.issued_on < period.end]
    _heading(pdf, words.text(t("五、黄牌红牌（本月 %(n)s 张）", n=len(in_month))))
    _table(
        pdf,
        [tr(N_("部门")), tr(N_("颜色")), tr(N_("日期")), tr(N_("原因"))],
        [
            [
                _cut(words.dept(c.department_code), 12 if en else 6),
                labels.word(labels.CARD_COLOURS, c.color, tr),
                c.issued_on.isoformat(),
                _cut(words.text(supervision.card_reason(c)), 60 if en else 34),
            ]
            for c in in_month
        ],
        [25, 18, 27, 110],
    )
    _heading(pdf, "六、结果与评价（电子证照、双公示、好差评）")
    _table(
        pdf,
        ["指标", "本月", "目标"],
        [[r["indicator"], r["value"], r["goal"]] for r in results_rows(actor, period, today)],
        [90, 45, 45],
    )
    return f"supervision-report-{period.start.strftime('%Y-%m')}.pdf", bytes(pdf.output())


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _heading(pdf: Any, text: str) -> None:
    pdf.ln(3)
    pdf.set_font(FONT_NAME, size=12)
    pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT_NAME, size=9)


def _table(pdf: Any, headers: list[str], rows: list[list[Any]], widths: list[int]) -> None:
    for header, w in zip(headers, widths, strict=True):
        pdf.cell(w, 7, header, border=1, align="C")
    pdf.ln()
    if not rows:
        pdf.cell(sum(widths), 7, "—", border=1, align="C", new_x="LMARGIN", new_y="NEXT")
        return
    for row in rows:
        for value, w in zip(row, widths, strict=True):
            pdf.cell(w, 6, str(value), border=1)
        pdf.ln()
