"""The display names of the stored vocabulary, as Chinese msgids (one home for pages and exports).

Pages translate them with flask-babel (app.web.i18n); exports made by services take a translator
from the web layer. A code missing here is shown as "—" by :func:`word`, never as the code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from app.services.i18n import N_

ROLES = {
    "applicant": N_("申请人"),
    "clerk": N_("窗口受理"),
    "window": N_("综合窗口"),
    "reviewer": N_("审查"),
    "decider": N_("决定"),
    "head": N_("部门负责人"),
    "supervisor": N_("电子监察"),
    "designer": N_("流程设计"),
    "admin": N_("系统管理员"),
}
STATUSES = {
    "received": N_("已收件"),
    "accepting": N_("受理中"),
    "correcting": N_("补正中"),
    "in_progress": N_("办理中"),
    "special_procedure": N_("特殊程序"),
    "decided": N_("已决定，待送达"),
    "completed": N_("已办结"),
    "refused": N_("不予受理"),
    "withdrawn": N_("已撤回"),
}
TASK_STATES = {
    "ready": N_("待签收"),
    "claimed": N_("已签收"),
    "completed": N_("已完成"),
    "cancelled": N_("已取消"),
}
LIGHTS = {"red": N_("红灯"), "yellow": N_("黄灯"), "green": N_("绿灯")}
CARD_COLOURS = {"red": N_("红牌"), "yellow": N_("黄牌")}
CARD_RULES = {
    "red_alert_unresolved": N_("红灯预警超过 3 个工作日未解除"),
    "order_escalated": N_("督办逾期未回复，升级至上级部门"),
}
ALERT_STATES = {"open": N_("待确认"), "acknowledged": N_("已确认"), "resolved": N_("已解除")}
ORDER_STATES = {"open": N_("待回复"), "replied": N_("已回复")}
# what an alert is about (alert.subject_kind): the case and step clocks (app.services.alerts), the
# correction notice's clock (Art. 32), and the results' clocks (app.services.result_alerts)
SUBJECT_KINDS = {
    "case": N_("办件"),
    "task": N_("环节"),
    "correction": N_("补正告知"),
    "rectification": N_("差评整改"),
    "publication": N_("许可决定公示"),
    "pub_withdraw": N_("撤回公示"),
}
DEADLINE_KINDS = {
    "acceptance": N_("受理时限"),
    "promised": N_("承诺办结时限"),
    "statutory": N_("法定办结时限"),
    "delivery": N_("送达时限"),
    "special_procedure": N_("特殊程序时限"),
}
LEVELS = {"province": N_("省级"), "city": N_("市级"), "county": N_("县区级"), "centre": N_("政务服务中心")}
ITEM_KINDS = {"promised": N_("承诺件"), "immediate": N_("即办件")}
YES_NO = {True: N_("是"), False: N_("否")}


def word(table: Mapping[Any, str], code: Any, tr: Callable[[str], str] = lambda s: s) -> str:
    """The display name of ``code`` in ``table``, translated by ``tr``; "—" for an unknown code."""
    text = table.get(code)
    return tr(text) if text else "—"
