"""The designer's API: validate uploaded files, deploy versions, list/diff/export them, migrate cases.

Uploads are multipart: any number of file parts (BPMN, DMN, forms/*.json, item.yaml); the part's file
name decides what it is. Validation answers 200 with ``errors`` and ``warnings`` whatever the files
contain; deployment answers 201 with the version (200 when the same content is already deployed) or
422 with the same findings.
"""

from __future__ import annotations

from flask import Response, jsonify, request
from marshmallow import Schema, fields, validate

from app.api import bp
from app.api.common import current_actor, load_body
from app.api.schemas import Strict
from app.services.designer import migrations, versions
from app.services.designer.access import require_designer
from app.services.designer.bundle import read_bundle
from app.services.designer.validation import validate as validate_bundle
from app.services.errors import ValidationFailed
from app.services.i18n import t


class FindingOut(Schema):
    element_id = fields.String(allow_none=True)
    message = fields.String()
    line = fields.Integer(allow_none=True)
    file = fields.String(allow_none=True)
    stage = fields.String()


class ValidationOut(Schema):
    valid = fields.Boolean()
    errors = fields.List(fields.Nested(FindingOut))
    warnings = fields.List(fields.Nested(FindingOut))


class VersionOut(Schema):
    version = fields.String()
    item_code = fields.String()
    created = fields.Boolean()
    current = fields.Boolean()
    warnings = fields.List(fields.Nested(FindingOut))


class VersionListOut(Schema):
    versions = fields.List(fields.Dict())


class MigrationIn(Strict):
    from_version = fields.String(required=True, validate=validate.Length(min=1, max=16))
    to_version = fields.String(required=True, validate=validate.Length(min=1, max=16))
    dry_run = fields.Boolean(load_default=True)


class MigrationCaseOut(Schema):
    case_no = fields.String()
    status = fields.String()
    movable = fields.Boolean()
    moved = fields.Boolean()
    current = fields.List(fields.String())
    current_names = fields.List(fields.String())
    reasons = fields.List(fields.String())


class MigrationOut(Schema):
    id = fields.Integer()
    from_version = fields.String()
    to_version = fields.String()
    dry_run = fields.Boolean()
    at = fields.String()
    actor = fields.String()
    moved = fields.Integer()
    refused = fields.Integer()
    movable = fields.Integer()
    cases = fields.List(fields.Nested(MigrationCaseOut))


def _uploads() -> dict[str, bytes]:
    uploads: dict[str, bytes] = {}
    for key in request.files:
        for part in request.files.getlist(key):
            name = part.filename or key
            if name in uploads:
                raise ValidationFailed(
                    t("文件 %(name)s 上传了两次", name=name),
                    [{"field": name, "message": "duplicate file"}],
                )
            uploads[name] = part.read()
    if not uploads:
        raise ValidationFailed(
            "请以 multipart 上传 BPMN、DMN、表单和 item.yaml / send the files as multipart/form-data",
            [{"field": "(body)", "message": "no file parts"}],
            code="no_files",
        )
    return uploads


@bp.post("/processes/validate")
def processes_validate():
    """Validate BPMN/DMN files, forms and item.yaml (multipart) without deploying anything.
    ---
    post:
      tags: [designer]
      requestBody: {content: {multipart/form-data: {schema: {type: object, additionalProperties: {type: string, format: binary}}}}}
      responses:
        200: {content: {application/json: {schema: ValidationOut}}}
        401: {content: {application/json: {schema: ErrorOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    require_designer(actor)
    report = validate_bundle(read_bundle(_uploads()))
    return jsonify(ValidationOut().dump(report.as_dict()))


@bp.post("/items/<code>/versions")
def versions_create(code: str):
    """Deploy a new version of a service item from uploaded files (multipart, with item.yaml).
    ---
    post:
      tags: [designer]
      parameters: [{in: path, name: code, required: true, schema: {type: string}}]
      requestBody: {content: {multipart/form-data: {schema: {type: object, additionalProperties: {type: string, format: binary}}}}}
      responses:
        200: {content: {application/json: {schema: VersionOut}}}
        201: {content: {application/json: {schema: VersionOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    result = versions.deploy_version(
        actor, code, read_bundle(_uploads()), note=request.form.get("note") or None
    )
    body = {
        "version": result.version.version,
        "item_code": result.item.code,
        "created": result.created,
        "current": result.item.current_version == result.version.version,
        "warnings": [f.as_dict() for f in result.report.warnings],
    }
    return jsonify(VersionOut().dump(body)), 201 if result.created else 200


@bp.get("/items/<code>/versions")
def versions_index(code: str):
    """The deployed versions of an item, newest first, with their open cases.
    ---
    get:
      tags: [designer]
      parameters: [{in: path, name: code, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: VersionListOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
    """
    rows = versions.list_versions(current_actor(), code)
    for row in rows:
        row["deployed_at"] = row["deployed_at"].isoformat() if row["deployed_at"] else None
    return jsonify({"versions": rows})


@bp.get("/items/<code>/versions/<version>/export")
def versions_export(code: str, version: str):
    """A version as a zip of processes/<slug>/ and forms/<slug>/ (the catalogue's folder layout).
    ---
    get:
      tags: [designer]
      parameters:
        - {in: path, name: code, required: true, schema: {type: string}}
        - {in: path, name: version, required: true, schema: {type: string}}
      responses:
        200: {content: {application/zip: {schema: {type: string, format: binary}}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
    """
    name, data = versions.export_zip(current_actor(), code, version)
    return Response(
        data, mimetype="application/zip", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.get("/items/<code>/diff")
def versions_diff(code: str):
    """What changed between two versions (?from=&to=): elements, forms, limits.
    ---
    get:
      tags: [designer]
      parameters:
        - {in: path, name: code, required: true, schema: {type: string}}
        - {in: query, name: from, required: true, schema: {type: string}}
        - {in: query, name: to, required: true, schema: {type: string}}
      responses:
        200: {content: {application/json: {schema: {type: object}}}}
        404: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    old, new = request.args.get("from", ""), request.args.get("to", "")
    return jsonify(versions.diff(actor, code, old, new).as_dict())


@bp.post("/items/<code>/migrations")
def migrations_create(code: str):
    """Dry run (default) or migrate the open cases of one version of an item onto another.
    ---
    post:
      tags: [designer]
      parameters: [{in: path, name: code, required: true, schema: {type: string}}]
      requestBody: {content: {application/json: {schema: MigrationIn}}}
      responses:
        200: {content: {application/json: {schema: MigrationOut}}}
        201: {content: {application/json: {schema: MigrationOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    body = load_body(MigrationIn())
    run = migrations.plan_migration(
        actor, code, body["from_version"], body["to_version"], dry_run=body["dry_run"]
    )
    return jsonify(MigrationOut().dump(migrations.migration_dict(run))), 200 if run.dry_run else 201
