"""The translator a job hands to a service: the web's gettext in a language named by the job's row
(a job has no request, hence no session language), for text services return as zh msgids."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import force_locale, gettext

from app.services.i18n import localize

LOCALES = {"zh": "zh_CN", "en": "en"}


def translator(lang: str) -> Callable[[Any], Any]:
    """``tr`` for ``lang`` ("zh" or "en"), to be called inside the app context."""
    locale = LOCALES.get(lang, "zh_CN")

    def tr(value: Any) -> Any:
        with force_locale(locale):
            return localize(value, gettext)

    return tr
