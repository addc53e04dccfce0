"""Idempotent submission (issue 9, deliverable 7): a retried ``POST /api/v1/cases`` files once.

Before, a client whose connection dropped after the commit filed a duplicate case on its retry.
"""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

from sqlalchemy import event, func, select, update

from app.models import Case, IdempotentRequest, Session, utcnow
from tests.factories import applicant_of, scenario


def body(name: str = "accept_approve") -> dict:
    application = scenario("eia_report_form", name)["application"]
    return {"item_code": "eia_report_form", "applicant": applicant_of(application), "data": application}


def cases_filed() -> int:
    Session.remove()
    return Session.scalar(select(func.count()).select_from(Case))


def post(api, payload, key, user="applicant"):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return api.post("/cases", user, json=payload, headers=headers)


def test_the_same_key_and_body_answer_the_first_response_and_file_once(api):
    key = str(uuid.uuid4())
    first = post(api, body(), key)
    assert first.status_code == 201 and first.headers["Idempotent-Replayed"] == "false"
    assert cases_filed() == 1
    # the same body with its keys in another order is the same request
    reordered = dict(reversed(list(body().items())))
    for payload in (body(), reordered):
        again = post(api, payload, key)
        assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
        assert again.get_json() == first.get_json()
    assert cases_filed() == 1


def test_without_a_key_a_retry_files_again(api):
    assert post(api, body(), None).status_code == 201
    assert post(api, body(), None).status_code == 201
    assert cases_filed() == 2


def test_the_same_key_with_another_body_is_a_422_and_files_nothing(api):
    key = str(uuid.uuid4())
    assert post(api, body(), key).status_code == 201
    other = body()
    other["data"] = {**other["data"], "project_name": "另一个项目"}
    resp = post(api, other, key)
    assert resp.status_code == 422
    error = resp.get_json()["error"]
    assert error["code"] == "idempotency_key_reused" and error["details"][0]["field"] == "Idempotency-Key"
    assert cases_filed() == 1


def test_keys_are_per_user(api):
    key = str(uuid.uuid4())
    mine = post(api, body(), key, "applicant")
    theirs = post(api, body(), key, "applicant2")
    assert mine.status_code == theirs.status_code == 201
    assert mine.get_json()["case_no"] != theirs.get_json()["case_no"]
    assert cases_filed() == 2


def test_after_24_hours_the_key_files_a_new_case(api):
    key = str(uuid.uuid4())
    first = post(api, body(), key)
    Session.remove()
    Session.execute(update(IdempotentRequest).values(created_at=utcnow() - timedelta(hours=25)))
    Session.commit()
    later = post(api, body(), key)
    assert later.status_code == 201 and later.headers["Idempotent-Replayed"] == "false"
    assert later.get_json()["case_no"] != first.get_json()["case_no"]
    assert cases_filed() == 2
    assert Session.scalar(select(func.count()).select_from(IdempotentRequest)) == 1


def test_the_hourly_prune_deletes_every_users_expired_keys_and_keeps_the_fresh_ones(app, api):
    from app.jobs.runner import run_once

    old, fresh = str(uuid.uuid4()), str(uuid.uuid4())
    assert post(api, body(), fresh).status_code == 201
    assert post(api, body(), old).status_code == 201
    assert post(api, body(), old, user="applicant2").status_code == 201
    Session.remove()
    Session.execute(
        update(IdempotentRequest)
        .where(IdempotentRequest.key == old)
        .values(created_at=utcnow() - timedelta(hours=25))
    )
    Session.commit()
    with app.app_context():
        assert run_once(jobs=["prune"], use_lease=False)["prune"]["idempotency_keys"] == 2
        Session.remove()
    assert list(Session.scalars(select(IdempotentRequest.key))) == [fresh]
    assert cases_filed() == 3  # the cases stay: only the keys go


def test_a_replay_before_the_answer_was_stored_renders_the_recorded_case(api):
    """A crash between the case's commit and the answer's leaves the record without a response."""
    key = str(uuid.uuid4())
    first = post(api, body(), key)
    Session.remove()
    Session.execute(update(IdempotentRequest).values(status=None, response=None))
    Session.commit()
    again = post(api, body(), key)
    assert again.status_code == 201 and again.get_json()["case_no"] == first.get_json()["case_no"]
    assert cases_filed() == 1


def test_a_malformed_key_is_a_422_naming_the_header_and_files_nothing(api):
    for key in ("x" * 256, " padded ", "键"):
        resp = api.post(
            "/cases", "applicant", json=body(), headers={"Idempotency-Key": key.encode().decode("latin-1")}
        )
        assert resp.status_code == 422, key
        assert resp.get_json()["error"]["code"] == "bad_idempotency_key"
    assert cases_filed() == 0


def test_concurrent_duplicates_file_once_and_both_get_the_first_answer(app, api):
    """Three requests with one key run at once, each held before its first write until all three have
    read that the key is unused: the unique (user, key) lets one file, the others replay it."""
    key, token, n = str(uuid.uuid4()), api.token("applicant"), 3
    engine = app.extensions["tongban.engine"]
    barrier, local = threading.Barrier(n, timeout=20), threading.local()
    results: list = [None] * n

    def hold(conn, cursor, statement, *_):
        if getattr(local, "armed", False) and statement.lstrip()[:6].upper() in (
            "INSERT",
            "UPDATE",
            "DELETE",
        ):
            local.armed = False
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass

    def worker(i: int) -> None:
        local.armed = True
        try:
            resp = app.test_client().post(
                "/api/v1/cases",
                json=body(),
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
            )
            results[i] = (resp.status_code, resp.get_json())
        finally:
            Session.remove()

    event.listen(engine, "before_cursor_execute", hold)
    try:
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        event.remove(engine, "before_cursor_execute", hold)
    assert [status for status, _ in results] == [201] * n, results
    assert len({doc["case_no"] for _, doc in results}) == 1
    assert cases_filed() == 1


def test_the_openapi_document_declares_the_header(api):
    operation = api.get("/openapi.json").get_json()["paths"]["/api/v1/cases"]["post"]
    header = [p for p in operation["parameters"] if p["in"] == "header"]
    assert header and header[0]["name"] == "Idempotency-Key" and header[0]["schema"]["maxLength"] == 255
    assert (
        "422" in operation["responses"] and "Idempotent-Replayed" in operation["responses"]["201"]["headers"]
    )
