"""No 5xx from input (issue 9, deliverable 4): integers beyond a bigint, paging numbers, and values the
database cannot hold never reach PostgreSQL as a 500.

The routes are read from the app's URL map, so a new route with an integer in its path is covered
without being listed here. The issue found every one of these answering 500 on PostgreSQL.
"""

from __future__ import annotations

import re

import pytest
from werkzeug.routing import IntegerConverter

from app.routing import MAX_ID, MAX_ID32, IdConverter
from tests.web.helpers import web_login

STRING_ARG = "TB0000000000000000"


def id_routes(app) -> list[tuple[str, str, list[str]]]:
    """(rule, method, names of its id arguments) of every route with an id in its path."""
    out = []
    for rule in app.url_map.iter_rules():
        ids = [name for name, conv in rule._converters.items() if isinstance(conv, IdConverter)]
        if ids:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                out.append((rule.rule, method, ids))
    return out


def url_for_rule(rule: str, beyond: int) -> str:
    """RULE with its ids at their converter's largest value plus BEYOND (0: the largest itself)."""

    def fill(match: re.Match) -> str:
        converter = match.group(1) or ""
        if converter == "id":
            return str(MAX_ID + beyond)
        if converter == "id32":
            return str(MAX_ID32 + beyond)
        return STRING_ARG

    return re.sub(r"<(?:([^:<>]+):)?[^<>]+>", fill, rule)


def test_every_integer_in_a_path_goes_through_a_bounded_converter(app):
    unbounded = [
        f"{rule.rule} ({name})"
        for rule in app.url_map.iter_rules()
        for name, conv in rule._converters.items()
        if isinstance(conv, IntegerConverter) and (conv.max is None or conv.max > MAX_ID)
    ]
    assert unbounded == []
    kinds = {rule.split("/")[1 if not rule.startswith("/api/") else 3] for rule, _, _ in id_routes(app)}
    # tasks, alerts, orders, notifications, materials, documents, drafts, messages, licences …
    assert len(id_routes(app)) >= 40 and len(kinds) >= 6, kinds


def test_an_id_beyond_a_bigint_is_a_404_on_every_api_and_page_route(app, api):
    client = app.test_client()
    csrf = web_login(client, "admin")
    token = api.token("admin")
    seen = []
    for rule, method, _ in id_routes(app):
        url = url_for_rule(rule, 1)
        if rule.startswith("/api/"):
            resp = client.open(url, method=method, json={}, headers={"Authorization": f"Bearer {token}"})
            assert resp.status_code == 404, (method, url, resp.status_code)
            assert resp.get_json()["error"]["code"] == "not_found"
        else:
            resp = client.open(url, method=method, data={"csrf_token": csrf} if method != "GET" else None)
            assert resp.status_code == 404, (method, url, resp.status_code)
        seen.append(rule)
    for bad in (
        "/tasks/0",
        "/tasks/-1",
        "/tasks/" + "9" * 40,
        "/tasks/9223372036854775808",
        "/users/2147483648",
    ):
        assert api.get(bad, "admin").status_code == 404, bad
    assert len(seen) >= 40


def test_the_largest_id_a_column_holds_is_an_ordinary_answer_never_a_500(app, api):
    client = app.test_client()
    csrf = web_login(client, "admin")
    token = api.token("admin")
    for rule, method, _ in id_routes(app):
        url = url_for_rule(rule, 0)
        if rule.startswith("/api/"):
            resp = client.open(url, method=method, json={}, headers={"Authorization": f"Bearer {token}"})
        else:
            resp = client.open(url, method=method, data={"csrf_token": csrf} if method != "GET" else None)
        assert resp.status_code < 500, (method, url, resp.status_code, resp.get_data(as_text=True)[:300])


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/tasks?offset=9223372036854775808", "offset"),
        ("/tasks?offset=-1", "offset"),
        ("/tasks?limit=9223372036854775808", "limit"),
        ("/tasks?limit=abc", "limit"),
        ("/cases?page=9223372036854775808", "page"),
        ("/cases?per_page=9223372036854775808", "per_page"),
        ("/licences?page=9223372036854775808", "page"),
    ],
)
def test_a_paging_number_out_of_range_is_a_422_naming_the_field(api, path, field):
    user = "applicant" if path.startswith(("/cases", "/licences")) else "env_clerk"
    resp = api.get(path, user)
    assert resp.status_code == 422, resp.get_data(as_text=True)[:300]
    assert field in {d["field"] for d in resp.get_json()["error"]["details"]}


@pytest.mark.parametrize(
    ("path", "user"),
    [
        ("/inbox/?page=9223372036854775808", "env_clerk"),
        ("/cases/?page=9223372036854775808", "env_clerk"),
        ("/supervision/overdue?page=9223372036854775808", "supervisor"),
        ("/admin/audit?page=9223372036854775808", "admin"),
        ("/my/cases?page=9223372036854775808", "applicant"),
        ("/public/decisions?page=9223372036854775808", "applicant"),
    ],
)
def test_a_page_number_out_of_range_on_a_page_is_a_422_not_a_500(app, path, user):
    client = app.test_client()
    web_login(client, user)
    resp = client.get(path)
    assert resp.status_code == 422, (path, resp.status_code)
    assert "page" in resp.get_data(as_text=True)
    assert client.get(path.split("?")[0] + "?page=2").status_code == 200


def test_a_nul_character_the_database_cannot_hold_is_a_422_with_the_envelope(api):
    resp = api.get("/cases/TB%00x", "applicant")
    assert resp.status_code in (404, 422), resp.get_data(as_text=True)[:300]
    assert resp.get_json()["error"]["code"] in ("invalid_value", "case_not_found", "not_found")
    resp = api.get("/cases?q=%00", "env_clerk")
    assert resp.status_code < 500


def test_a_database_refusal_of_a_value_maps_to_a_422_and_a_lost_lock_race_to_a_409():
    """The handler's mapping itself, with the real exception classes the driver raises."""
    from sqlalchemy.exc import DataError, OperationalError

    from app.errors import database_error

    data = DataError("SELECT 1", {}, ValueError("PostgreSQL text fields cannot contain NUL (0x00) bytes"))
    mapped = database_error(data)
    assert mapped is not None and mapped.status == 422 and mapped.code == "invalid_value"

    class Deadlock(Exception):
        sqlstate = "40P01"

    race = database_error(OperationalError("UPDATE", {}, Deadlock("deadlock detected")))
    assert race is not None and race.status == 409
    assert database_error(OperationalError("SELECT", {}, Exception("server closed the connection"))) is None
