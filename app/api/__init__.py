"""JSON API under /api/v1: blueprints by area, marshmallow schemas, OpenAPI at /api/v1/openapi.json."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def init_app(app: Flask) -> None:
    from app.api import (  # noqa: F401  (routes register on bp)
        auth,
        calendar,
        casefiles,
        cases,
        drafts,
        items,
        jobs,
        joint,
        messages,
        openapi,
        portal,
        processes,
        results,
        supervision,
        tasks,
        users,
    )

    if "api" not in app.blueprints:
        app.register_blueprint(bp)
