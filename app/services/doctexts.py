"""The words of each statutory document, in the usual order of its kind (Chinese: the documents are).

Every kind has: the authority (the department's header), title, number, addressee, the subject (the
item and, where there is one, the project), the facts, the legal basis, the decision (and its
conditions), remedy rights where a refusal or denial is made, the date and the seal — assembled by
app.services.documents and laid out by app.services.pdf. Text typed by caseworkers is cleaned where
it is set into a sentence (:func:`clause`, :func:`sentence`), so no "。，" or "：。" can appear.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from app.models import Case
from app.models.vocab import SHANGHAI
from app.services.org import DepartmentInfo

LAW = "《中华人民共和国行政许可法》"
TRAILING = "。；;，,、：: \u3000\n\t"
DELIVERY_METHODS_ZH = {"window": "窗口领取", "post": "邮寄送达", "electronic": "电子送达"}
PROJECT_FIELDS = ("project_name",)
# The remedy paragraph the forms offer by default; a decider who keeps it gets the department's own
# (which names the reconsideration body), one who writes another keeps theirs.
FORM_DEFAULT_REMEDY = "如不服本决定，可以自收到本决定之日起六十日内依法申请行政复议，或者自收到本决定之日起六个月内依法向人民法院提起行政诉讼。"


def cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def clause(text: Any, default: str = "") -> str:
    """Typed text to be set inside a sentence: no trailing full stop, comma or colon."""
    value = str(text or "").strip().rstrip(TRAILING).strip()
    return value or default


def sentence(text: Any, default: str = "") -> str:
    """Typed text as a sentence of its own: ends with exactly one 。 (or its own ？/！)."""
    value = clause(text, default)
    if not value:
        return ""
    return value if value.endswith(("？", "！", "?", "!")) else value + "。"


def _basis(item_def: dict[str, Any]) -> str:
    """The item's first statute without its explanatory note, e.g. 《道路运输条例》第二十四条."""
    for entry in item_def.get("legal_basis") or []:
        text = re.sub(r"（[^（）]*）\s*$", "", str(entry)).strip()
        if text and LAW not in text:
            return text
    return ""


def remedy(dept: DepartmentInfo | None, typed: Any = None) -> str:
    typed_text = str(typed or "").strip()
    if typed_text and typed_text != FORM_DEFAULT_REMEDY:
        return sentence(typed_text)
    body = dept.reconsideration if dept is not None and dept.reconsideration else "本机关的本级人民政府"
    return (
        f"如不服本决定，可以自收到本决定书之日起六十日内向{body}申请行政复议，"
        "或者自收到本决定书之日起六个月内依法向人民法院提起行政诉讼。"
    )


def subject(case: Case) -> str:
    application = (case.data or {}).get("application") or {}
    project = next((clause(application.get(k)) for k in PROJECT_FIELDS if application.get(k)), "")
    return f"{case.item.name_zh}（项目：{project}）" if project else case.item.name_zh


def facts(case: Case) -> str:
    received = case.received_on or case.submitted_at.date()
    application = (case.data or {}).get("application") or {}
    project = next((clause(application.get(k)) for k in PROJECT_FIELDS if application.get(k)), "")
    what = f"“{case.item.name_zh}”申请" + (f"（项目名称：{project}）" if project else "")
    return f"你（单位）于{cn_date(received)}向本机关提出的{what}，办件编号{case.case_no}"


def build(kind: str, case: Case, data: dict[str, Any], dept: DepartmentInfo | None) -> dict[str, Any]:
    """paragraphs (``@items`` marks the numbered list), items, rows (a form's label/value lines),
    signatures (lines to sign), remedy (whether remedy rights are stated)."""
    item_def = case.item.definition or {}
    limits = item_def.get("limits") or {}
    basis = _basis(item_def)
    intro = facts(case)
    out: dict[str, Any] = {"paragraphs": [], "items": [], "rows": [], "signatures": [], "remedy": False}
    paras: list[str] = out["paragraphs"]
    if kind == "acceptance_notice":
        if data.get("deemed"):
            received = case.accepted_on or case.received_on or case.submitted_at.date()
            paras.append(
                f"{intro}。本机关未在收到申请材料之日起五日内作出受理决定，也未一次性告知需要补正的全部内容。"
            )
            paras.append(
                f"根据{LAW}第三十二条第一款第（四）项的规定，该申请自{cn_date(received)}收到申请材料之日起即为受理。"
            )
        else:
            paras.append(f"{intro}。经审查，申请材料齐全，符合法定形式。")
            paras.append(f"根据{LAW}第三十二条第一款第（五）项的规定，本机关决定予以受理。")
        starts = "收到申请材料" if limits.get("statutory_starts") == "received" else "受理"
        paras.append(
            f"本机关承诺自受理之日起{case.item.promised_wd}个工作日内作出决定，"
            f"法定期限为自{starts}之日起{case.item.statutory_wd}个工作日。"
            "依法需要听证、检验、检测、检疫、鉴定和专家评审的，所需时间不计算在上述期限内，本机关将书面告知所需时间。"
        )
        if clause(data.get("acceptance_note")):
            paras.append(f"受理意见：{sentence(data.get('acceptance_note'))}")
        return out
    if kind == "refusal_decision":
        paras.append(f"{intro}。经审查，该申请{clause(data.get('refuse_reason'), '不符合受理条件')}。")
        paras.append(f"根据{LAW}第三十二条第一款的规定，本机关决定不予受理。")
        paras.append(remedy(dept, data.get("remedy_rights")))
        out["remedy"] = True
        return out
    if kind == "correction_notice":
        materials = {
            m.get("code"): (m.get("name") or {}).get("zh") or m.get("code")
            for m in item_def.get("materials") or []
            if isinstance(m, dict)
        }
        out["items"] = [
            f"{materials.get(d.get('material'), d.get('material'))}：{sentence(d.get('reason'), '需补正')}"
            for d in data.get("deficient_materials") or []
        ]
        paras.append(f"{intro}。经审查，申请材料不齐全或者不符合法定形式。")
        paras.append(
            f"根据{LAW}第三十二条第一款第（四）项的规定，现一次性告知你（单位）需要补正的全部内容，共{len(out['items'])}项："
        )
        paras.append("@items")
        wait = limits.get("applicant_correction_wd")
        if wait:
            tail = f"请于收到本通知书之日起{wait}个工作日内提交补正材料"
            if limits.get("correction_expiry") == "withdrawn":
                tail += "，逾期未补正的，视为撤回申请"
            paras.append(tail + "。")
        paras.append("补正材料齐全、符合法定形式的，本机关予以受理。补正所需时间不计算在办理期限内。")
        return out
    if kind == "special_procedure_notice":
        name = clause(data.get("procedure_name"), "特殊程序")
        days = data.get("expected_duration_wd")
        if data.get("renotice"):
            paras.append(
                f"{intro}。本机关此前已书面告知{name}所需时间。"
                f"因{clause(data.get('reason'), '情况复杂')}，{name}不能在原告知的期限内完成。"
            )
            paras.append(
                f"根据{LAW}第四十五条的规定，现再次书面告知：{name}自本通知之日起还需{days}个工作日，"
                "所需时间不计算在行政许可期限内。"
            )
            return out
        paras.append(f"{intro}。经审查，该申请依法需要进行{name}。")
        if clause(data.get("reason")):
            paras.append(f"理由：{sentence(data.get('reason'))}")
        paras.append(
            f"根据{LAW}第四十五条的规定，{name}所需时间不计算在行政许可期限内。"
            f"本机关预计{name}需要{days}个工作日，届时将继续办理。"
        )
        return out
    if kind == "extension_notice":
        paras.append(
            f"{intro}。因{clause(data.get('extension_reason'), '情况复杂')}，本机关不能在规定期限内作出决定。"
        )
        paras.append(
            f"根据{LAW}第四十二条第一款的规定，经本机关负责人批准，办理期限延长{data.get('extension_days')}个工作日。"
        )
        return out
    if kind == "approval_decision":
        paras.append(f"{intro}。经审查，该申请符合法定条件、标准。")
        if clause(data.get("decision_reason")):
            paras.append(f"审查意见：{sentence(data.get('decision_reason'))}")
        law = f"{basis}和{LAW}第三十八条第一款" if basis else f"{LAW}第三十八条第一款"
        paras.append(f"根据{law}的规定，本机关决定准予行政许可。")
        conditions = [
            sentence(c)
            for c in re.split(r"[\n；;]+", str(data.get("decision_conditions") or ""))
            if clause(c)
        ]
        out["items"] = conditions or [
            "被许可人应当按照本决定许可的范围和内容从事有关活动，遵守法律、法规规定的义务。",
            "许可事项发生变更的，应当依法申请变更。",
        ]
        paras.append("许可条件和要求如下：")
        paras.append("@items")
        result = ((item_def.get("result") or {}).get("name") or {}).get("zh")
        if result:
            paras.append(
                f"本机关将自作出本决定之日起十日内向你（单位）颁发、送达{result}（{LAW}第四十四条）。"
            )
        return out
    if kind in ("denial_decision", "service_refusal"):
        reason = clause(data.get("deny_reason") or data.get("refuse_reason"), "不符合法定条件、标准")
        if kind == "denial_decision":
            paras.append(f"{intro}。经审查，该申请不符合法定条件、标准，理由如下：{reason}。")
            law = f"{basis}和{LAW}第三十八条第二款" if basis else f"{LAW}第三十八条第二款"
            paras.append(f"根据{law}的规定，本机关决定不予行政许可。")
        else:
            paras.append(f"{intro}。经审核，该申请不符合办理条件，理由如下：{reason}。")
            law = basis or "有关法律、法规"
            paras.append(f"根据{law}的规定，本机关决定不予办理。")
        paras.append(remedy(dept, data.get("remedy_rights")))
        out["remedy"] = True
        return out
    if kind == "delivery_receipt":
        documents = data.get("documents") or []
        out["rows"] = [
            ["送达文书", "；".join(documents) if documents else f"{case.item.name_zh}办理结果"],
            ["受送达人", data.get("recipient") or case.applicant_name],
            ["送达方式", DELIVERY_METHODS_ZH.get(data.get("method") or "", "窗口领取")],
            ["送达日期", data.get("on") or ""],
            ["办件编号", case.case_no or ""],
        ]
        paras.append(
            f"根据{LAW}第四十四条的规定，行政机关作出准予行政许可的决定，"
            "应当自作出决定之日起十日内向申请人颁发、送达行政许可证件。"
        )
        out["signatures"] = ["受送达人（签名或盖章）", "送达人（签名）"]
        return out
    if kind == "termination_notice":
        if data.get("deemed"):
            paras.append(
                f"{intro}。本机关已于{data.get('notice_on') or '此前'}一次性告知需要补正的全部内容。"
            )
            paras.append(
                "你（单位）未在补正期限内提交补正材料。"
                "根据本事项办事指南和补正材料通知书告知的规定，该申请视为撤回。"
            )
            paras.append("本机关决定终止办理该申请。你（单位）具备条件后可以重新提出申请。")
            paras.append(remedy(dept))
            out["remedy"] = True
            return out
        paras.append(
            f"{intro}。你（单位）于{data.get('at_zh') or ''}申请撤回该申请，撤回理由：{clause(data.get('reason'), '未说明')}。"
        )
        paras.append(
            "根据你（单位）的撤回申请，本机关决定终止办理该申请。你（单位）具备条件后可以重新提出申请。"
        )
        return out
    if kind == "receipt":
        return _receipt(case, data, dept, out)
    raise ValueError(f"unknown document kind {kind}")


CHANNELS_ZH = {"online": "网上申请", "window": "窗口收件"}


def _receipt(
    case: Case, data: dict[str, Any], dept: DepartmentInfo | None, out: dict[str, Any]
) -> dict[str, Any]:
    """收件回执: what arrived and when; the time of receipt starts the acceptance clock (Art. 32)."""
    item = case.item
    at = datetime.fromisoformat(data["received_at"]).astimezone(SHANGHAI)
    channel = CHANNELS_ZH.get(data.get("channel") or "", data.get("channel") or "")
    out["rows"] = [
        ["办件编号", case.case_no or ""],
        ["查询码", case.query_code or ""],
        ["申请事项", f"{item.name_zh}（事项编码 {item.code}）"],
        ["办理机关", dept.name_zh if dept is not None else case.department_code],
        ["收件方式", channel + (f"（{data['window']}）" if data.get("window") else "")],
        ["收件时间", f"{at.year}年{at.month}月{at.day}日 {at:%H:%M}"],
    ]
    out["items"] = list(data.get("materials") or [])
    paras: list[str] = out["paragraphs"]
    paras.append(f"本机关已收到你（单位）提出的“{item.name_zh}”申请，现出具收件回执。")
    paras.append(f"收到材料（共{len(out['items'])}项）：")
    paras.append("@items")
    if item.kind == "immediate":
        paras.append("本事项为即办件：申请材料齐全、符合法定形式的，当场办结。")
    elif data.get("acceptance_due"):
        due = date.fromisoformat(data["acceptance_due"])
        paras.append(
            f"本机关将于{cn_date(due)}前作出是否受理的决定；需要补正材料的，将一次性告知需要补正的全部内容。"
            f"逾期不告知的，自收到申请材料之日起即为受理（{LAW}第三十二条）。"
        )
    paras.append("凭办件编号和查询码可在网上办事大厅“进度查询”中查看办理进度。")
    paras.append("本回执仅证明收到上述申请材料，不表示申请已被受理。")
    return out
