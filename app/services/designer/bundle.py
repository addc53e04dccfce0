"""An uploaded set of design files (multipart or a draft): BPMN/DMN, form JSON files, item.yaml.

Files are classified by name; a form that is not JSON or an item.yaml that is not YAML becomes a
finding at its line, so validation reports it with everything else instead of stopping."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from engine.validation import Finding

MAX_FILES = 60
MAX_FILE_BYTES = 2 * 1024 * 1024
FILE_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,120}$")


@dataclass
class Bundle:
    files: dict[str, bytes] = field(default_factory=dict)  # BPMN/DMN
    forms: dict[str, Any] = field(default_factory=dict)  # name.json -> document
    item: dict[str, Any] | None = None
    findings: list[Finding] = field(default_factory=list)  # what could not even be read

    @property
    def slug(self) -> str | None:
        slug = (self.item or {}).get("slug")
        return slug if isinstance(slug, str) else None

    @property
    def process_id(self) -> str | None:
        pid = (self.item or {}).get("process_id")
        return pid if isinstance(pid, str) else None


def _basename(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1]


def read_bundle(uploads: Mapping[str, bytes]) -> Bundle:
    """``uploads``: file name -> bytes. Folder prefixes (``processes/x/``, ``forms/x/``) are ignored."""
    bundle = Bundle()
    if len(uploads) > MAX_FILES:
        bundle.findings.append(Finding(f"too many files ({len(uploads)} > {MAX_FILES})", stage="upload"))
        return bundle
    for raw_name, data in uploads.items():
        name = _basename(raw_name)
        if not FILE_NAME.match(name):
            bundle.findings.append(
                Finding(f"file name {raw_name!r} is not allowed", file=raw_name, stage="upload")
            )
            continue
        if len(data) > MAX_FILE_BYTES:
            bundle.findings.append(Finding(f"{name} is larger than 2 MB", file=name, stage="upload"))
            continue
        lower = name.lower()
        if lower.endswith((".bpmn", ".bpmn20.xml", ".dmn")):
            bundle.files[name if not lower.endswith(".bpmn20.xml") else name[:-11] + ".bpmn"] = data
        elif lower.endswith(".json"):
            _read_form(bundle, name, data)
        elif lower in ("item.yaml", "item.yml"):
            _read_item(bundle, data)
        else:
            bundle.findings.append(
                Finding(
                    f"{name}: unknown kind of file (expected .bpmn, .dmn, forms .json or item.yaml)",
                    file=name,
                    stage="upload",
                )
            )
    return bundle


def _read_form(bundle: Bundle, name: str, data: bytes) -> None:
    try:
        doc = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        bundle.findings.append(Finding("form is not UTF-8 text", file=name, stage="form"))
        return
    except json.JSONDecodeError as exc:
        bundle.findings.append(Finding(f"invalid JSON: {exc.msg}", file=name, line=exc.lineno, stage="form"))
        return
    bundle.forms[name] = doc


def _read_item(bundle: Bundle, data: bytes) -> None:
    try:
        doc = yaml.safe_load(data.decode("utf-8"))
    except UnicodeDecodeError:
        bundle.findings.append(Finding("item.yaml is not UTF-8 text", file="item.yaml", stage="item"))
        return
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        bundle.findings.append(
            Finding(
                f"invalid YAML: {getattr(exc, 'problem', None) or exc}",
                file="item.yaml",
                line=mark.line + 1 if mark else None,
                stage="item",
            )
        )
        return
    if not isinstance(doc, dict):
        bundle.findings.append(
            Finding("item.yaml must be a mapping of fields", file="item.yaml", stage="item")
        )
        return
    bundle.item = doc


def bundle_from_texts(
    files: Mapping[str, str], forms: Mapping[str, Any], item: Mapping[str, Any] | None
) -> Bundle:
    """A draft's content (XML text, form documents, item fields) as a bundle."""
    return Bundle(
        files={k: v.encode("utf-8") for k, v in files.items()},
        forms={k: v for k, v in forms.items()},
        item=dict(item) if item is not None else None,
    )


def dump_item_yaml(item: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(item), allow_unicode=True, sort_keys=False, width=100)
