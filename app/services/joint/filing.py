"""一件事: filing a joint application at the comprehensive window — the master and its components, or nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.models import Case, Material, Session, utcnow
from app.models.vocab import CaseStatus
from app.services import intake, receipts
from app.services.advance import (
    engine_error,
    start_case,
)
from app.services.applications import Upload, file_application
from app.services.auth import Actor
from app.services.casenumbers import make_case_no
from app.services.cases import validate_applicant
from app.services.catalogue import definition_for, forms_for, get_item
from app.services.errors import Conflict, Forbidden, ValidationFailed
from app.services.forms import validate_form
from app.services.i18n import t
from app.services.joint.spec import (
    APPLICANT_FIELDS,
    joint_spec,
    material_map,
)
from engine.errors import EngineError
from engine.runtime import CaseRun


def _component_data(data: Mapping[str, Any], slug: str, present: set[str], per: dict[str, dict[str, str]]):
    own = dict((data.get("components") or {}).get(slug) or {})
    base = {k: data[k] for k in APPLICANT_FIELDS if k in data}
    codes = [m.get(slug) for m in per.values() if slug in m]
    submitted = [per[j][slug] for j in per if slug in per[j] and j in present]
    return {**base, **own, "submitted_materials": [c for c in codes if c in submitted]}


def file_joint_application(
    actor: Actor,
    item_code: str,
    data: Any,
    uploads: Sequence[Upload],
    *,
    id_check: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> Case:
    """File a joint application — at a comprehensive window, or online by the applicant (the master is
    theirs; its components are not opened to them on their own): the master and its components, or nothing."""
    item = get_item(item_code)
    spec = joint_spec(item)
    if spec is None:
        raise Conflict(t("事项 %(code)s 不是“一件事”联合事项", code=item.code), code="not_joint_item")
    online = actor.is_applicant  # 网上申请: the applicant files the same joint application online
    if not (online or intake.is_window(actor)):
        raise Forbidden(
            t("“一件事”由申请人在网上办事大厅申请，或在政务服务中心综合窗口统一收件"), code="window_only"
        )
    if not isinstance(data, dict):
        raise ValidationFailed("data must be an object", [{"field": "data", "message": "not an object"}])
    at = now or utcnow()
    per = material_map(item.definition or {})
    present = {u.code for u in uploads}
    components = [get_item(slug) for slug in spec.get("components") or []]
    # every component's own application form, checked before anything is written
    problems: list[dict[str, Any]] = []
    prepared: list[tuple[Any, dict[str, Any]]] = []
    given = data.get("components")
    for comp in components:
        if comp.current_version is None:
            raise Conflict(t("事项 %(code)s 尚未部署流程", code=comp.code), code="item_not_deployed")
        if not isinstance(given, dict) or not isinstance(given.get(comp.slug), dict):
            problems.append({"field": f"components.{comp.slug}", "message": t("必填")})
            continue
        form = forms_for(comp.current_version).get("application.json") or {}
        try:
            prepared.append((comp, validate_form(form, _component_data(data, comp.slug, present, per))))
        except ValidationFailed as exc:
            for d in exc.details or []:
                problems.append({**d, "field": f"components.{comp.slug}.{d.get('field')}"})
    if problems:
        raise ValidationFailed(t("各部门事项的申请内容有误"), problems)

    def open_components(master: Case) -> None:
        who = validate_applicant(
            {
                "kind": master.applicant_kind,
                "name": master.applicant_name,
                "id_no": master.applicant_id_no,
                "phone": master.applicant_phone,
            }
        )
        Session.flush()
        shared = list(Session.scalars(select(Material).where(Material.case_id == master.id)))
        for comp, comp_data in prepared:
            try:
                run = CaseRun.start(
                    definition_for(comp.current_version),
                    {"application": comp_data, "applicant": who, "item_code": comp.code},
                    now=at,
                )
            except EngineError as exc:
                raise engine_error(exc) from exc
            child = Case(
                item_id=comp.id,
                process_version=comp.current_version,
                department_code=comp.department_code,
                parent_case_id=master.id,
                applicant_user_id=None,  # the applicant deals with the master's one case number
                applicant_kind=master.applicant_kind,
                applicant_name=master.applicant_name,
                applicant_id_no=master.applicant_id_no,
                applicant_phone=master.applicant_phone,
                status=CaseStatus.ACCEPTING,
                state="",
                state_format=master.state_format,
                submitted_at=master.submitted_at,
                query_code=receipts.new_query_code(),
                data={"joint_master": master.case_no},
                tasks=[],
            )
            Session.add(child)
            Session.flush()
            child.case_no = make_case_no(child.id, master.submitted_at)
            for m in shared:
                code = per.get(m.code, {}).get(comp.slug)
                if code is not None:
                    # the same stored bytes (content hash), shown to each component that needs them
                    Session.add(
                        Material(
                            case_id=child.id,
                            code=code,
                            filename=m.filename,
                            content_type=m.content_type,
                            size=m.size,
                            sha256=m.sha256,
                            round=0,
                            uploaded_by_id=m.uploaded_by_id,
                        )
                    )
            _advanced, context = start_case(
                actor, child, run, channel="online" if online else "window", now=at
            )
            _pending.extend(context.after_commit)

    _pending: list[Any] = []
    master = file_application(
        actor, item.code, data, uploads, id_check=id_check, now=now, link=open_components
    )
    for work in _pending:
        work()
    return master
