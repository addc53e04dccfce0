"""Exports: any supervision list as an Excel workbook, and the monthly supervision report as PDF."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from app.services import alerts, cockpit, results_figures, supervision
from app.services.auth import Actor
from app.services.errors import ValidationFailed
from app.services.pdf import new_pdf

# Debian fonts-noto-cjk / fonts-wqy-microhei / fonts-wqy-zenhei, looked up when a PDF is made.
LISTS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "overdue": (
        "超期办件",
        [
            ("case_no", "办件编号"),
            ("item_name", "事项"),
            ("department_code", "部门"),
            ("applicant_name", "申请人"),
            ("status", "状态"),
            ("deadline_kind", "时限类型"),
            ("deadline", "期限"),
            ("used_wd", "已用工作日"),
            ("remaining_wd", "剩余工作日"),
            ("deadline_confirmed", "日历已确认"),
        ],
    ),
    "alerts": (
        "预警",
        [
            ("id", "编号"),
            ("case_no", "办件编号"),
            ("subject_kind", "对象"),
            ("level", "级别"),
            ("state", "状态"),
            ("department_code", "部门"),
            ("deadline", "期限"),
            ("raised_on", "预警日"),
            ("resolved_at", "解除时间"),
        ],
    ),
    "orders": (
        "督办单",
        [
            ("id", "编号"),
            ("case_no", "办件编号"),
            ("department_code", "责任部门"),
            ("instruction", "督办事项"),
            ("issued_on", "督办日"),
            ("reply_due", "回复期限"),
            ("state", "状态"),
            ("light", "灯"),
            ("reply", "回复"),
            ("escalated_to", "升级至"),
        ],
    ),
    "cards": (
        "黄牌红牌",
        [
            ("id", "编号"),
            ("department_code", "部门"),
            ("color", "颜色"),
            ("rule", "规则"),
            ("issued_on", "日期"),
            ("reason", "原因"),
        ],
    ),
    "items": (
        "按事项统计",
        [
            ("item_code", "事项编码"),
            ("name", "事项"),
            ("green", "绿灯"),
            ("yellow", "黄灯"),
            ("red", "红灯"),
            ("total", "在办"),
        ],
    ),
    "departments": (
        "按部门统计",
        [
            ("department_code", "部门编码"),
            ("name", "部门"),
            ("green", "绿灯"),
            ("yellow", "黄灯"),
            ("red", "红灯"),
            ("total", "在办"),
        ],
    ),
}


# The results' figures (app.services.results_figures): separate lists, added after the case lists.
LISTS["results"] = (
    "结果与评价",
    [("indicator", "指标"), ("value", "本月"), ("goal", "目标")],
)
LISTS["satisfaction"] = (
    "满意度",
    [
        ("group", "维度"),
        ("name", "名称"),
        ("ratings", "评价数"),
        ("avg_score", "平均分"),
        ("satisfaction", "满意率"),
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
            "indicator": "即办件占比",
            "value": _pct(f["immediate_share"]),
            "goal": "≥ " + _pct(goals["immediate_share"]),
        },
        {
            "indicator": "最多跑一次事项占比",
            "value": _pct(f["one_visit_share"]),
            "goal": "≥ " + _pct(goals["one_visit_share"]),
        },
        {
            "indicator": "准予决定电子证照覆盖率",
            "value": _pct(f["licence_coverage"]),
            "goal": _pct(goals["licence_coverage"]),
        },
        {"indicator": "电子证照复用次数", "value": f["reuses"], "goal": "—"},
        {"indicator": "许可决定按时公示率", "value": _pct(f["published_on_time"]), "goal": "100.0%"},
        {"indicator": "逾期未公示", "value": f["publications_late_pending"], "goal": "0"},
        {"indicator": "满意率（满意及以上）", "value": _pct(f["satisfaction"]), "goal": "—"},
        {
            "indicator": "平均评分",
            "value": f["avg_score"] if f["avg_score"] is not None else "—",
            "goal": "—",
        },
        {
            "indicator": "差评按时整改率",
            "value": _pct(f["rectified_on_time"]),
            "goal": _pct(goals["rectified_on_time"]),
        },
        {"indicator": "未完成整改", "value": f["open_rectifications"], "goal": "0"},
    ]


def list_rows(actor: Actor, name: str, args: dict[str, Any]) -> list[dict[str, Any]]:
    if name == "results":
        from app.services.workdays import today as today_of

        day = today_of()
        return results_rows(actor, cockpit.month_period(args.get("month") or None, day), day)
    if name == "satisfaction":
        return [
            {**row, "group": "事项" if group == "item" else "部门", "satisfaction": _pct(row["satisfaction"])}
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
        f"没有名为 {name} 的列表 / no list {name}", [{"field": "list", "message": ", ".join(LISTS)}]
    )


def export_xlsx(actor: Actor, name: str, args: dict[str, Any]) -> tuple[str, bytes]:
    """The named list as a workbook: (file name, bytes)."""
    rows = list_rows(actor, name, args)
    title, columns = LISTS[name]
    wb = Workbook()
    ws = wb.active
    ws.title = title
    ws.append([header for _key, header in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([_cell(row.get(key)) for key, _header in columns])
    for idx, (_key, header) in enumerate(columns, start=1):
        ws.column_dimensions[ws.cell(row=1, column=idx).column_letter].width = max(10, len(header) * 2 + 2)
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return f"supervision-{name}.xlsx", buf.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def monthly_report_pdf(actor: Actor, month: str | None, today: date, now: datetime) -> tuple[str, bytes]:
    period = cockpit.month_period(month, today)
    perf = cockpit.performance(actor, period)
    lights = cockpit.by_light(actor)
    depts = cockpit.by_department(actor)
    items = cockpit.by_item(actor)
    late = cockpit.overdue(actor, limit=20)
    cards = supervision.list_cards(actor, limit=5000)
    pdf = new_pdf(f"电子监察月报 {period.start.strftime('%Y-%m')}", margins=10)
    pdf.set_font("cjk", size=16)
    pdf.cell(
        0, 10, f"电子监察月报 {period.start.strftime('%Y年%m月')}", new_x="LMARGIN", new_y="NEXT", align="C"
    )
    pdf.set_font("cjk", size=9)
    pdf.cell(
        0,
        6,
        f"统计期间 {period.label}；生成于 {now.astimezone(cockpit.SHANGHAI).strftime('%Y-%m-%d %H:%M')}",
        new_x="LMARGIN",
        new_y="NEXT",
        align="C",
    )
    rate = f"{perf['on_time_rate'] * 100:.1f}%" if perf["on_time_rate"] is not None else "—"
    share = f"{perf['immediate_share'] * 100:.1f}%" if perf["immediate_share"] is not None else "—"
    _heading(pdf, "一、总体情况")
    _table(
        pdf,
        ["指标", "数值"],
        [
            ["本月受理（提交）办件", perf["submitted"]],
            ["本月办结办件", perf["completed"]],
            ["按期办结率", rate],
            ["平均实际用时（工作日）", perf["avg_used_wd"] if perf["avg_used_wd"] is not None else "—"],
            [
                "平均承诺时限（工作日）",
                perf["avg_promised_wd"] if perf["avg_promised_wd"] is not None else "—",
            ],
            ["即办件占比", share],
            ["在办：绿灯 / 黄灯 / 红灯", f"{lights['green']} / {lights['yellow']} / {lights['red']}"],
            ["等待未确认日历的办件", cockpit.unconfirmed_waiting(actor)],
        ],
        [110, 70],
    )
    _heading(pdf, "二、分部门在办情况")
    _table(
        pdf,
        ["部门", "绿灯", "黄灯", "红灯", "在办"],
        [[d["name"], d["green"], d["yellow"], d["red"], d["total"]] for d in depts],
        [70, 27, 27, 27, 29],
    )
    _heading(pdf, "三、分事项在办情况")
    _table(
        pdf,
        ["事项", "绿灯", "黄灯", "红灯", "在办"],
        [[i["name"][:22], i["green"], i["yellow"], i["red"], i["total"]] for i in items],
        [90, 22, 22, 22, 24],
    )
    _heading(pdf, f"四、超期办件（共 {late['total']} 件，列前 20 件）")
    _table(
        pdf,
        ["办件编号", "事项", "部门", "期限", "已用"],
        [
            [
                r["case_no"],
                (r["item_name"] or "")[:14],
                r["department_code"],
                r["deadline"] or "—",
                r["used_wd"] if r["used_wd"] is not None else "—",
            ]
            for r in late["rows"]
        ],
        [48, 62, 25, 25, 20],
    )
    in_month = [c for c in cards if period.start <= c.issued_on < period.end]
    _heading(pdf, f"五、黄牌红牌（本月 {len(in_month)} 张）")
    _table(
        pdf,
        ["部门", "颜色", "日期", "原因"],
        [
            [
                c.department_code,
                "红牌" if c.color == "red" else "黄牌",
                c.issued_on.isoformat(),
                c.reason[:34],
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


def _heading(pdf: Any, text: str) -> None:
    pdf.ln(3)
    pdf.set_font("cjk", size=12)
    pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=9)


def _table(pdf: Any, headers: list[str], rows: list[list[Any]], widths: list[int]) -> None:
    for header, w in zip(headers, widths, strict=True):
        pdf.cell(w, 7, header, border=1, align="C")
    pdf.ln()
    if not rows:
        pdf.cell(sum(widths), 7, "（无）", border=1, align="C", new_x="LMARGIN", new_y="NEXT")
        return
    for row in rows:
        for value, w in zip(row, widths, strict=True):
            pdf.cell(w, 6, str(value), border=1)
        pdf.ln()
