"""Administration pages: users and their roles, departments and seals, the working-day calendar, the
service catalogue, and the audit-log viewer. Thin views: parse, call one service, render."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

# the routes register on bp when their modules are imported (by app.web.init_app)
