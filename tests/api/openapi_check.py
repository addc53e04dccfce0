"""Check a real response against the operation's declared response in /api/v1/openapi.json."""

from __future__ import annotations

import re

from openapi_schema_validator import OAS30Validator

_DOC: dict = {}


def _resolve(node, doc):
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            return _resolve(doc["components"]["schemas"][name], doc)
        return {k: _resolve(v, doc) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, doc) for v in node]
    return node


def _matches(template: str, path: str) -> bool:
    parts, given = template.split("/"), path.split("/")
    return len(parts) == len(given) and all(
        p == g or re.fullmatch(r"\{[^}]+\}", p) for p, g in zip(parts, given, strict=True)
    )


def conforms(api, method: str, path: str, resp) -> None:
    """Assert RESP (of METHOD /api/v1PATH) has a declared status and a body matching its schema."""
    if "doc" not in _DOC:
        _DOC["doc"] = api.get("/openapi.json").get_json()
    doc = _DOC["doc"]
    bare = "/api/v1" + path.split("?")[0]
    template = next(p for p in doc["paths"] if _matches(p, bare))
    declared = doc["paths"][template][method.lower()]["responses"]
    assert str(resp.status_code) in declared, (method, template, resp.status_code, sorted(declared))
    content = declared[str(resp.status_code)].get("content", {}).get("application/json")
    if content is not None:
        OAS30Validator(_resolve(content["schema"], doc)).validate(resp.get_json())
