"""Text for people, written in services that must not import Flask.

Services write what people read in Chinese — the msgids of the translation catalogues
(app/translations) — and mark it:

- ``N_("…")`` for constant text: returns the string itself; ``pybabel extract -k N_ -k t`` finds it;
- ``t("…%(n)s…", n=3)`` for text with values: a :class:`Text`, which *is* the Chinese sentence (a
  ``str``, so logs, CLI output and tests read it as before) and also remembers its msgid and values.

The web and API layers render any of them in the reader's language with :func:`localize` and their
own ``gettext`` (flask-babel); an unmarked string passes through ``gettext`` unchanged when the
catalogue does not know it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


class Text(str):
    """A Chinese sentence that remembers its msgid and parameters for translation."""

    msgid: str
    params: Mapping[str, Any]

    def __new__(cls, msgid: str, params: Mapping[str, Any] | None = None) -> Text:
        values = dict(params or {})
        obj = super().__new__(cls, msgid % values if values else msgid)
        obj.msgid = msgid
        obj.params = values
        return obj

    def __reduce__(self) -> tuple[Any, ...]:
        return (Text, (self.msgid, dict(self.params)))


def N_(text: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark a constant for extraction; it is translated where it is shown."""
    return text


def t(msgid: str, **params: Any) -> Text:
    """A sentence with values, translatable later (``msgid`` uses ``%(name)s`` placeholders)."""
    return Text(msgid, params)


def localize(value: Any, gettext: Callable[[str], str]) -> Any:
    """``value`` in the reader's language: Text and str through ``gettext``; lists and dicts walked."""
    if isinstance(value, Text):
        translated = gettext(value.msgid)
        params = {k: localize(v, gettext) for k, v in value.params.items()}
        try:
            return translated % params if params else translated
        except (KeyError, TypeError, ValueError):  # a broken translation must not hide the message
            return str(value)
    if isinstance(value, str):
        return gettext(value) if value else value
    if isinstance(value, list):
        return [localize(v, gettext) for v in value]
    if isinstance(value, dict):
        return {k: (localize(v, gettext) if k in ("message", "label") else v) for k, v in value.items()}
    return value
