"""流程设计 pages: items and versions, a version's diagram/forms/catalogue entry, diffs, migrations,
and the workbench (modeler, properties, forms, item fields) of a draft (see workbench.py)."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from app.services.designer import drafts, migrations, versions
from app.services.designer.access import DESIGN_ROLES, platform_wide
from app.services.errors import DomainError
from app.web.auth import login_required
from app.web.i18n import tr

bp = Blueprint("designer", __name__, url_prefix="/designer")


@bp.get("/")
@login_required(*DESIGN_ROLES)
def index(actor):
    return render_template(
        "designer/index.html",
        items=versions.visible_items(actor),
        drafts=drafts.list_drafts(actor),
        platform=platform_wide(actor),
        actor=actor,
    )


@bp.get("/items/<code>")
@login_required(*DESIGN_ROLES)
def item(actor, code: str):
    row = versions.item_for_design(actor, code)
    rows = versions.list_versions(actor, code)
    return render_template(
        "designer/item.html",
        item=row,
        versions=rows,
        runs=[migrations.migration_dict(r) for r in migrations.list_migrations(actor, code)],
    )


@bp.get("/items/<code>/versions/<version>")
@login_required(*DESIGN_ROLES)
def version(actor, code: str, version: str):
    item, row, item_def = versions.get_version(actor, code, version)
    main = f"{item.slug}.bpmn" if f"{item.slug}.bpmn" in row.files else sorted(row.files)[0]
    return render_template(
        "designer/version.html", item=item, row=row, item_def=item_def, main=main, files=sorted(row.files)
    )


@bp.get("/items/<code>/versions/<version>/files/<name>")
@login_required(*DESIGN_ROLES)
def version_file(actor, code: str, version: str, name: str):
    _, row, _ = versions.get_version(actor, code, version)
    if name not in row.files:
        return Response(gettext("文件不存在"), status=404)
    return Response(row.files[name], mimetype="application/xml")


@bp.get("/items/<code>/versions/<version>/export")
@login_required(*DESIGN_ROLES)
def export(actor, code: str, version: str):
    name, data = versions.export_zip(actor, code, version)
    return Response(
        data, mimetype="application/zip", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.get("/items/<code>/diff")
@login_required(*DESIGN_ROLES)
def diff(actor, code: str):
    item = versions.item_for_design(actor, code)
    old, new = request.args.get("from", ""), request.args.get("to", "")
    result = versions.diff(actor, code, old, new)
    return render_template("designer/diff.html", item=item, diff=result, old=old, new=new)


@bp.post("/items/<code>/migrations")
@login_required(*DESIGN_ROLES)
def migrate(actor, code: str):
    dry_run = request.form.get("dry_run") != "0"
    try:
        run = migrations.plan_migration(
            actor, code, request.form.get("from_version"), request.form.get("to_version"), dry_run=dry_run
        )
    except DomainError as exc:
        flash(tr(exc.message), "error")
        return redirect(url_for("designer.item", code=code), code=303)
    if dry_run:
        flash(gettext("试迁移完成：可迁移的办件见下表，尚未迁移任何办件。"), "info")
    else:
        flash(
            gettext(
                "迁移完成：已迁移 %(moved)d 件，拒绝 %(refused)d 件。", moved=run.moved, refused=run.refused
            ),
            "success",
        )
    return redirect(url_for("designer.item", code=code, run=run.id) + "#migrations", code=303)


@bp.post("/items/<code>/drafts")
@login_required(*DESIGN_ROLES)
def draft_from_version(actor, code: str):
    try:
        draft = drafts.create_from_version(actor, code, request.form.get("version") or None)
    except DomainError as exc:
        flash(tr(exc.message), "error")
        return redirect(url_for("designer.item", code=code), code=303)
    return redirect(url_for("designer.workbench", draft_id=draft.id), code=303)


@bp.post("/drafts")
@login_required(*DESIGN_ROLES)
def new_draft(actor):
    form = request.form
    try:
        if form.get("source"):
            draft = drafts.create_copy(
                actor,
                form["source"],
                form.get("slug", "").strip(),
                form.get("code", "").strip(),
                form.get("name_zh") or None,
                form.get("name_en") or None,
            )
        else:
            draft = drafts.create_from_template(
                actor,
                form.get("slug", "").strip(),
                form.get("code", "").strip(),
                form.get("name_zh", ""),
                form.get("name_en", ""),
                form.get("department") or None,
            )
    except DomainError as exc:
        details = exc.details if isinstance(exc.details, list) else []
        flash(exc.message + "".join(f" {d.get('field')}: {d.get('message')}" for d in details), "error")
        return redirect(url_for("designer.index"), code=303)
    return redirect(url_for("designer.workbench", draft_id=draft.id), code=303)


@bp.post("/drafts/<id32:draft_id>/delete")
@login_required(*DESIGN_ROLES)
def delete_draft(actor, draft_id: int):
    drafts.delete_draft(actor, draft_id)
    flash(gettext("草稿已删除。"), "info")
    return redirect(url_for("designer.index"), code=303)


@bp.get("/open")
@login_required(*DESIGN_ROLES)
def open_file(actor):
    """Open any BPMN file (another modeller's) in the viewer or the modeler, and validate it."""
    mode = "viewer" if request.args.get("mode") == "viewer" else "modeler"
    return render_template("designer/open.html", mode=mode)


from app.web.designer import workbench  # noqa: E402, F401  (the workbench routes register on bp)
