"""Statutory documents (受理通知书, 补正材料通知书, 决定书 …) generated from case events into the case file.

Hooks (see app.services.hooks) create the document inside the service's transaction; they never
commit. Each document keeps the data its template was filled with (``content``) and its PDF.

Document numbers: ``<机关简称><文种简称>〔<year>〕第<case id, 6 digits>-<n, 2 digits>号``, e.g.
``环受〔2026〕第000427-01号`` — the n-th document of case 427 of the env bureau, an acceptance notice
issued in 2026. Unique because the case id is, and because documents of one case are written under
the case's optimistic lock (two writers of one case cannot both commit).

PDFs need a CJK font: Noto CJK (Debian fonts-noto-cjk) or WenQuanYi Micro Hei (fonts-wqy-microhei),
or a .ttf/.ttc named by TONGBAN_CJK_FONT. Without one the document is still recorded (content and
number) and the PDF download says which package to install.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.models import Case, CaseDocument, CaseTask, Session
from app.services import hooks
from app.services.auth import Actor
from app.services.cases import get_case
from app.services.catalogue import DEPARTMENTS
from app.services.errors import DomainError, NotFound

log = logging.getLogger("tongban.documents")
SHANGHAI = ZoneInfo("Asia/Shanghai")
SPECIAL = ("expert_review", "site_inspection", "testing", "hearing")
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
DEPT_SHORT = {"env": "环", "transport": "交", "admin": "审"}
KINDS: dict[str, tuple[str, str]] = {  # kind -> (title, short name in the number)
    "acceptance_notice": ("受理通知书", "受"),
    "refusal_decision": ("不予受理决定书", "不受"),
    "correction_notice": ("补正材料通知书", "补"),
    "special_procedure_notice": ("特殊程序时间告知书", "特"),
    "extension_notice": ("延期告知书", "延"),
    "approval_decision": ("准予行政许可决定书", "许"),
    "denial_decision": ("不予行政许可决定书", "不许"),
}
REMEDY = "如不服本决定，可以自收到本决定之日起六十日内依法申请行政复议，或者自收到本决定之日起六个月内依法向人民法院提起行政诉讼。"


class FontMissing(DomainError):
    status = 503
    code = "cjk_font_missing"


def find_cjk_font() -> str:
    override = os.environ.get("TONGBAN_CJK_FONT")
    for path in ([override] if override else []) + list(FONT_CANDIDATES):
        if path and Path(path).is_file():
            return path
    fc_list = shutil.which("fc-list")
    if fc_list:
        out = subprocess.run([fc_list, ":lang=zh", "file"], capture_output=True, text=True, timeout=10).stdout  # noqa: S603 - fixed argv, no user input
        for line in out.splitlines():
            path = line.split(":")[0].strip()
            if path.endswith((".ttf", ".ttc", ".otf")):
                return path
    raise FontMissing(
        "生成 PDF 需要中文字体：请安装 Debian 软件包 fonts-noto-cjk（或 fonts-wqy-microhei），"
        "或用 TONGBAN_CJK_FONT 指定 .ttf/.ttc 文件 / a CJK font is needed for PDFs: apt-get install fonts-noto-cjk"
    )


def _cn_date(d) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _local(now: datetime):
    return now.astimezone(SHANGHAI).date()


def _material_name(case: Case, code: str) -> str:
    for m in (case.item.definition or {}).get("materials") or []:
        if isinstance(m, dict) and m.get("code") == code:
            return (m.get("name") or {}).get("zh") or code
    return code


def _procedure(case: Case, code: str) -> dict[str, Any]:
    for p in (case.item.definition or {}).get("special_procedures") or []:
        if isinstance(p, dict) and p.get("code") == code:
            return p
    return {"code": code, "name": {"zh": code}}


def _paragraphs(kind: str, case: Case, data: dict[str, Any]) -> tuple[list[str], list[str]]:
    item = case.item
    received = case.received_on or _local(case.submitted_at)
    intro = f"你（单位）于{_cn_date(received)}提出的“{item.name_zh}”申请（办件编号：{case.case_no}）"
    limits = (item.definition or {}).get("limits") or {}
    if kind == "acceptance_notice":
        paras = [
            f"{intro}，经审查，申请材料齐全、符合法定形式，根据《中华人民共和国行政许可法》第三十二条的规定，决定予以受理。",
            f"本机关承诺自受理之日起{item.promised_wd}个工作日内作出决定（法定期限{item.statutory_wd}个工作日）。"
            "依法需要听证、检验、检测、检疫、鉴定和专家评审的，所需时间不计算在上述期限内，届时将书面告知。",
        ]
        if data.get("acceptance_note"):
            paras.append(f"受理意见：{data['acceptance_note']}")
        return paras, []
    if kind == "refusal_decision":
        reason = data.get("refuse_reason") or ""
        return [
            f"{intro}，经审查，决定不予受理。",
            f"理由：{reason}",
            data.get("remedy_rights") or REMEDY,
        ], []
    if kind == "correction_notice":
        items = [
            f"{_material_name(case, d.get('material', ''))}：{d.get('reason', '')}"
            for d in data.get("deficient_materials") or []
        ]
        wait = limits.get("applicant_correction_wd")
        paras = [
            f"{intro}，经审查，申请材料不齐全或者不符合法定形式。根据《中华人民共和国行政许可法》第三十二条的规定，"
            f"现一次性告知你（单位）需要补正的全部内容（共{len(items)}项）如下：",
        ]
        tail = ["补正材料齐全、符合法定形式后，本机关予以受理。补正期间不计入办理时限。"]
        if wait:
            tail.insert(0, f"请于收到本通知书之日起{wait}个工作日内提交补正材料。")
        return paras + ["@items"] + tail, items
    if kind == "special_procedure_notice":
        proc = _procedure(case, data.get("procedure") or "")
        days = data.get("expected_duration_wd") or proc.get("limit_wd")
        paras = [
            f"{intro}，依法需要进行{(proc.get('name') or {}).get('zh', proc.get('code'))}。",
            f"根据《中华人民共和国行政许可法》第四十五条的规定，该程序所需时间不计算在行政许可期限内，预计需要{days}个工作日。",
        ]
        if data.get("reason"):
            paras.append(f"理由：{data['reason']}")
        return paras, []
    if kind == "extension_notice":
        return [
            f"{intro}，因{data.get('extension_reason') or '情况复杂'}，在规定期限内不能作出决定。",
            f"经本机关负责人批准，根据《中华人民共和国行政许可法》第四十二条的规定，办理期限延长{data.get('extension_days')}个工作日。",
        ], []
    if kind == "approval_decision":
        paras = [
            f"{intro}，经审查，符合法定条件、标准，根据《中华人民共和国行政许可法》第三十八条第一款的规定，决定准予行政许可。"
        ]
        if data.get("decision_reason"):
            paras.append(f"决定意见：{data['decision_reason']}")
        return paras, []
    if kind == "denial_decision":
        reason = data.get("deny_reason") or data.get("refuse_reason") or ""
        return [
            f"{intro}，经审查，不符合法定条件、标准，根据《中华人民共和国行政许可法》第三十八条第二款的规定，决定不予行政许可。",
            f"理由：{reason}",
            data.get("remedy_rights") or REMEDY,
        ], []
    raise ValueError(f"unknown document kind {kind}")


def _number(case: Case, kind: str, issued) -> str:
    seq = (
        Session.scalar(select(func.count()).select_from(CaseDocument).where(CaseDocument.case_id == case.id))
        or 0
    ) + 1
    return f"{DEPT_SHORT.get(case.department_code, '政')}{KINDS[kind][1]}〔{issued.year}〕第{case.id:06d}-{seq:02d}号"


def issue_document(
    actor: Actor | None, case: Case, kind: str, data: dict[str, Any], now: datetime
) -> CaseDocument:
    """Fill the template, number it and keep it in the case file (no commit: runs inside the caller's)."""
    issued = _local(now)
    title = KINDS[kind][0]
    paras, items = _paragraphs(kind, case, data)
    content = {
        "kind": kind,
        "title": title,
        "number": _number(case, kind, issued),
        "issued_on": issued.isoformat(),
        "issued_on_zh": _cn_date(issued),
        "case_no": case.case_no,
        "item": case.item.name_zh,
        "addressee": case.applicant_name,
        "issuer": DEPARTMENTS.get(case.department_code, (case.department_code,))[0],
        "paragraphs": paras,
        "items": items,
    }
    # The content and number are fixed here; the PDF is rendered from them on first download (rendering
    # with a CJK font costs 0.3–3 s, which must not sit inside a caseworker's save).
    doc = CaseDocument(
        case_id=case.id,
        kind=kind,
        number=content["number"],
        title=title,
        content=content,
        created_by_id=actor.id if actor else None,
    )
    Session.add(doc)
    return doc


def render_pdf(content: dict[str, Any]) -> bytes:
    from fpdf import FPDF

    font = find_cjk_font()
    pdf = FPDF(format="A4")
    pdf.set_title(f"{content['title']} {content['number']}")
    pdf.set_creator("Tongban")
    pdf.add_font("cjk", "", font, collection_font_number=0)
    pdf.set_margins(25, 25, 25)
    pdf.add_page()
    pdf.set_font("cjk", size=13)
    pdf.cell(0, 10, content["issuer"], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=20)
    pdf.cell(0, 14, content["title"], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=11)
    pdf.cell(0, 8, content["number"], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("cjk", size=12)
    pdf.multi_cell(0, 8, f"{content['addressee']}：", new_x="LMARGIN", new_y="NEXT")
    for para in content["paragraphs"]:
        if para == "@items":
            for i, line in enumerate(content["items"], 1):
                pdf.set_x(pdf.l_margin + 8)
                pdf.multi_cell(0, 8, f"{i}. {line}", new_x="LMARGIN", new_y="NEXT")
            continue
        pdf.multi_cell(0, 8, "\u3000\u3000" + para, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.cell(0, 8, content["issuer"], align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 8, content["issued_on_zh"], align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("cjk", size=9)
    pdf.cell(0, 6, f"办件编号 {content['case_no']}  事项 {content['item']}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def list_documents(actor: Actor, case_no: str) -> list[CaseDocument]:
    case = get_case(actor, case_no)
    return list(
        Session.scalars(select(CaseDocument).where(CaseDocument.case_id == case.id).order_by(CaseDocument.id))
    )


def document_pdf(actor: Actor, case_no: str, document_id: int) -> tuple[CaseDocument, bytes]:
    """The PDF of a document of a case the actor may see; rendered now if it was kept without one."""
    case = get_case(actor, case_no)
    doc = Session.get(CaseDocument, document_id)
    if doc is None or doc.case_id != case.id:
        raise NotFound(f"文书 {document_id} 不存在 / no document {document_id}", code="document_not_found")
    if doc.pdf is None:
        try:
            doc.pdf = render_pdf(doc.content)
        except FontMissing:
            Session.rollback()
            raise
        doc.sha256 = hashlib.sha256(doc.pdf).hexdigest()
        Session.commit()
    return doc, doc.pdf


# -- hooks: which case events produce which document ---------------------------------------------


def _special_entered(case: Case, task: CaseTask) -> str | None:
    if task.special_procedure:
        return None  # already inside the procedure
    for row in case.tasks:
        if row.state in ("ready", "claimed") and row.special_procedure:
            return row.special_procedure
    return None


@hooks.on("task_completed")
def documents_for_task(actor: Actor, case: Case, task: CaseTask, data: dict[str, Any], now: datetime) -> None:
    merged = {**(case.data or {}), **data}
    outcome = data.get("accept_outcome")
    if outcome == "accept":
        issue_document(actor, case, "acceptance_notice", data, now)
    elif outcome == "correct":
        issue_document(actor, case, "correction_notice", data, now)
    elif outcome == "refuse":
        issue_document(actor, case, "refusal_decision", data, now)
    if data.get("review_outcome") in SPECIAL:
        extra = {
            "procedure": data["review_outcome"],
            "reason": data.get(f"{data['review_outcome']}_reason"),
            "expected_duration_wd": data.get("expected_duration_wd"),
        }
        issue_document(actor, case, "special_procedure_notice", extra, now)
    elif (procedure := _special_entered(case, task)) is not None:
        issue_document(
            actor,
            case,
            "special_procedure_notice",
            {"procedure": procedure, "expected_duration_wd": data.get("expected_duration_wd")},
            now,
        )
    if task.bpmn_id == "approve_extension" and data.get("extension_approved") is True:
        issue_document(actor, case, "extension_notice", merged, now)
    decision = data.get("decision") or {"issue": "approve", "refuse": "deny"}.get(data.get("outcome") or "")
    if decision == "approve":
        issue_document(actor, case, "approval_decision", data, now)
    elif decision == "deny":
        issue_document(actor, case, "denial_decision", data, now)
