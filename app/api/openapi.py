"""The OpenAPI document, generated from the views' docstrings and the marshmallow schemas."""

from __future__ import annotations

import re
from http import HTTPStatus

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec_webframeworks.flask import FlaskPlugin
from flask import current_app, jsonify
from werkzeug.routing import IntegerConverter

from app.api import bp, schemas
from app.routing import MAX_ID, IdConverter

ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}


def _path_schema(conv: object) -> dict:
    if isinstance(conv, IdConverter):
        return {"type": "integer", "minimum": 1, "maximum": conv.max or MAX_ID}
    if isinstance(conv, IntegerConverter):
        out: dict = {"type": "integer"}
        if conv.min is not None:
            out["minimum"] = conv.min
        if conv.max is not None:
            out["maximum"] = conv.max
        return out
    return {"type": "string"}


_CACHE: dict = {}


def build_spec() -> dict:
    spec = APISpec(
        title="Tongban 通办 API",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[FlaskPlugin(), MarshmallowPlugin()],
        info={"description": "BPMN-driven approval platform for government services."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for name in dir(schemas):
        obj = getattr(schemas, name)
        is_schema = isinstance(obj, type) and issubclass(obj, schemas.Schema)
        if is_schema and obj not in (schemas.Schema, schemas.Strict) and name not in spec.components.schemas:
            spec.components.schema(name, schema=obj)  # nested schemas may have registered themselves already
    converters: dict[str, dict[str, dict]] = {}
    for rule in current_app.url_map.iter_rules():
        if rule.rule.startswith(f"{bp.url_prefix}/"):  # every route under /api/v1, whichever blueprint
            view = current_app.view_functions[rule.endpoint]
            spec.path(view=view, app=current_app)
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            converters[path] = {name: _path_schema(conv) for name, conv in rule._converters.items()}
    doc = spec.to_dict()
    for path, operations in doc.get("paths", {}).items():
        for operation in operations.values():
            declared = {p.get("name"): p for p in operation.get("parameters", []) if p.get("in") == "path"}
            for name, schema in converters.get(path, {}).items():
                if name not in declared:  # a docstring that forgot its path parameter
                    operation.setdefault("parameters", []).append(
                        {"in": "path", "name": name, "required": True, "schema": schema}
                    )
                elif schema["type"] == "integer":  # the converter's bounds are the truth
                    declared[name]["schema"] = schema
            responses = operation.setdefault("responses", {})
            if operation.get("security") != []:
                responses.setdefault("401", ERROR)  # no token, or one revoked or expired
                responses.setdefault("403", ERROR)  # every protected operation checks the actor's grants
            if operation.get("parameters") or operation.get("requestBody") or converters.get(path):
                responses.setdefault("422", ERROR)  # parameters and bodies are validated, names in details
            if converters.get(path):  # a path naming nothing that exists (or an id out of range)
                responses.setdefault("404", ERROR)
    for operations in doc.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                response.setdefault("description", HTTPStatus(int(status)).phrase)
    doc["security"] = [{"bearer": []}]
    return doc


@bp.get("/openapi.json")
def openapi_json():
    """This document: the OpenAPI 3 description of every route under /api/v1 (public).
    ---
    get:
      tags: [meta]
      security: []
      responses:
        200: {description: The OpenAPI document, content: {application/json: {schema: {type: object}}}}
    """
    if "doc" not in _CACHE:
        _CACHE["doc"] = build_spec()
    return jsonify(_CACHE["doc"])
