"""The one-time correction notice (一次性告知, 行政许可法 第三十二条 第一款 第（四）项).

The office lists every missing or deficient material at once. A later round may only concern what the
applicant supplemented in the round before (a supplemented material can itself be deficient);
anything else should have been in the first notice and is refused. A supplement answers the notice
that is open: a material the notice does not list is refused.
"""

from __future__ import annotations

from sqlalchemy import select

from app.models import Material, Session
from app.services.errors import ValidationFailed
from app.services.events import EventBus, EventContext
from app.services.i18n import t
from engine.events import CorrectionRequested, Supplemented


def _material_name(definition: dict, code: str) -> str:
    for m in definition.get("materials") or []:
        if isinstance(m, dict) and m.get("code") == code:
            return str((m.get("name") or {}).get("zh") or code)
    return code


def on_correction_requested(event: CorrectionRequested, ctx: EventContext) -> None:
    rounds = (ctx.case.clock_inputs or {}).get("correction") or []
    if not rounds:
        return  # the first notice lists whatever it needs to
    last = rounds[-1]
    uploaded = Session.scalars(
        select(Material.code).where(Material.case_id == ctx.case.id, Material.round == len(rounds))
    ).all()
    allowed = set(last.get("supplemented") or []) | set(uploaded)
    outside = [code for code, _reason in event.materials if code not in allowed]
    if outside:
        definition = ctx.case.item.definition or {}
        names = "、".join(_material_name(definition, code) for code in outside)
        raise ValidationFailed(
            t(
                "一次性告知：第二次及以后的补正只能针对申请人上次补正提交的材料，以下材料应在首次补正通知中一并告知：%(names)s",
                names=names,
            ),
            [{"field": "deficient_materials", "message": t("不能再要求补正：%(names)s", names=names)}],
            code="not_one_time_notice",
        )


def on_supplemented(event: Supplemented, ctx: EventContext) -> None:
    """A supplement answers the open notice: it may only bring materials that notice lists."""
    rounds = (ctx.case.clock_inputs or {}).get("correction") or []
    open_rounds = [r for r in rounds if not r.get("end")]
    if not open_rounds:
        return
    listed = set(open_rounds[-1].get("materials") or [])
    outside = [code for code in event.materials if code not in listed]
    if outside:
        definition = ctx.case.item.definition or {}
        names = "、".join(_material_name(definition, code) for code in outside)
        raise ValidationFailed(
            t("补正通知未列出以下材料，不能作为补正提交：%(names)s", names=names),
            [{"field": "materials", "message": f"补正通知未列出：{names}"}],
            code="not_in_correction_notice",
        )


def subscribe(bus: EventBus) -> None:
    bus.subscribe(CorrectionRequested, on_correction_requested)
    bus.subscribe(Supplemented, on_supplemented)
