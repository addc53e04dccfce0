"""Calendar endpoints, and clocks carried by cases and tasks in the API."""

from __future__ import annotations

from tests.api.openapi_check import conforms
from tests.factories import open_task, submit


def test_add_workdays_across_the_spring_festival(api):
    body = api.get("/calendar/add-workdays?start=2026-02-12&days=5", "applicant").get_json()
    assert body == {"date": "2026-02-26", "confirmed": True}


def test_add_workdays_into_an_unconfirmed_year(api):
    assert api.get("/calendar/add-workdays?start=2026-12-21&days=10", "applicant").get_json() == {
        "date": "2027-01-04",
        "confirmed": False,
    }


def test_count_workdays_counts_the_open_closed_interval(api):
    assert api.get("/calendar/count-workdays?start=2026-02-13&end=2026-02-24", "applicant").get_json() == {
        "count": 2,
        "confirmed": True,
    }


def test_bad_calendar_queries_are_422_naming_the_parameter(api):
    for query, field in (
        ("start=2026-13-01&days=1", "start"),
        ("start=2026-01-01&days=-1", "days"),
        ("start=2026-01-01", "days"),
        ("start=1990-01-01&days=1", "date"),
    ):
        resp = api.get(f"/calendar/add-workdays?{query}", "applicant")
        assert resp.status_code == 422 and resp.get_json()["error"]["details"][0]["field"] == field, query


def test_year_view_shows_make_up_saturdays(api):
    year = api.get("/calendar/2026", "applicant").get_json()
    days = {d["date"]: d for d in year["days"]}
    assert year["confirmed"] and days["2026-02-14"]["is_workday"] and days["2026-02-28"]["is_workday"]
    assert days["2026-10-01"]["is_workday"] is False
    assert api.get("/calendar/2027", "applicant").get_json()["confirmed"] is False


def test_calendar_changes_are_admin_only_and_validated(api, restore_calendar):
    assert api.put("/calendar/days/2026-03-09", "env_clerk", json={"is_workday": False}).status_code == 403
    resp = api.put("/calendar/days/2026-03-09", "admin", json={"is_workday": "maybe"})
    assert resp.status_code == 422 and resp.get_json()["error"]["details"][0]["field"] == "is_workday"
    resp = api.post(
        "/calendar/import",
        "admin",
        json={"year": 2028, "holidays": [{"date": "2029-01-01"}, {"date": "bad"}]},
    )
    fields = {d["field"] for d in resp.get_json()["error"]["details"]}
    assert resp.status_code == 422 and {"source", "holidays.0", "holidays.1.date"} <= fields
    assert api.get("/calendar/2028", "admin").get_json()["confirmed"] is False


def test_csv_import_confirms_the_year(api, restore_calendar):
    csv_text = "date,type,name\n2028-01-01,holiday,元旦\n2028-01-29,workday,春节调休上班\n"
    resp = api.post(
        "/calendar/import?year=2028&source=国办发明电〔2027〕测试号",
        "admin",
        data=csv_text,
        content_type="text/csv",
    )
    assert resp.status_code == 200 and resp.get_json()["days"] == 2
    conforms(api, "post", "/calendar/import", resp)
    conforms(api, "get", "/calendar/2028", api.get("/calendar/2028", "admin"))
    conforms(api, "get", "/calendar/years", api.get("/calendar/years", "admin"))
    day = api.put("/calendar/days/2028-03-09", "admin", json={"is_workday": False})
    assert day.status_code == 200
    conforms(api, "put", "/calendar/days/2028-03-09", day)
    for path in (
        "/calendar/add-workdays?start=2028-03-01&days=3",
        "/calendar/count-workdays?start=2028-03-01&end=2028-03-20",
        "/calendar/unconfirmed-cases",
    ):
        conforms(api, "get", path, api.get(path, "admin"))
    year = api.get("/calendar/2028", "admin").get_json()
    assert year["confirmed"] and {d["date"] for d in year["days"]} == {
        "2028-01-01",
        "2028-01-29",
        "2028-03-09",
    }


def test_cases_and_tasks_carry_their_clocks(api):
    case_no = submit(api)
    doc = api.get(f"/cases/{case_no}", "env_clerk").get_json()
    assert (
        doc["deadline_kind"] == "acceptance"
        and doc["light"] in ("green", "yellow")
        and doc["confirmed"] in (True, False)
    )
    acceptance = next(c for c in doc["clocks"] if c["kind"] == "acceptance")
    assert acceptance["limit_wd"] == 5 and acceptance["remaining_wd"] == 5
    task = api.get(f"/tasks/{open_task(api, case_no, 'accept')['id']}", "env_clerk").get_json()
    assert task["clock"]["limit_wd"] == 2 and task["light"] in ("green", "yellow")


def test_open_cases_on_unconfirmed_days_are_listed(app, api):
    from datetime import datetime, timedelta, timezone

    from app.services.tasks import complete_task
    from tests.factories import actor, open_task, submit  # noqa: I001

    case_no = submit(api)
    task = open_task(api, case_no, "accept")
    with app.app_context():
        # accepted on 2026-12-21: the promised decision deadline (10 WD) lands in 2027
        complete_task(
            actor("env_clerk"),
            task["id"],
            {"accept_outcome": "accept"},
            now=datetime(2026, 12, 21, 10, tzinfo=timezone(timedelta(hours=8))),
        )
    body = api.get("/calendar/unconfirmed-cases", "supervisor").get_json()
    assert body["years"] == [2027] and [c["case_no"] for c in body["cases"]] == [case_no]
    assert api.get("/calendar/unconfirmed-cases", "tr_clerk").get_json()["count"] == 0
    assert api.get("/calendar/unconfirmed-cases", "applicant").status_code == 403
