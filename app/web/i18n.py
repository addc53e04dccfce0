"""Languages of the pages: zh-CN by default, English on request (kept in the session)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, request, session
from flask_babel import Babel, get_locale, gettext

from app.services import labels, org
from app.services.i18n import localize

LANGUAGES = (("zh_CN", "中文"), ("en", "English"))
DEFAULT_LOCALE = "zh_CN"
SHANGHAI = ZoneInfo("Asia/Shanghai")
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def select_locale() -> str:
    code = session.get("lang")
    if code in dict(LANGUAGES):
        return code
    if request.path.startswith("/api/"):  # API clients ask with Accept-Language (zh-CN by default)
        best = request.accept_languages.best_match(["zh_CN", "zh", "en"], default=DEFAULT_LOCALE)
        return "en" if best == "en" else DEFAULT_LOCALE
    return DEFAULT_LOCALE


def tr(value: Any) -> Any:
    """Service text (zh msgids, :class:`app.services.i18n.Text`) in the page's language."""
    return localize(value, gettext)


def current_locale_code() -> str:
    loc = get_locale()
    return str(loc) if loc is not None else DEFAULT_LOCALE


def is_english() -> bool:
    return current_locale_code().startswith("en")


def pick(value: Any, default: str = "") -> str:
    """A {"zh": ..., "en": ...} label in the page language (form files and item.yaml carry both)."""
    if isinstance(value, dict):
        preferred = value.get("en") if is_english() else value.get("zh")
        fallback = value.get("zh") or value.get("en")
        text = preferred if isinstance(preferred, str) and preferred else fallback
        return text if isinstance(text, str) else default
    if isinstance(value, str):
        return value
    return default


def role_label(role: str) -> str:
    return labels.word(labels.ROLES, role, gettext)


def department_label(code: str | None) -> str:
    if not code:
        return ""
    info = org.department(code)
    if info is None:
        return "—"
    return info.name_en if is_english() else info.name_zh


def level_label(level: str | None) -> str:
    return labels.word(labels.LEVELS, level, gettext) if level else ""


def light_label(light: str | None) -> str:
    return labels.word(labels.LIGHTS, light, gettext) if light in labels.LIGHTS else gettext("无")


def status_label(status: str | None) -> str:
    return labels.word(labels.STATUSES, status, gettext) if status else ""


def subject_label(kind: str | None) -> str:
    return labels.word(labels.SUBJECT_KINDS, kind, gettext) if kind else ""


def task_state_label(state: str | None) -> str:
    return labels.word(labels.TASK_STATES, state, gettext) if state else ""


def action_label(action: str) -> str:
    from app.services.auditlog import ACTIONS

    return tr(ACTIONS[action]) if action in ACTIONS else gettext("其他操作")


def localtime(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=select_locale)
    app.jinja_env.filters["loc"] = pick
    app.jinja_env.filters["tr"] = tr
    app.jinja_env.globals.update(
        available_languages=lambda: LANGUAGES,
        current_locale_code=current_locale_code,
        current_locale_tag=lambda: "en" if is_english() else "zh-CN",
        role_label=role_label,
        department_label=department_label,
        light_label=light_label,
        status_label=status_label,
        task_state_label=task_state_label,
        subject_label=subject_label,
        action_label=action_label,
        has_vendor=lambda name: (Path(app.static_folder or "") / "vendor" / name).is_file(),
    )
    app.jinja_env.filters["localtime"] = localtime
    from app.web import words

    app.jinja_env.globals.update(
        step_label=words.step_label,
        step_of=words.step_of,
        outcome_label=words.outcome_label,
        special_label=words.special_label,
        pause_label=words.pause_label,
        document_title=words.document_title,
        deadline_kind_label=words.deadline_kind_label,
        change_lines=words.change_lines,
        level_label=level_label,
        word=lambda table, code: labels.word(getattr(labels, table), code, gettext),
    )
