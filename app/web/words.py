"""The domain's words for people, in the page's language: steps, outcomes, pause reasons, special
procedures, document titles, audit changes, and the BPMN diagram's labels (lanes by role, tasks by
step, every other element through the translation catalogue, where its Chinese name is a msgid).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from lxml import etree

from app.models import Case
from app.services.catalogue import definition_for, step_names
from app.services.i18n import N_
from app.web.i18n import department_label, is_english, pick, role_label
from engine.xmlsafe import parse_xml

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"

# Ends of the catalogue's processes (the BPMN names them in Chinese; these are their msgids).
OUTCOMES = {
    "approved": N_("准予许可"),
    "denied": N_("不予许可"),
    "refused": N_("不予受理"),
    "issued": N_("已补发"),
}
DOCUMENT_TITLES = {
    "acceptance_notice": N_("受理通知书"),
    "refusal_decision": N_("不予受理决定书"),
    "correction_notice": N_("补正材料通知书"),
    "special_procedure_notice": N_("特殊程序时间告知书"),
    "extension_notice": N_("延期告知书"),
    "approval_decision": N_("准予行政许可决定书"),
    "denial_decision": N_("不予行政许可决定书"),
    "service_refusal": N_("不予办理告知书"),
    "delivery_receipt": N_("送达回证"),
    "termination_notice": N_("终止办理告知书"),
}
DEADLINE_KINDS = {
    "acceptance": N_("受理时限"),
    "promised": N_("承诺办结时限"),
    "statutory": N_("法定办结时限"),
    "delivery": N_("送达时限"),
    "special_procedure": N_("特殊程序时限"),
}
# English names of the catalogue's BPMN elements other than steps (gateways, events, flows, pools):
# the BPMN names them in Chinese; steps take their form's English title instead.
BPMN_EN = {
    "不予受理": "Not accepted",
    "不予补发": "Reissue refused",
    "专家评审完成": "Expert review done",
    "作出决定": "Decision",
    "决定": "Decision",
    "制发审批意见": "Issue the approval decision",
    "危险废物经营许可证核发": "Hazardous waste business licence",
    "危险废物经营设施现场核查": "Site inspection of the facilities",
    "受理审查": "Acceptance check",
    "启动专家评审": "Expert review starts",
    "启动现场核查": "Site inspection starts",
    "审批延期": "Approve extension",
    "审查": "Review",
    "审查与实地核查": "Review and on-site check",
    "审查完毕": "Review done",
    "审核并补发": "Check and reissue",
    "延期": "Extend",
    "建设项目环境影响报告表专家评审": "Expert review of the EIA report form",
    "建设项目环境影响报告表审批": "Approval of the EIA report form",
    "技术审查": "Technical review",
    "收到申请材料": "Materials received",
    "收到补发申请": "Reissue application received",
    "是否专家评审": "Expert review?",
    "是否受理": "Accept?",
    "是否补发": "Reissue?",
    "材料审查": "Review of materials",
    "核发许可证": "Issue the licence",
    "核发道路运输经营许可证": "Issue the road transport business licence",
    "核发道路运输经营许可证（危险货物运输）": "Issue the road transport business licence (dangerous goods)",
    "现场核查": "Site inspection",
    "现场核查完成": "Site inspection done",
    "等待申请人补正": "Waiting for the applicant to correct",
    "组织专家评审": "Organise the expert review",
    "补发": "Reissue",
    "补正": "Correct",
    "记录专家评审意见": "Record the experts’ opinion",
    "退回审查": "Send back to review",
    "道路危险货物运输经营许可": "Road transport of dangerous goods business permit",
    "道路货物运输经营许可": "Road freight transport business permit",
    "道路运输证补发": "Reissue of a road transport certificate",
}
SPECIAL_PROCEDURES = {
    "expert_review": N_("专家评审"),
    "site_inspection": N_("现场勘察"),
    "testing": N_("检验检测"),
    "hearing": N_("听证"),
    "quarantine": N_("检疫"),
    "appraisal": N_("鉴定"),
}


def step_label(case: Case, bpmn_id: str, fallback: str = "") -> str:
    return step_of(case.process_version, bpmn_id, fallback)


def step_of(version: str, bpmn_id: str, fallback: str = "") -> str:
    """A step's name in the page's language (its form's title in English)."""
    return pick(step_names(version).get(bpmn_id), fallback or bpmn_id)


def outcome_label(case: Case) -> str:
    if not case.outcome:
        return ""
    if case.outcome in OUTCOMES:
        return gettext(OUTCOMES[case.outcome])
    name = definition_for(case.process_version).element_names.get(case.outcome)
    return element_name(name) if name else ""


def special_label(code: str | None, case: Case | None = None) -> str:
    if not code:
        return ""
    for p in ((case.item.definition or {}).get("special_procedures") or []) if case is not None else []:
        if isinstance(p, dict) and p.get("code") == code:
            return pick(p.get("name"), code)
    return gettext(SPECIAL_PROCEDURES[code]) if code in SPECIAL_PROCEDURES else gettext("特殊程序")


def pause_label(reason: str | None, case: Case | None = None) -> str:
    """Why a clock stood still: the correction wait, or a special procedure by its name."""
    if not reason:
        return ""
    if reason == "correction":
        return gettext("等待补正")
    if reason.startswith("special:"):
        return gettext("特殊程序：%(name)s", name=special_label(reason.split(":", 1)[1], case))
    return gettext("暂停")


def document_title(doc: Any) -> str:
    title = DOCUMENT_TITLES.get(doc.kind)
    if title is None:
        return doc.title
    text = gettext(title)
    if (doc.content or {}).get("deemed"):
        text += gettext("（视为受理）")
    if (doc.content or {}).get("renotice"):
        text += gettext("（再次告知）")
    return text


def deadline_kind_label(kind: str | None) -> str:
    return gettext(DEADLINE_KINDS[kind]) if kind in DEADLINE_KINDS else ""


def change_lines(case: Case | None, entry: Any) -> list[str]:
    """An audit entry's before → after in words, in the page's language (app.services.auditlog)."""
    from app.services.auditlog import describe_change

    return describe_change(entry, case, gettext, "en" if is_english() else "zh")


def _label_lanes_and_tasks(root: Any, names: dict[str, dict[str, str]], participant: str | None) -> None:
    for lane in root.iter(f"{{{BPMN_NS}}}lane"):
        if lane.get("name"):
            lane.set("name", role_label(lane.get("name")))
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag.endswith("}lane"):
            continue
        ident, name = el.get("id"), el.get("name")
        if el.tag.endswith("}participant") and participant:
            el.set("name", participant)
        elif ident in names:
            el.set("name", pick(names[ident], name or ident))
        elif name and el.tag.startswith(f"{{{BPMN_NS}}}") and not el.tag.endswith(("}message", "}property")):
            el.set("name", element_name(name))


def element_name(name: str) -> str:
    """A BPMN element's name in the page's language (the glossary above, else as written)."""
    return BPMN_EN.get(name, name) if is_english() else name


def labelled_diagram(case: Case, xml: bytes) -> bytes:
    """The BPMN of the case's diagram with people's words: lanes by role label, steps by name, the
    other elements translated, the pool as 'department · item' — for the viewer only (the stored
    process is unchanged)."""
    root = parse_xml(xml, "diagram.bpmn").getroot()
    item = case.item
    participant = (
        f"{department_label(case.department_code)} · {item.name_en if is_english() else item.name_zh}"
    )
    _label_lanes_and_tasks(root, step_names(case.process_version), participant)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
