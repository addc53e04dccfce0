"""一件事: the master's Art. 45 pause — the union of its components' special-procedure periods.

《行政许可法》第四十五条: the time a special procedure needs "不计算在本节规定的期限内", and the 45 days of
Art. 42 para. 2 are in that section. So while ANY component runs an Art. 45 procedure, the master's promised
and statutory clocks stand still; two components' overlapping periods count once, and the master resumes
when the last one ends.

No second clock: each component's procedure entries (``clock_inputs["special"]``, kept by the clocks
capability on the component) are mirrored onto the master, marked with the component they come from. The
master's ordinary clock model then pauses its decision clocks for them — bounded by what the applicant
was told in writing, like any procedure — and ``engine.clocks.merge_pauses`` counts overlapping periods
once. The component's own clocks pause as they always do.
"""

from __future__ import annotations

from typing import Any

from app.models import Case
from app.services import audit
from app.services.clocks.columns import refresh_case
from app.services.events import EventContext
from app.services.joint.spec import components_of, master_of
from engine.events import CaseEvent

COMPONENT = "component"  # the key that marks a mirrored entry on the master


def mirrored_specials(kids: list[Case]) -> list[dict[str, Any]]:
    """Every component's special-procedure entries, as the master keeps them."""
    return [
        {**sp, COMPONENT: kid.item.slug, "case_no": kid.case_no}
        for kid in kids
        for sp in (kid.clock_inputs or {}).get("special") or []
    ]


def sync_master_specials(master: Case, ctx: EventContext) -> bool:
    """Mirror the components' procedures onto the master and refresh its clock columns; True if changed."""
    ci = dict(master.clock_inputs or {})
    current = list(ci.get("special") or [])
    own = [sp for sp in current if not sp.get(COMPONENT)]
    wanted = own + mirrored_specials(components_of(master))
    if wanted == current:
        return False
    ci["special"] = wanted
    master.clock_inputs = ci
    refresh_case(master, ctx.today)
    open_before = sorted(sp["case_no"] for sp in current if sp.get(COMPONENT) and not sp.get("stopped_on"))
    open_after = sorted(sp["case_no"] for sp in wanted if sp.get(COMPONENT) and not sp.get("stopped_on"))
    audit.record(
        ctx.actor,
        "joint.special_procedure",
        master.id,
        target=master.case_no,
        before={"components_in_special_procedure": open_before},
        after={"components_in_special_procedure": open_after, "clock_paused": master.clock_paused},
    )
    return True


def on_component_special(_event: CaseEvent, ctx: EventContext) -> None:
    """A component's procedure started, was re-notified or ended, or the component was withdrawn."""
    master = master_of(ctx.case)
    if master is not None:
        sync_master_specials(master, ctx)
