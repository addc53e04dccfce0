"""The API shape of clocks: one ClockOut for the case and its steps, declared in the OpenAPI document."""

from __future__ import annotations

from tests.web.helpers import open_task_id, submit_case, web_login

CLOCK_FIELDS = {
    "kind",
    "label_zh",
    "label_en",
    "start",
    "deadline",
    "limit_wd",
    "light",
    "used_wd",
    "remaining_wd",
    "overdue_wd",
    "paused",
    "paused_wd",
    "confirmed",
    "stopped_on",
    "pauses",
    "extensions",
    "code",
    "notified_wd",
    "notified_end",
}
KINDS = {"acceptance", "promised", "statutory", "step", "special_procedure", "delivery", "correction_wait"}


def test_a_case_answers_its_clocks_with_every_field(api):
    case_no = submit_case(api)
    doc = api.get(f"/cases/{case_no}", "env_clerk").get_json()
    kinds = [c["kind"] for c in doc["clocks"]]
    # the EIA statute counts from receipt: acceptance and statutory run from the first day
    assert kinds == ["acceptance", "statutory"]
    for clock in doc["clocks"]:
        assert CLOCK_FIELDS <= set(clock), CLOCK_FIELDS - set(clock)
        assert clock["kind"] in KINDS and clock["light"] == "green"
        # confirmed exactly when the deadline lies in a year with an official calendar (≤ 2026 here)
        assert clock["confirmed"] is (clock["deadline"][:4] <= "2026")
        assert isinstance(clock["pauses"], list) and isinstance(clock["extensions"], list)
    task_id = open_task_id(api, case_no, "env_clerk")
    assert (
        api.post(
            f"/tasks/{task_id}/complete", "env_clerk", json={"data": {"accept_outcome": "accept"}}
        ).status_code
        == 200
    )
    doc = api.get(f"/cases/{case_no}", "env_clerk").get_json()
    clocks = {c["kind"]: c for c in doc["clocks"]}
    assert set(clocks) == {"acceptance", "promised", "statutory"}
    assert clocks["acceptance"]["stopped_on"] is not None and clocks["acceptance"]["light"] is None
    assert doc["deadline_kind"] == "promised" and doc["deadline"] == clocks["promised"]["deadline"]
    (step,) = doc["open_tasks"]
    assert (
        step["bpmn_id"] == "review" and CLOCK_FIELDS <= set(step["clock"]) and step["clock"]["kind"] == "step"
    )
    task = api.get(f"/tasks/{step['id']}", "env_reviewer").get_json()
    assert task["clock"] == step["clock"] and task["confirmed"] is step["clock"]["confirmed"]


def test_the_openapi_document_declares_every_clock_field(api):
    spec = api.get("/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    assert CLOCK_FIELDS == set(schemas["ClockOut"]["properties"])
    assert set(schemas["ClockOut"]["properties"]["kind"]["enum"]) == KINDS
    case_doc = schemas["CaseDocumentOut"]["properties"]
    assert case_doc["clocks"]["items"]["$ref"].endswith("/ClockOut")
    assert {"open_tasks", "history", "notices", "deadline", "confirmed", "deemed_accepted"} <= set(case_doc)
    clock = schemas["TaskOut"]["properties"]["clock"]  # nullable: anyOf [null object, ClockOut]
    assert [o["$ref"] for o in clock["anyOf"] if "$ref" in o] == ["#/components/schemas/ClockOut"]
    show = spec["paths"]["/api/v1/cases/{case_no}"]["get"]["responses"]["200"]
    refs = [o["$ref"] for o in show["content"]["application/json"]["schema"]["oneOf"]]
    assert refs == ["#/components/schemas/CaseDocumentOut", "#/components/schemas/ApplicantCaseOut"]


def test_a_task_page_says_unconfirmed_exactly_when_its_step_clock_is(client, api):
    case_no = submit_case(api)
    task_id = open_task_id(api, case_no, "env_clerk")
    clock = api.get(f"/tasks/{task_id}", "env_clerk").get_json()["clock"]
    web_login(client, "env_clerk")
    page = client.get(f"/tasks/{task_id}").data.decode()
    # the step's own clock (the page also shows the case's clocks, whose deadlines may lie elsewhere)
    step = page[page.index(f"<dd>{clock['deadline']}") :].split("</dd>", 1)[0]
    # the page reads the same field the API answers (it once read a field the service did not send)
    assert ("日历未确认" in step) is (not clock["confirmed"])
