"""Catalogue (by department and by theme, with search), the service guide, its diagram and downloads."""

from __future__ import annotations

from flask import Response, render_template, request, send_file

from app.services import guide as guide_service
from app.services.catalogue import get_item
from app.web.auth import staff_home_redirect
from app.web.i18n import is_english
from app.web.portal import bp


@bp.get("/")
def home():
    away = staff_home_redirect()
    if away is not None:
        return away
    q = request.args.get("q", "")[:100]
    department = request.args.get("department") or None
    theme = request.args.get("theme") or None
    everything = guide_service.search_catalogue()
    found = guide_service.search_catalogue(q, department, theme) if (q or department or theme) else None
    return render_template(
        "portal/home.html",
        groups=guide_service.catalogue_groups(everything),
        found=found,
        q=q,
        department=department,
        theme=theme,
        themes=guide_service.THEMES,
        guides={i.code: guide_service.guide_of(i) for i in everything},
    )


@bp.get("/guide/<item_code>")
def guide(item_code: str):
    item = get_item(item_code)
    return render_template("portal/guide.html", item=item, g=guide_service.guide_of(item))


@bp.get("/guide/<item_code>/diagram.bpmn")
def guide_diagram(item_code: str):
    lang = "en" if is_english() else "zh"
    return Response(guide_service.public_diagram(get_item(item_code), lang), mimetype="application/xml")


@bp.get("/guide/<item_code>/files/<filename>")
def guide_file(item_code: str, filename: str):
    _item, path = guide_service.guide_file(item_code, filename)
    return send_file(path, mimetype="application/pdf", as_attachment=True, download_name=filename)
