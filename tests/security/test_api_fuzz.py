"""A bounded schemathesis run against /api/v1/openapi.json (issue 9, deliverable 4), PostgreSQL only.

Every operation of the OpenAPI document is called with examples schemathesis generates from it (valid
and invalid parameters and bodies), once as the administrator and once as an applicant, with a fixed
seed. It fails on any 5xx, on a status code the operation does not declare, and on a body or content
type that violates the declared response. The run gets its own PostgreSQL schema and app, so what the
fuzzer changes (users, the calendar, the catalogue) never reaches the other tests.

Figures (operations, examples, 5xx) are printed; run with ``-s`` to see them.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from sqlalchemy import create_engine, text

from tests.conftest import DEMO_PASSWORD, _with_search_path

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is in the test extras")

SEED = 20261202
EXAMPLES_PER_OPERATION = int(os.environ.get("TONGBAN_FUZZ_EXAMPLES", "15"))  # per operation and user
USERS = ("admin", "applicant")
ONLY = os.environ.get("TONGBAN_FUZZ_ONLY", "")  # while fixing: fuzz only paths containing this


@pytest.fixture(scope="module")
def fuzz_app(app, tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url or not url.startswith("postgresql"):
        pytest.skip("the schemathesis run needs PostgreSQL: set TEST_DATABASE_URL (README, Tests)")
    from app import create_app
    from app.migrate import upgrade
    from app.models import Session, bind_session
    from app.services import context
    from app.services.calendar import seed_from_package
    from app.services.catalogue import load_catalogue
    from app.services.users import seed_demo_users

    saved_context = context._CONTEXT
    schema = f"tb_fuzz_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'create schema "{schema}"'))
    database_url = _with_search_path(url, schema)
    fuzzed = None
    try:
        upgrade(database_url)
        fuzzed = create_app(
            {
                "TONGBAN_DATABASE_URL": database_url,
                "TONGBAN_DATA_DIR": str(tmp_path_factory.mktemp("fuzz")),
                "TONGBAN_DEMO_PASSWORD": DEMO_PASSWORD,
                "TONGBAN_SECRET_KEY": "fuzz-secret",
                "TONGBAN_LOGIN_RATE_LIMIT": "100000 per minute",
                "TESTING": True,
            }
        )
        with fuzzed.app_context():
            seed_from_package()
            load_catalogue()
            seed_demo_users(DEMO_PASSWORD)
            Session.remove()
        yield fuzzed
    finally:
        Session.remove()
        if fuzzed is not None:
            fuzzed.extensions["tongban.engine"].dispose()
        bind_session(app.extensions["tongban.engine"])
        context._CONTEXT = saved_context
        with admin.connect() as conn:
            conn.execute(text(f'drop schema "{schema}" cascade'))
        admin.dispose()


# DELETE /auth/token ends the run's own bearer token (its refusals are tested in test_sessions)
SKIPPED = {("DELETE", "/api/v1/auth/token")}


def _user_ids(app) -> dict[str, int]:
    from sqlalchemy import select

    from app.models import Session, User

    with app.app_context():
        rows = Session.execute(select(User.username, User.id).where(User.username.in_(USERS))).all()
        Session.remove()
    return {r.username: r.id for r in rows}


def _spares(case, protected: set[int]) -> bool:
    """The fuzzer may disable or reset any user but the two it runs as."""
    return (case.path_parameters or {}).get("user_id") not in protected


def tokens(app) -> dict[str, str]:
    client = app.test_client()
    out = {}
    for user in USERS:
        resp = client.post("/api/v1/auth/token", json={"username": user, "password": DEMO_PASSWORD})
        assert resp.status_code == 200, resp.get_json()
        out[user] = resp.get_json()["token"]
    return out


def fuzz(app, *, examples: int) -> tuple[int, Counter, Counter, list[str]]:
    """Run every operation; returns (examples sent, status classes, examples by method, failures)."""
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    bearer = tokens(app)
    client = app.test_client()
    protected = set(_user_ids(app).values())
    statuses: Counter = Counter()
    by_method: Counter = Counter()
    failures: list[str] = []
    sent = 0
    operations = [result.ok() for result in schema.get_all_operations()]

    def runner(operation, headers: dict[str, str]):
        @seed(SEED)
        @settings(
            max_examples=examples,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy().filter(lambda c: _spares(c, protected)))
        def run(case) -> None:
            nonlocal sent
            response = case.call(headers=headers)
            sent += 1
            statuses[response.status_code // 100 * 100] += 1
            by_method[case.method.upper()] += 1
            case.validate_response(response, checks=checks, headers=headers)

        return run

    for user in USERS:
        for operation in operations:
            if (operation.method.upper(), operation.path) in SKIPPED or ONLY not in operation.path:
                continue
            headers = {"Authorization": f"Bearer {bearer[user]}"}
            if client.get("/api/v1/tasks", headers=headers).status_code == 401:
                bearer = tokens(app)  # an operation ended the token after all: log in again
                headers = {"Authorization": f"Bearer {bearer[user]}"}

            try:
                runner(operation, headers)()
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect every operation's failure
                lines = [line for line in str(exc).strip().splitlines() if line.strip()]
                failures.append(
                    f"{user} {operation.method.upper()} {operation.path}: " + " | ".join(lines)[:1500]
                )
    return sent, statuses, by_method, failures


@pytest.mark.postgres
def test_no_operation_answers_5xx_or_breaks_its_declared_response(fuzz_app):
    sent, statuses, by_method, failures = fuzz(fuzz_app, examples=EXAMPLES_PER_OPERATION)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)
    operations = len(list(schema.get_all_operations()))
    print(
        f"\nschemathesis: {operations} operations × {len(USERS)} users, {sent} examples sent, "
        f"by method {dict(sorted(by_method.items()))}, by status class {dict(sorted(statuses.items()))}, "
        f"{len(failures)} failing operations"
    )
    assert failures == [], "\n".join(failures)
    assert sent >= operations * len(USERS) and statuses[500] == 0
