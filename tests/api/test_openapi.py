"""The OpenAPI document at /api/v1/openapi.json: valid, and every route of the app's URL map is in it.

The list of routes is derived from ``app.url_map`` (every rule under /api/v1 and each of its methods but
HEAD and OPTIONS), not written down here, so a new endpoint without documentation fails the suite.
"""

from __future__ import annotations

import re

from openapi_spec_validator import validate

API_PREFIX = "/api/v1"
IGNORED_METHODS = {"HEAD", "OPTIONS"}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def openapi_path(rule: str) -> str:
    """Werkzeug rule → OpenAPI path: /tasks/<int:task_id>/claim → /tasks/{task_id}/claim."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def routes(app) -> set[tuple[str, str]]:
    """(OpenAPI path, lower-case method) of every rule under /api/v1 in the app's URL map."""
    out = set()
    for rule in app.url_map.iter_rules():
        if rule.rule == API_PREFIX or rule.rule.startswith(f"{API_PREFIX}/"):
            for method in rule.methods - IGNORED_METHODS:
                out.add((openapi_path(rule.rule), method.lower()))
    return out


def documented(doc: dict) -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in doc.get("paths", {}).items()
        for method in item
        if method in HTTP_METHODS
    }


def fetch(api) -> dict:
    resp = api.get("/openapi.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    return resp.get_json()


def test_the_openapi_document_is_valid_openapi_3(api):
    doc = fetch(api)
    assert doc["openapi"].startswith("3.")
    validate(doc)  # openapi-spec-validator: raises on any schema violation or dangling $ref


def test_the_url_map_has_the_api_routes_this_test_relies_on(app):
    """Guards the derivation itself: a broken prefix or path conversion would make the next test vacuous."""
    found = routes(app)
    assert len(found) >= 30
    for route in (
        ("/api/v1/auth/token", "post"),
        ("/api/v1/tasks/{task_id}/complete", "post"),
        ("/api/v1/supervision/orders", "get"),
        ("/api/v1/supervision/orders", "post"),
        ("/api/v1/calendar/days/{day}", "put"),
        ("/api/v1/openapi.json", "get"),
    ):
        assert route in found, route
    assert not any(method in ("head", "options") for _, method in found)


def test_every_route_under_api_v1_and_each_of_its_methods_is_documented(app, api):
    missing = routes(app) - documented(fetch(api))
    assert missing == set(), "undocumented API routes: " + ", ".join(
        f"{m.upper()} {p}" for p, m in sorted(missing)
    )


def test_the_document_lists_no_route_the_app_does_not_have(app, api):
    stale = documented(fetch(api)) - routes(app)
    assert stale == set(), "documented but not routed: " + ", ".join(
        f"{m.upper()} {p}" for p, m in sorted(stale)
    )


def test_a_route_missing_from_the_document_is_reported(app, api):
    doc = fetch(api)
    del doc["paths"]["/api/v1/tasks/{task_id}/claim"]["post"]
    doc["paths"].pop("/api/v1/users")
    assert routes(app) - documented(doc) == {
        ("/api/v1/tasks/{task_id}/claim", "post"),
        ("/api/v1/users", "get"),
        ("/api/v1/users", "post"),
    }


def test_every_operation_declares_its_path_parameters_and_a_success_response(api):
    problems = []
    for path, item in fetch(api)["paths"].items():
        expected = set(re.findall(r"{([^}]+)}", path))
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            params = op.get("parameters", []) + item.get("parameters", [])
            declared = {p["name"] for p in params if p.get("in") == "path"}
            if declared != expected:
                problems.append(f"{method.upper()} {path}: path parameters {sorted(declared)}")
            if not any(str(code).startswith("2") for code in op.get("responses", {})):
                problems.append(f"{method.upper()} {path}: no 2xx response")
    assert problems == []


def test_every_success_answer_with_a_body_declares_its_schema(api):
    """A 2xx without a schema lets the answer drift unseen (the issue found undeclared fields)."""
    loose = []
    for path, item in fetch(api)["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if not status.startswith("2") or status == "204":
                    continue
                content = response.get("content") or {}
                if not content or any(not c.get("schema") for c in content.values()):
                    loose.append(f"{method.upper()} {path} {status}")
    assert loose == []


def test_integer_path_parameters_state_the_bigint_bounds(api):
    task = fetch(api)["paths"]["/api/v1/tasks/{task_id}"]["get"]
    (param,) = [p for p in task["parameters"] if p["name"] == "task_id"]
    assert param["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
    assert {"401", "403", "404", "422"} <= set(task["responses"])
