"""好差评 (国办发〔2019〕51号): the applicant rates a case once it has ended; a bad rating becomes a
rectification task (整改) of the responsible department on the working-day clock; the department may
appeal (申诉) and a supervisor decides.

- Rating: 5 非常满意 … 1 非常不满意, optional comment and tags, once per case, by its applicant only.
- 不满意 (2) or 非常不满意 (1) opens a rectification with ``rating.rectification_wd`` of item.yaml
  (default 5 WD); yellow/red and alerts like a step (app.services.result_alerts, the sweep).
- The department verifies and either rectifies or explains; the reply reaches the applicant (notice
  and SMS). On time means answered on or before the deadline.
- Appeal: an officer of the case's department, for a bad rating; a supervisor upholds it (the rating no
  longer counts, an open rectification is closed) or rejects it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.models import Case, CaseNotice, Rating, Rectification, Session, utcnow
from app.models.vocab import CLOSED_STATUSES, Role
from app.services import audit, channels, result_alerts
from app.services.auth import Actor
from app.services.cases import get_case, load_case
from app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.services.events import EventBus, EventContext
from app.services.i18n import t
from app.services.workdays import get_calendar
from engine.clocks import Thresholds, light_of
from engine.events import Completed, Withdrawn
from engine.workcal import local_date

SCORES = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
SCORES_EN = {
    5: "Very satisfied",
    4: "Satisfied",
    3: "Fairly satisfied",
    2: "Dissatisfied",
    1: "Very dissatisfied",
}
BAD = 2  # this score and below open a rectification
TAGS = (
    "办事效率高",
    "服务态度好",
    "一次办好",
    "材料要求清楚",
    "等待时间长",
    "多次跑动",
    "服务态度差",
    "材料要求不清楚",
    "进度不透明",
)
DEFAULT_RECTIFICATION_WD = 5
THRESHOLDS = Thresholds(yellow_remaining_wd=1, yellow_consumed_pct=80)
OUTCOMES = {"rectified": "核实属实，已整改", "explained": "经核实，作出说明"}
TEXT_MAX = 2000
OFFICERS = (Role.CLERK, Role.DECIDER, Role.HEAD, Role.REVIEWER)


def _text(value: Any, field: str, *, required: bool, limit: int = TEXT_MAX) -> str | None:
    if value is None or value == "":
        if required:
            raise ValidationFailed(
                t("%(field)s 必填", field=field), [{"field": field, "message": "required"}]
            )
        return None
    if not isinstance(value, str) or len(value.strip()) == 0 or len(value) > limit:
        raise ValidationFailed(
            t("%(field)s 须为 1–%(limit)s 字的文字", field=field, limit=limit),
            [{"field": field, "message": f"1–{limit} characters"}],
        )
    return value.strip()


def rectification_wd(case: Case) -> int:
    value = ((case.item.definition or {}).get("rating") or {}).get("rectification_wd")
    return (
        value
        if isinstance(value, int) and not isinstance(value, bool) and value > 0
        else DEFAULT_RECTIFICATION_WD
    )


# -- rating ---------------------------------------------------------------------------------------------


def _own_case(actor: Actor, case_no: str) -> Case:
    case = load_case(case_no)
    if not actor.is_applicant or case.applicant_user_id != actor.id:
        raise NotFound(t("办件 %(case_no)s 不存在", case_no=case_no), code="case_not_found")
    return case


def check_rating(score: Any, comment: Any, tags: Any) -> tuple[int, str | None, list[str]]:
    problems = []
    if isinstance(score, bool) or not isinstance(score, int) or score not in SCORES:
        problems.append({"field": "score", "message": "1–5 (5 非常满意 … 1 非常不满意)"})
    try:
        text = _text(comment, "comment", required=False, limit=500)
    except ValidationFailed as exc:
        problems += exc.details
        text = None
    tag_list = tags if tags is not None else []
    if not isinstance(tag_list, list) or len(tag_list) > len(TAGS) or any(t not in TAGS for t in tag_list):
        problems.append({"field": "tags", "message": "、".join(TAGS)})
    if problems:
        fields = ", ".join(p["field"] for p in problems)
        raise ValidationFailed(t("评价有误：%(fields)s", fields=fields), problems)
    return int(score), text, list(dict.fromkeys(tag_list))


def rate_case(
    actor: Actor, case_no: str, score: Any, comment: Any = None, tags: Any = None, now: datetime | None = None
) -> Rating:
    at = now or utcnow()
    case = _own_case(actor, case_no)
    value, text, tag_list = check_rating(score, comment, tags)
    if case.status not in CLOSED_STATUSES:
        raise Conflict(t("办件办结后才能评价"), code="case_not_ended")
    if Session.scalar(select(Rating.id).where(Rating.case_id == case.id)) is not None:
        raise Conflict(t("该办件已评价，每件只能评价一次"), code="already_rated")
    rating = Rating(
        case_id=case.id,
        user_id=actor.id,
        item_id=case.item_id,
        department_code=case.department_code,
        score=value,
        comment=text,
        tags=tag_list,
        created_at=at,
    )
    Session.add(rating)
    try:
        Session.flush()
    except IntegrityError as exc:  # a second rating of the same case at the same moment
        Session.rollback()
        raise Conflict(t("该办件已评价，每件只能评价一次"), code="already_rated") from exc
    if value <= BAD:
        today = local_date(at)
        limit = rectification_wd(case)
        res = get_calendar().add_workdays(today, limit)
        Session.add(
            Rectification(
                rating_id=rating.id,
                case_id=case.id,
                department_code=case.department_code,
                state="open",
                started_on=today,
                limit_wd=limit,
                deadline=res.date,
                deadline_confirmed=res.confirmed,
                light=light_of(today, res.date, 0, limit, THRESHOLDS),
                created_at=at,
            )
        )
    audit.record(
        actor,
        "rating.create",
        case.id,
        target=f"rating#{rating.id}",
        before=None,
        after={"score": value, "tags": tag_list},
    )
    Session.commit()
    return rating


def rating_of_case(actor: Actor, case_no: str) -> Rating | None:
    case = get_case(actor, case_no)
    return Session.scalar(select(Rating).where(Rating.case_id == case.id))


def rectification_of(rating: Rating) -> Rectification | None:
    return Session.scalar(select(Rectification).where(Rectification.rating_id == rating.id))


def on_case_ended(event: Completed | Withdrawn, ctx: EventContext) -> None:
    """Ratings open when a case ends: the applicant is invited (once, even if both events come)."""
    if isinstance(event, Completed) and any(isinstance(e, Withdrawn) for e in ctx.events):
        return
    if ctx.case.applicant_user_id is None and not ctx.case.applicant_phone:
        return
    Session.add(
        CaseNotice(
            case_id=ctx.case.id,
            event="rating_invited",
            title="请评价本次服务",
            body=f"您的“{ctx.case.item.name_zh}”已办结，欢迎对本次服务作出评价（好差评）。",
            params={},
            created_at=ctx.now,
        )
    )


def subscribe(bus: EventBus) -> None:
    bus.subscribe(Completed, on_case_ended)
    bus.subscribe(Withdrawn, on_case_ended)


# -- rectification ----------------------------------------------------------------------------------------


def _department_rectification(actor: Actor, rect_id: int) -> Rectification:
    rect = Session.get(Rectification, rect_id)
    visible = rect is not None and (actor.is_oversight or actor.holds_in(rect.department_code))
    if rect is None or not visible:
        raise NotFound(t("整改任务 %(rect_id)s 不存在", rect_id=rect_id), code="rectification_not_found")
    return rect


def get_rectification(actor: Actor, rect_id: int) -> Rectification:
    return _department_rectification(actor, rect_id)


def list_rectifications(actor: Actor, state: str | None = "open") -> list[Rectification]:
    if not (actor.is_staff or actor.is_oversight):
        raise Forbidden(t("无权查看整改任务"), code="rectifications_forbidden")
    if state not in (None, "open", "answered", "withdrawn"):
        raise ValidationFailed(
            "state: open | answered | withdrawn", [{"field": "state", "message": "open|answered|withdrawn"}]
        )
    stmt = select(Rectification)
    if not actor.is_oversight:
        stmt = stmt.where(Rectification.department_code.in_(actor.departments()))
    if state:
        stmt = stmt.where(Rectification.state == state)
    return list(Session.scalars(stmt.order_by(Rectification.deadline, Rectification.id).limit(500)))


def _tell_applicant(case: Case, event: str, title: str, body: str, now: datetime) -> None:
    Session.add(CaseNotice(case_id=case.id, event=event, title=title, body=body, params={}, created_at=now))
    if case.applicant_phone:
        channels.enqueue_sms(
            case.applicant_phone, body, "rating", user_id=case.applicant_user_id, case_id=case.id
        )


def reply_rectification(
    actor: Actor, rect_id: int, outcome: Any, finding: Any, reply: Any, now: datetime | None = None
) -> Rectification:
    at = now or utcnow()
    rect = _department_rectification(actor, rect_id)
    if not actor.holds_in(rect.department_code, *OFFICERS):
        raise Forbidden(
            t("只有责任部门的工作人员可以答复整改"),
            code="not_responsible",
        )
    problems = []
    if outcome not in OUTCOMES:
        problems.append({"field": "outcome", "message": "rectified | explained"})
    for field, value in (("finding", finding), ("reply", reply)):
        try:
            _text(value, field, required=True)
        except ValidationFailed as exc:
            problems += exc.details
    if problems:
        fields = ", ".join(p["field"] for p in problems)
        raise ValidationFailed(t("答复有误：%(fields)s", fields=fields), problems)
    if rect.state != "open":
        raise Conflict(t("该整改任务已答复或已撤销"), code="rectification_closed")
    today = local_date(at)
    rect.state, rect.outcome = "answered", str(outcome)
    rect.finding, rect.reply = str(finding).strip(), str(reply).strip()
    rect.replied_by_id, rect.replied_on, rect.replied_at = actor.id, today, at
    rect.light = None
    result_alerts.resolve(result_alerts.RECTIFICATION, rect.id, at)
    case = Session.get(Case, rect.case_id)
    assert case is not None
    _tell_applicant(
        case,
        "rating_reply",
        "您的评价已得到答复",
        f"关于您对“{case.item.name_zh}”（{case.case_no}）的评价，{OUTCOMES[str(outcome)]}：{rect.reply}",
        at,
    )
    audit.record(
        actor,
        "rectification.reply",
        rect.case_id,
        target=f"rectification#{rect.id}",
        before={"state": "open"},
        after={"state": "answered", "outcome": rect.outcome, "on_time": today <= rect.deadline},
    )
    Session.commit()
    return rect


def refresh_clocks(today: Any) -> int:
    """The daily sweep: deadlines (calendar changes) and lights of the open rectifications."""
    cal = get_calendar()
    changed = 0
    for rect in Session.scalars(select(Rectification).where(Rectification.state == "open")):
        res = cal.add_workdays(rect.started_on, rect.limit_wd)
        used = cal.count_workdays(rect.started_on, today) if today > rect.started_on else 0
        light = light_of(today, res.date, used, rect.limit_wd, THRESHOLDS)
        if (rect.deadline, rect.deadline_confirmed, rect.light) != (res.date, res.confirmed, light):
            rect.deadline, rect.deadline_confirmed, rect.light = res.date, res.confirmed, light
            changed += 1
    return changed


# -- appeal ---------------------------------------------------------------------------------------------------


def appeal_rating(actor: Actor, rating_id: int, reason: Any, now: datetime | None = None) -> Rating:
    at = now or utcnow()
    rating = Session.get(Rating, rating_id)
    if rating is None or not actor.holds_in(rating.department_code):
        # another department's rating: the same answer as a missing one
        raise NotFound(t("评价 %(rating_id)s 不存在", rating_id=rating_id), code="rating_not_found")
    if not actor.holds_in(rating.department_code, *OFFICERS):
        raise Forbidden(t("无权申诉"), code="appeal_forbidden")
    text = _text(reason, "reason", required=True)
    if rating.score > BAD:
        raise Conflict(t("只有差评可以申诉"), code="not_a_bad_rating")
    if rating.appeal_state != "none":
        raise Conflict(t("该评价已申诉"), code="already_appealed")
    rating.appeal_state, rating.appeal_reason, rating.appeal_by_id, rating.appeal_at = (
        "pending",
        text,
        actor.id,
        at,
    )
    audit.record(
        actor,
        "rating.appeal",
        rating.case_id,
        target=f"rating#{rating.id}",
        before={"appeal": "none"},
        after={"appeal": "pending"},
    )
    Session.commit()
    return rating


def decide_appeal(
    actor: Actor, rating_id: int, uphold: Any, opinion: Any, now: datetime | None = None
) -> Rating:
    at = now or utcnow()
    if not actor.has_role(Role.SUPERVISOR):
        raise Forbidden(t("申诉由电子监察人员决定"), code="not_supervisor")
    rating = Session.get(Rating, rating_id)
    if rating is None:
        raise NotFound(t("评价 %(rating_id)s 不存在", rating_id=rating_id), code="rating_not_found")
    if not isinstance(uphold, bool):
        raise ValidationFailed("uphold: true | false", [{"field": "uphold", "message": "true or false"}])
    text = _text(opinion, "opinion", required=True)
    if rating.appeal_state != "pending":
        raise Conflict(t("没有待决定的申诉"), code="no_pending_appeal")
    rating.appeal_state = "upheld" if uphold else "rejected"
    rating.appeal_opinion, rating.appeal_decided_by_id, rating.appeal_decided_at = text, actor.id, at
    rect = rectification_of(rating)
    if uphold and rect is not None and rect.state == "open":
        rect.state, rect.light = "withdrawn", None
        result_alerts.resolve(result_alerts.RECTIFICATION, rect.id, at)
    audit.record(
        actor,
        "rating.appeal_decided",
        rating.case_id,
        target=f"rating#{rating.id}",
        before={"appeal": "pending"},
        after={"appeal": rating.appeal_state},
    )
    Session.commit()
    return rating


def pending_appeals(actor: Actor) -> list[Rating]:
    if not actor.is_oversight:
        raise Forbidden(t("申诉由电子监察人员决定"), code="not_supervisor")
    return list(
        Session.scalars(select(Rating).where(Rating.appeal_state == "pending").order_by(Rating.appeal_at))
    )


def rating_view(rating: Rating) -> dict[str, Any]:
    rect = rectification_of(rating)
    return {
        "id": rating.id,
        "case_no": rating.case.case_no if rating.case else None,
        "score": rating.score,
        "level": SCORES[rating.score],
        "comment": rating.comment,
        "tags": list(rating.tags or []),
        "created_at": rating.created_at,
        "appeal_state": rating.appeal_state,
        "rectification": None
        if rect is None
        else {
            "id": rect.id,
            "state": rect.state,
            "deadline": rect.deadline,
            "light": rect.light,
            "outcome": rect.outcome,
            "reply": rect.reply,
            "replied_on": rect.replied_on,
        },
    }


def rectification_view(rect: Rectification) -> dict[str, Any]:
    rating = rect.rating
    case = Session.get(Case, rect.case_id)
    return {
        "id": rect.id,
        "case_no": case.case_no if case else None,
        "item_name": case.item.name_zh if case else None,
        "rating_id": rect.rating_id,
        "score": rating.score,
        "level": SCORES[rating.score],
        "comment": rating.comment,
        "tags": list(rating.tags or []),
        "appeal_state": rating.appeal_state,
        "department_code": rect.department_code,
        "state": rect.state,
        "started_on": rect.started_on,
        "limit_wd": rect.limit_wd,
        "deadline": rect.deadline,
        "light": rect.light,
        "outcome": rect.outcome,
        "finding": rect.finding,
        "reply": rect.reply,
        "replied_on": rect.replied_on,
    }
