"""The designer API on copies of a real item: validate, deploy versions, diff, export, migrate cases."""

from __future__ import annotations

import io
import zipfile

import pytest
import yaml

from tests.designer.bpmn_edit import insert_user_task
from tests.designer.conftest import ROOT, copied_item, multipart, real_item_files
from tests.designer.flows import case_doc, complete, open_steps, start_case
from tests.engine.test_migration import EXPERT_FORM

SLUG, CODE = "zz_freight_copy", "350206-QXJT-XK-9001"


def deploy(api, files, forms, item, user="designer", code=CODE):
    return api.post(
        f"/items/{code}/versions",
        user,
        data=multipart(files, forms, item),
        content_type="multipart/form-data",
    )


def with_expert_review(files: dict[str, str], lane: str | None = "reviewer") -> dict[str, str]:
    main = f"{SLUG}.bpmn"
    new = insert_user_task(
        files[main].encode(), "flow_review_decide", "expert_review", "专家评审", lane, {"time_limit_wd": "1"}
    )
    return {**files, main: new.decode()}


def validate(api, files, forms, item, user="designer"):
    return api.post(
        "/processes/validate", user, data=multipart(files, forms, item), content_type="multipart/form-data"
    )


def test_real_item_validates_without_errors(api):
    files, forms, item = real_item_files()
    resp = validate(api, files, forms, item)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["valid"] is True and body["errors"] == []


def test_validation_lists_element_errors_with_file_and_line_and_is_never_a_5xx(api):
    files, forms, item = copied_item(SLUG, CODE)
    resp = validate(api, with_expert_review(files, lane=None), forms, item)
    assert resp.status_code == 200
    errors = resp.get_json()["errors"]
    on_task = [e for e in errors if e["element_id"] == "expert_review"]
    assert {e["file"] for e in on_task} == {f"{SLUG}.bpmn"} and all(e["line"] for e in on_task)
    assert any("lane" in e["message"] for e in on_task) and any(
        "expert_review.json" in e["message"] for e in on_task
    )


@pytest.mark.parametrize(
    ("name", "content", "stage"),
    [
        ("x.bpmn", b"<bpmn:definitions", "xml"),
        (
            "x.bpmn",
            b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n<x>&e;</x>',
            "xml",
        ),
        ("review.json", b'{"schema": {"type": "object", "properties": {"a": {"type": "nonsense"}}}}', "form"),
        ("accept.json", b'{"schema": ', "form"),
        ("item.yaml", b"code: [unclosed", "item"),
    ],
    ids=["malformed-xml", "xxe", "invalid-json-schema", "invalid-json", "invalid-yaml"],
)
def test_bad_files_are_precise_errors(api, name, content, stage):
    files, forms, item = real_item_files()
    upload = multipart(files, forms, item)
    upload[f"bad_{name}"] = (io.BytesIO(content), name)
    for key in list(upload):
        if key != f"bad_{name}" and upload[key][1] == name:
            del upload[key]
    resp = api.post("/processes/validate", "designer", data=upload, content_type="multipart/form-data")
    assert resp.status_code == 200
    errors = [e for e in resp.get_json()["errors"] if e["file"] == name]
    assert errors and errors[0]["stage"] == stage, resp.get_json()["errors"]


def test_validation_needs_a_designer(api):
    files, forms, item = real_item_files()
    assert (
        api.post(
            "/processes/validate", data=multipart(files, forms, item), content_type="multipart/form-data"
        ).status_code
        == 401
    )
    assert validate(api, files, forms, item, user="tr_clerk").status_code == 403


def test_deploy_creates_an_immutable_version_and_new_cases_start_on_it(api, scratch):
    files, forms, item = copied_item(SLUG, CODE)
    first = deploy(api, files, forms, item)
    assert first.status_code == 201, first.get_json()
    v1 = first.get_json()["version"]
    again = deploy(api, files, forms, item)
    assert again.status_code == 200 and again.get_json() == {**first.get_json(), "created": False}

    old_case = start_case(api, CODE)
    complete(api, old_case, "accept", "clerk")
    v2_resp = deploy(api, with_expert_review(files), {**forms, "expert_review.json": EXPERT_FORM}, item)
    assert v2_resp.status_code == 201, v2_resp.get_json()
    v2 = v2_resp.get_json()["version"]
    assert v2 != v1

    new_case = start_case(api, CODE)
    for task, role in [("accept", "clerk"), ("review", "reviewer")]:
        complete(api, new_case, task, role)
    assert open_steps(api, new_case) == ["expert_review"]
    for task, role in [("expert_review", "reviewer"), ("decide", "decider"), ("issue_result", "clerk")]:
        complete(api, new_case, task, role)
    assert case_doc(api, new_case)["status"] == "completed"

    for task, role in [("review", "reviewer"), ("decide", "decider"), ("issue_result", "clerk")]:
        complete(api, old_case, task, role)  # the old case never meets the new step
    assert case_doc(api, old_case)["status"] == "completed"

    listed = api.get(f"/items/{CODE}/versions", "designer").get_json()["versions"]
    assert [(v["version"], v["current"]) for v in listed] == [(v2, True), (v1, False)]


def test_invalid_deploy_is_422_with_the_findings_and_creates_nothing(api, scratch):
    files, forms, item = copied_item(SLUG, CODE)
    resp = deploy(api, with_expert_review(files, lane=None), forms, item)
    assert resp.status_code == 422
    details = resp.get_json()["error"]["details"]
    assert any(e["element_id"] == "expert_review" for e in details["errors"])
    assert api.get(f"/items/{CODE}", "designer").status_code == 404


def test_promised_limit_above_the_statutory_one_is_refused_at_its_field(api, scratch):
    files, forms, item = copied_item(SLUG, CODE)
    item["limits"]["promised_wd"] = item["limits"]["statutory_wd"] + 1
    errors = deploy(api, files, forms, item).get_json()["error"]["details"]["errors"]
    assert [e["element_id"] for e in errors] == ["limits.promised_wd"] and errors[0]["file"] == "item.yaml"


def test_another_departments_item_is_forbidden_and_unchanged(api, scratch, env_designer):
    files, forms, item = copied_item(SLUG, CODE)  # department transport
    resp = deploy(api, files, forms, item, user=env_designer)
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "other_department"
    assert deploy(api, files, forms, item).status_code == 201
    assert api.get(f"/items/{CODE}/versions", env_designer).status_code == 403
    assert (
        api.post(
            f"/items/{CODE}/migrations", env_designer, json={"from_version": "a", "to_version": "b"}
        ).status_code
        == 403
    )


def test_code_in_the_address_must_match_item_yaml(api, scratch):
    files, forms, item = copied_item(SLUG, CODE)
    resp = deploy(api, files, forms, item, code="350206-QXJT-XK-0001")
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "item_code_mismatch"


def test_diff_and_export_of_two_versions(api, scratch):
    files, forms, item = copied_item(SLUG, CODE)
    v1 = deploy(api, files, forms, item).get_json()["version"]
    item2 = {**item, "limits": {**item["limits"], "promised_wd": 4}}
    v2 = deploy(
        api, with_expert_review(files), {**forms, "expert_review.json": EXPERT_FORM}, item2
    ).get_json()["version"]
    diff = api.get(f"/items/{CODE}/diff?from={v1}&to={v2}", "designer").get_json()
    assert "expert_review" in {e["id"] for e in diff["elements"]["added"]}
    assert diff["forms"]["added"] == ["expert_review.json"]
    assert diff["limits"] == {"promised_wd": {"from": item["limits"]["promised_wd"], "to": 4}}

    resp = api.get(f"/items/{CODE}/versions/{v2}/export", "designer")
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    names = set(zipfile.ZipFile(io.BytesIO(resp.data)).namelist())
    assert f"processes/{SLUG}/{SLUG}.bpmn" in names and f"processes/{SLUG}/item.yaml" in names
    assert f"forms/{SLUG}/expert_review.json" in names
    exported = yaml.safe_load(zipfile.ZipFile(io.BytesIO(resp.data)).read(f"processes/{SLUG}/item.yaml"))
    assert exported["limits"]["promised_wd"] == 4


def test_dry_run_then_migration_moves_waiting_cases_and_refuses_the_others(api, scratch):
    files, forms, item = copied_item(SLUG, CODE)
    v1 = deploy(api, files, forms, item).get_json()["version"]
    waiting = start_case(api, CODE)  # at accept
    at_review = start_case(api, CODE)
    complete(api, at_review, "accept", "clerk")
    main = f"{SLUG}.bpmn"
    changed = with_expert_review(files)
    changed[main] = changed[main].replace(
        'name="time_limit_wd" value="2"', 'name="time_limit_wd" value="3"', 1
    )
    assert 'value="3"' in changed[main]
    v2 = deploy(api, changed, {**forms, "expert_review.json": EXPERT_FORM}, item).get_json()["version"]

    dry = api.post(
        f"/items/{CODE}/migrations", "designer", json={"from_version": v1, "to_version": v2, "dry_run": True}
    )
    assert dry.status_code == 200
    rows = {r["case_no"]: r for r in dry.get_json()["cases"]}
    assert rows[waiting]["movable"] is True and rows[waiting]["current"] == ["accept"]
    assert rows[at_review]["movable"] is False and "review" in rows[at_review]["reasons"][0]
    assert case_doc(api, waiting)["process_version"] == v1  # a dry run changes nothing

    run = api.post(
        f"/items/{CODE}/migrations", "designer", json={"from_version": v1, "to_version": v2, "dry_run": False}
    )
    assert run.status_code == 201 and (run.get_json()["moved"], run.get_json()["refused"]) == (1, 1)
    moved = case_doc(api, waiting)
    assert moved["process_version"] == v2
    assert any(h["action"] == "case.migrate" for h in moved["history"])
    assert case_doc(api, at_review)["process_version"] == v1

    for task, role in [
        ("accept", "clerk"),
        ("review", "reviewer"),
        ("expert_review", "reviewer"),
        ("decide", "decider"),
        ("issue_result", "clerk"),
    ]:
        complete(api, waiting, task, role)
    assert case_doc(api, waiting)["status"] == "completed"


def test_migration_to_a_version_of_another_item_is_refused(api, scratch):
    files, forms, item = copied_item(SLUG, CODE)
    v1 = deploy(api, files, forms, item).get_json()["version"]
    case_no = start_case(api, CODE)
    other = api.get("/items/road_cert_reissue", "designer").get_json()["current_version"]
    resp = api.post(
        f"/items/{CODE}/migrations",
        "designer",
        json={"from_version": v1, "to_version": other, "dry_run": False},
    )
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "version_not_of_item"
    assert case_doc(api, case_no)["process_version"] == v1


def test_camunda_modeler_file_is_mapped_and_reported_over_the_api(api):
    path = ROOT / "tests" / "data" / "miwg" / "reference" / "C.1.0.bpmn"  # Camunda 7 attributes
    upload = {"file": (io.BytesIO(path.read_bytes()), path.name)}
    body = api.post(
        "/processes/validate", "designer", data=upload, content_type="multipart/form-data"
    ).get_json()
    camunda = [w for w in body["warnings"] if w["stage"] == "camunda"]
    assert camunda and all(w["element_id"] and w["file"] == path.name for w in camunda)
    assert any("candidateGroups" in w["message"] for w in camunda)
    assert all(e["element_id"] for e in body["errors"])


def test_dmn_upload_validates_alone(api):
    from tests.engine.test_validation import DMN

    upload = {"file": (io.BytesIO(DMN), "needs_expert_review.dmn")}
    body = api.post(
        "/processes/validate", "designer", data=upload, content_type="multipart/form-data"
    ).get_json()
    assert body["valid"] is True and body["errors"] == []
    # its last row is a catch-all after a specific one: allowed (the first match applies), but said
    assert [(w["element_id"], w["stage"]) for w in body["warnings"]] == [("r2", "dmn")]
    broken = {"file": (io.BytesIO(DMN.replace(b"</decision>", b"")), "needs_expert_review.dmn")}
    body = api.post(
        "/processes/validate", "designer", data=broken, content_type="multipart/form-data"
    ).get_json()
    assert body["valid"] is False and body["errors"][0]["file"] == "needs_expert_review.dmn"
