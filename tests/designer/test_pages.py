"""The designer pages and the workbench endpoints over the session (CSRF), without a browser."""

from __future__ import annotations

import json

import pytest

from tests.designer.conftest import copied_item, real_item_files
from tests.web.helpers import web_login

SLUG, CODE = "zz_freight_pages", "350206-QXJT-XK-9201"


def post_json(client, url, body, csrf):
    return client.post(
        url, data=json.dumps(body), content_type="application/json", headers={"X-CSRFToken": csrf}
    )


def test_designer_lands_on_the_designer_pages_not_a_403(client):
    web_login(client, "designer")
    resp = client.get("/", follow_redirects=True)
    assert resp.status_code == 200 and "流程设计" in resp.get_data(as_text=True)
    assert resp.request.path == "/designer/"


def test_caseworkers_may_not_open_the_designer(client):
    web_login(client, "tr_clerk")
    assert client.get("/designer/").status_code == 403


def test_a_departments_designer_sees_only_its_items(client, env_designer):
    web_login(client, env_designer)
    page = client.get("/designer/").get_data(as_text=True)
    assert "350200-SXHJ-XK-0001" in page  # env: EIA
    assert "350206-QXJT-XK-0001" not in page  # transport
    assert client.get("/designer/items/350206-QXJT-XK-0001").status_code == 403


def test_version_page_shows_diagram_forms_and_catalogue_entry(client):
    web_login(client, "designer")
    code = "350206-QXJT-XK-0001"
    item_page = client.get(f"/designer/items/{code}").get_data(as_text=True)
    version = item_page.split('data-version="')[1].split('"')[0]
    page = client.get(f"/designer/items/{code}/versions/{version}").get_data(as_text=True)
    assert 'id="bpmn-canvas"' in page and "review.json" in page and "法定时限" in page
    xml = client.get(f"/designer/items/{code}/versions/{version}/files/road_freight_permit.bpmn")
    assert xml.status_code == 200 and b'<bpmn:process id="road_freight_permit"' in xml.data


def test_template_draft_is_valid_and_deploys(client, scratch):
    csrf = web_login(client, "designer")
    resp = client.post(
        "/designer/drafts",
        data={
            "csrf_token": csrf,
            "code": "350200-SXHJ-XK-9301",
            "slug": "zz_template_item",
            "name_zh": "测试事项",
            "name_en": "Test item",
            "department": "env",
        },
    )
    assert resp.status_code == 303
    draft_url = resp.headers["Location"]
    content = client.get(f"{draft_url}/content.json").get_json()
    assert set(content["forms"]) >= {
        "accept.json",
        "review.json",
        "decide.json",
        "issue_result.json",
        "application.json",
    }
    report = post_json(client, f"{draft_url}/validate", content, csrf).get_json()
    assert report["errors"] == [], report["errors"]
    deployed = post_json(client, f"{draft_url}/deploy", content, csrf)
    assert deployed.status_code == 201 and deployed.get_json()["item_code"] == "350200-SXHJ-XK-9301"


def test_save_needs_the_csrf_token_and_refuses_a_stale_draft(client, scratch):
    csrf = web_login(client, "designer")
    resp = client.post(
        "/designer/drafts",
        data={"csrf_token": csrf, "source": "350206-QXJT-XK-0001", "code": CODE, "slug": SLUG},
    )
    draft_url = resp.headers["Location"]
    content = client.get(f"{draft_url}/content.json").get_json()
    assert post_json(client, f"{draft_url}/save", content, "forged").status_code == 400
    first = post_json(client, f"{draft_url}/save", content, csrf)
    assert first.status_code == 200 and first.get_json()["lock_version"] == content["lock_version"] + 1
    stale = post_json(client, f"{draft_url}/save", content, csrf)  # still the old lock_version
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "stale_draft"
    bad = post_json(
        client,
        f"{draft_url}/save",
        {**content, "files": {"x.txt": "nope"}, "lock_version": first.get_json()["lock_version"]},
        csrf,
    )
    assert bad.status_code == 422
    assert client.get(f"{draft_url}/content.json").get_json()["files"] == content["files"]


def test_invalid_draft_deploy_is_422_and_shows_findings(client, scratch):
    csrf = web_login(client, "designer")
    files, forms, item = copied_item(SLUG, CODE)
    resp = client.post(
        "/designer/drafts",
        data={"csrf_token": csrf, "source": "350206-QXJT-XK-0001", "code": CODE, "slug": SLUG},
    )
    draft_url = resp.headers["Location"]
    content = client.get(f"{draft_url}/content.json").get_json()
    del content["forms"]["review.json"]
    resp = post_json(client, f"{draft_url}/deploy", content, csrf)
    assert resp.status_code == 422
    errors = resp.get_json()["error"]["details"]["errors"]
    assert [e["element_id"] for e in errors] == ["review"] and errors[0]["stage_label"] == "平台规则"


def test_form_preview_uses_the_task_page_renderer(client):
    csrf = web_login(client, "designer")
    _, forms, _ = real_item_files()
    body = post_json(
        client, "/designer/preview-form", {"name": "accept.json", "form": forms["accept.json"]}, csrf
    ).get_json()
    assert 'name="accept_outcome"' in body["html"] and "予以受理" in body["html"]
    assert [f for f in body["findings"] if f.get("stage") == "form" and "invalid" in f["message"]] == []


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ({"schema": {"type": "object", "properties": {"a": {"type": "nonsense"}}}}, "invalid JSON Schema"),
        (
            {
                "schema": {"type": "object", "properties": {"a": {"type": "string", "title": "A"}}},
                "ui": {"order": ["b"]},
            },
            "ui.order names 'b'",
        ),
        ({"schema": {"type": "array"}}, '"type": "object"'),
    ],
    ids=["bad-schema", "ui-unknown-field", "not-an-object"],
)
def test_form_preview_reports_bad_forms(client, form, expected):
    csrf = web_login(client, "designer")
    body = post_json(client, "/designer/preview-form", {"name": "x.json", "form": form}, csrf).get_json()
    assert any(expected in f["message"] for f in body["findings"]), body["findings"]


def test_english_pages_show_english_words(client):
    web_login(client, "designer")
    client.get("/lang/en")
    page = client.get("/designer/").get_data(as_text=True)
    assert '<h2 id="h-drafts">Drafts</h2>' in page and "Copy an existing item" in page
    assert "草稿" not in page
