"""The draft workbench's JSON endpoints (session + CSRF header, like every page's unsafe request):
content, save, validate, deploy, the form preview and validation of files opened from disk."""

from __future__ import annotations

from typing import Any

from flask import jsonify, render_template, request, url_for
from flask_babel import gettext

from app.services.designer import drafts
from app.services.designer.access import DESIGN_ROLES, require_designer
from app.services.designer.bundle import bundle_from_texts, read_bundle
from app.services.designer.formcheck import check_form
from app.services.designer.validation import validate
from app.services.errors import DomainError, ValidationFailed
from app.web.auth import login_required
from app.web.designer import bp
from app.web.formrender import build_fields, raw_from_data
from app.web.i18n import department_label, pick, role_label
from engine.definitions import KNOWN_ROLES
from engine.lint import SPECIAL_PROCEDURES

MEANINGS = (
    "accepted",
    "correction_requested",
    "refused",
    "review_done",
    "approved",
    "denied",
    "extension_requested",
    "extension_approved",
    "extension_refused",
    "delivered",
    "none",
)


def meaning_label(code: str) -> str:
    return {
        "accepted": gettext("受理"),
        "correction_requested": gettext("一次性告知补正"),
        "refused": gettext("不予受理"),
        "review_done": gettext("审查完成"),
        "approved": gettext("准予许可"),
        "denied": gettext("不予许可"),
        "extension_requested": gettext("申请延期"),
        "extension_approved": gettext("批准延期"),
        "extension_refused": gettext("不批准延期"),
        "delivered": gettext("送达"),
        "none": gettext("无含义"),
    }.get(code, code)


def procedure_label(code: str) -> str:
    return {
        "expert_review": gettext("专家评审"),
        "site_inspection": gettext("现场勘察"),
        "testing": gettext("检验检测"),
        "hearing": gettext("听证"),
        "quarantine": gettext("检疫"),
        "appraisal": gettext("鉴定"),
    }.get(code, code)


def stage_label(stage: str) -> str:
    return {
        "xml": gettext("XML 格式"),
        "xsd": gettext("BPMN/DMN 规范（XSD）"),
        "spiff": gettext("流程引擎"),
        "lint": gettext("平台规则"),
        "dmn": gettext("决策表"),
        "camunda": gettext("Camunda 属性"),
        "form": gettext("表单"),
        "item": gettext("事项信息"),
        "legal": gettext("法定时限"),
        "upload": gettext("上传"),
    }.get(stage, stage)


def _report_json(report) -> dict[str, Any]:
    body = report.as_dict()
    for key in ("errors", "warnings"):
        for f in body[key]:
            f["stage_label"] = stage_label(f["stage"])
    return body


def _config() -> dict[str, Any]:
    from app.services import org

    return {
        "roles": [
            {"code": r, "label": role_label(r)}
            for r in sorted(KNOWN_ROLES)
            if r not in ("applicant", "designer", "admin", "supervisor")
        ],
        "meanings": [{"code": m, "label": meaning_label(m)} for m in MEANINGS],
        "procedures": [{"code": p, "label": procedure_label(p)} for p in sorted(SPECIAL_PROCEDURES)],
        "departments": [{"code": d.code, "label": department_label(d.code)} for d in org.departments()],
        "labels": _labels(),
    }


def _labels() -> dict[str, str]:
    """Words of the workbench's scripts, in the user's language."""
    return {
        "errors": gettext("错误"),
        "warnings": gettext("警告"),
        "error": gettext("错误"),
        "warning": gettext("警告"),
        "valid": gettext("验证通过"),
        "invalid": gettext("验证未通过，请按列表修改"),
        "line": gettext("第几行"),
        "saved": gettext("草稿已保存"),
        "validating": gettext("正在验证……"),
        "deploying": gettext("正在部署……"),
        "deployed": gettext("已部署新版本"),
        "unchanged": gettext("内容未变，沿用版本"),
        "to_item": gettext("查看事项版本"),
        "bad_id": gettext("ID 须为小写字母开头的 snake_case"),
        "id": gettext("ID"),
        "name": gettext("名称"),
        "role": gettext("办理角色（泳道）"),
        "no_lane": gettext("不在任何泳道中：请拖入泳道"),
        "lane_role": gettext("泳道角色"),
        "lane_help": gettext("泳道名称就是办理该环节的角色。"),
        "form": gettext("表单"),
        "form_ok": gettext("已有"),
        "form_missing": gettext("缺少"),
        "create_form": gettext("新建表单"),
        "time_limit_wd": gettext("环节时限（工作日）"),
        "yellow_remaining_wd": gettext("剩余多少工作日亮黄灯"),
        "yellow_consumed_pct": gettext("用时达到多少%亮黄灯"),
        "event": gettext("完成时的含义"),
        "outcome_field": gettext("结果字段"),
        "outcome_help": gettext("表单中表示办理结果的字段；每个取值都要指明含义。"),
        "outcome_value": gettext("取值"),
        "special_procedure": gettext("特殊程序（行政许可法第四十五条）"),
        "special_help": gettext("特殊程序所需时间不计入办理时限，但有自己的时限。"),
        "procedure_limit": gettext("程序时限（工作日）"),
        "notice_field": gettext("书面告知时长的字段"),
        "condition": gettext("条件（Python 表达式）"),
        "condition_help": gettext('例如 decision == "approve"；不能导入模块或使用下划线开头的名称。'),
        "remove": gettext("删除"),
        "add": gettext("添加"),
        "item_basic": gettext("基本信息"),
        "code": gettext("事项编码"),
        "slug": gettext("标识"),
        "process_id": gettext("流程 ID"),
        "name_zh": gettext("名称（中文）"),
        "name_en": gettext("名称（英文）"),
        "department": gettext("部门"),
        "kind": gettext("办件类型"),
        "promised": gettext("承诺件"),
        "immediate": gettext("即办件"),
        "legal_basis": gettext("法律依据（每行一条）"),
        "limits": gettext("时限（工作日）"),
        "statutory_wd": gettext("法定时限"),
        "statutory_basis": gettext("法定时限依据"),
        "promised_wd": gettext("承诺时限"),
        "promised_basis": gettext("承诺时限依据"),
        "acceptance_wd": gettext("受理时限"),
        "delivery_wd": gettext("送达时限"),
        "extension_max_wd": gettext("最长延期"),
        "applicant_correction_wd": gettext("申请人补正期限（空为不限）"),
        "guide": gettext("办事指南"),
        "fees_zh": gettext("收费（中文）"),
        "fees_en": gettext("收费（英文）"),
        "result_type": gettext("结果类型"),
        "result_zh": gettext("结果名称（中文）"),
        "result_en": gettext("结果名称（英文）"),
        "materials": gettext("申请材料"),
        "material_code": gettext("编码"),
        "required": gettext("必交"),
        "formats": gettext("格式（逗号分隔）"),
        "special_procedures": gettext("特殊程序"),
        "procedure": gettext("程序"),
        "limit_wd": gettext("时限"),
        "basis": gettext("依据"),
    }


def _content(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValidationFailed(
            gettext("请求体必须是 JSON 对象"), [{"field": "(body)", "message": "not an object"}]
        )
    return body


@bp.get("/drafts/<id32:draft_id>")
@login_required(*DESIGN_ROLES)
def workbench(actor, draft_id: int):
    draft = drafts.get_draft(actor, draft_id)
    return render_template("designer/workbench.html", draft=draft)


@bp.get("/drafts/<id32:draft_id>/content.json")
@login_required(*DESIGN_ROLES)
def draft_content(actor, draft_id: int):
    draft = drafts.get_draft(actor, draft_id)
    return jsonify(
        {
            "id": draft.id,
            "files": draft.files,
            "forms": draft.forms,
            "item": draft.item,
            "lock_version": draft.lock_version,
            "main": f"{draft.slug}.bpmn" if f"{draft.slug}.bpmn" in draft.files else sorted(draft.files)[0],
            "config": _config(),
            "urls": {
                "save": url_for("designer.draft_save", draft_id=draft.id),
                "validate": url_for("designer.draft_validate", draft_id=draft.id),
                "deploy": url_for("designer.draft_deploy", draft_id=draft.id),
                "preview": url_for("designer.preview_form"),
            },
        }
    )


@bp.post("/drafts/<id32:draft_id>/save")
@login_required(*DESIGN_ROLES)
def draft_save(actor, draft_id: int):
    body = _content(request.get_json(silent=True))
    draft = drafts.save_draft(actor, draft_id, body, body.get("lock_version"))
    return jsonify({"saved": True, "lock_version": draft.lock_version})


@bp.post("/drafts/<id32:draft_id>/validate")
@login_required(*DESIGN_ROLES)
def draft_validate(actor, draft_id: int):
    drafts.get_draft(actor, draft_id)  # authorises; the posted (unsaved) content is what is checked
    body = _content(request.get_json(silent=True))
    files, forms, item = drafts.shape_content(body)
    return jsonify(_report_json(validate(bundle_from_texts(files, forms, item), require_item=True)))


@bp.post("/drafts/<id32:draft_id>/deploy")
@login_required(*DESIGN_ROLES)
def draft_deploy(actor, draft_id: int):
    body = _content(request.get_json(silent=True))
    drafts.save_draft(actor, draft_id, body, body.get("lock_version"))
    try:
        result = drafts.deploy_draft(actor, draft_id, note=(body.get("note") or None))
    except ValidationFailed as exc:
        if isinstance(exc.details, dict) and "errors" in exc.details:
            for key in ("errors", "warnings"):
                for f in exc.details[key]:
                    f["stage_label"] = stage_label(f.get("stage", ""))
        raise
    draft = drafts.get_draft(actor, draft_id)
    return jsonify(
        {
            "version": result.version.version,
            "created": result.created,
            "item_code": result.item.code,
            "lock_version": draft.lock_version,
            "url": url_for("designer.item", code=result.item.code),
        }
    ), 201 if result.created else 200


@bp.post("/preview-form")
@login_required(*DESIGN_ROLES)
def preview_form(actor):
    """The form as caseworkers and applicants will see it (the task pages' renderer), with its findings."""
    require_designer(actor)
    body = _content(request.get_json(silent=True))
    form, name = body.get("form"), str(body.get("name") or "form.json")
    findings = [f.as_dict() for f in check_form(name, form)]
    for f in findings:
        f["stage_label"] = stage_label(f["stage"])
    html = ""
    if not any(
        f for f in findings if f["element_id"] in (None, "schema") or f["message"].startswith("invalid")
    ):
        try:
            fields = build_fields(form, raw_from_data(form, {}), {}, pick)
            html = render_template("designer/_preview.html", fields=fields, form=form)
        except (TypeError, AttributeError, KeyError, ValueError) as exc:
            findings.append(
                {
                    "element_id": None,
                    "message": f"{gettext('无法预览')}: {exc}",
                    "line": None,
                    "file": name,
                    "stage": "form",
                    "stage_label": stage_label("form"),
                }
            )
    return jsonify({"html": html, "findings": findings})


@bp.post("/validate-files")
@login_required(*DESIGN_ROLES)
def validate_files(actor):
    """Validate files chosen on the open page (multipart), like POST /api/v1/processes/validate."""
    require_designer(actor)
    uploads = {}
    for key in request.files:
        for part in request.files.getlist(key):
            uploads[part.filename or key] = part.read()
    if not uploads:
        raise ValidationFailed(gettext("请选择文件"), [{"field": "(body)", "message": "no file parts"}])
    return jsonify(_report_json(validate(read_bundle(uploads))))


@bp.errorhandler(DomainError)
def _json_error(exc: DomainError):
    if request.path.endswith((".json", "/save", "/validate", "/deploy", "/preview-form", "/validate-files")):
        return jsonify(
            {"error": {"code": exc.code, "message": exc.message, "details": exc.details}}
        ), exc.status
    from app.web import render_domain_error

    return render_domain_error(exc)
