"""一件事 on the applicant's side, over HTTP as the demo applicant: the online application wizard renders the
joint form (each department's fields, the materials once) and files through file_joint_application; the
applicant's case page lists each component with its department, status, clock and — once decided — its
documents and e-licence (zh-CN and English); the public progress lookup shows the components masked.
Component slugs, departments and users come from the catalogue (tests/joint/parts.py)."""

from __future__ import annotations

import io

from sqlalchemy import select

from app.models import Case, CaseTask, Session
from app.services import joint, org
from tests.factories import actor
from tests.joint.harness import SLUG, WINDOW, id_check, moment, scenarios, streams
from tests.joint.parts import components, department_of, item_yaml, user_of, with_expert_review
from tests.joint.test_joint_services import run_step
from tests.portal.helpers import PDF
from tests.portal.test_supplement_withdraw import _login

SCENARIO = dict(scenarios())["both_approve"]
JOINT_CODE = item_yaml(SLUG)["code"]


def page_fields(app) -> dict:
    """The scenario's application as the wizard's fields (the same names the page renders)."""
    from app.services.catalogue import get_item
    from app.web import intake_form, joint_form

    application = SCENARIO["application"]
    flat = {k: v for k, v in application.items() if k != "components"}
    for slug, part in application["components"].items():
        flat.update({f"{slug}{joint_form.SEP}{k}": v for k, v in part.items()})
    with app.test_request_context():
        return intake_form.initial_raw(joint_form.merged_form(get_item(SLUG)), flat)


def file_online(app, client) -> str:
    csrf = _login(client)
    files = {f"material-{c}": (io.BytesIO(PDF), f"{c}.pdf") for c in SCENARIO["materials"]}
    resp = client.post(
        f"/apply/{JOINT_CODE}",
        data={"csrf_token": csrf, "confirm": "on", **page_fields(app), **files},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 303, resp.data.decode()[:3000]
    return resp.headers["Location"].rsplit("/", 1)[-1]


def open_tasks(case: Case) -> set[str]:
    return set(
        Session.scalars(
            select(CaseTask.bpmn_id).where(
                CaseTask.case_id == case.id, CaseTask.state.in_(("ready", "claimed"))
            )
        )
    )


def test_the_wizard_renders_the_joint_form_with_every_department_and_the_materials_once(app, client):
    _login(client)
    page = client.get(f"/apply/{JOINT_CODE}").data.decode()
    with app.app_context():
        from app.services.catalogue import get_item

        for slug in components():
            assert get_item(slug).name_zh in page  # each department's fields are labelled with its item
            assert f'name="{slug}__' in page
    for material in item_yaml(SLUG)["materials"]:
        assert page.count(f'id="material-{material["code"]}"') == 1  # the union of the materials, once
    assert 'id="save-draft"' not in page  # drafts are single-item


def test_an_online_joint_application_files_a_master_and_each_department_checks_its_part(app, client, api):
    case_no = file_online(app, client)
    with app.app_context():
        Session.remove()
        master = Session.scalar(select(Case).where(Case.case_no == case_no))
        applicant = actor("applicant")
        assert joint.is_master(master) and master.applicant_user_id == applicant.id
        kids = joint.components_of(master)
        assert sorted(k.item.slug for k in kids) == sorted(components())
        for kid in kids:
            assert kid.department_code == department_of(kid.item.slug)
            assert kid.applicant_user_id is None  # the applicant deals with the master's one number
            assert open_tasks(kid) == {"accept"}  # each department checks its own part first
        assert open_tasks(master) == {"accept"}  # and the window accepts once, as for a window filing
        parts = {k.item.slug: k.case_no for k in kids}
    # the components are not the applicant's to open: only the master
    assert client.get(f"/my/cases/{case_no}").status_code == 200
    for number in parts.values():
        assert client.get(f"/my/cases/{number}").status_code == 404
    # each department accepts its part, then the window accepts the master, over the API
    for slug, number in parts.items():
        doc = api.get(f"/cases/{case_no}", "supervisor").get_json()
        task = next(
            t
            for c in doc["components"]
            if c["case_no"] == number
            for t in c["open_tasks"]
            if t["bpmn_id"] == "accept"
        )
        body = {"data": {"accept_outcome": "accept", "acceptance_note": "本部门材料齐全。"}}
        resp = api.post(f"/tasks/{task['id']}/complete", user_of(slug, "clerk"), json=body)
        assert resp.status_code == 200, resp.get_json()
    doc = api.get(f"/cases/{case_no}", "supervisor").get_json()
    task = next(t for t in doc["open_tasks"] if t["bpmn_id"] == "accept")
    body = {"data": {"accept_outcome": "accept", "acceptance_note": "统一受理。"}}
    assert api.post(f"/tasks/{task['id']}/complete", WINDOW, json=body).status_code == 200
    with app.app_context():
        Session.remove()
        master = Session.scalar(select(Case).where(Case.case_no == case_no))
        assert master.accepted_on is not None and master.statutory_deadline is not None


def decided_master(app) -> tuple[str, str, dict[str, str]]:
    """The applicant's joint case, filed online and walked through both_approve to the collection."""
    with app.app_context():
        master = joint.file_joint_application(
            actor("applicant"),
            SLUG,
            SCENARIO["application"],
            streams(SCENARIO["materials"]),
            id_check=id_check(SCENARIO["application"]),
            now=moment(0),
        )
        for i, step in enumerate(SCENARIO["steps"], start=1):
            run_step(master, step, i)
        Session.refresh(master)
        assert master.status == "completed"
        return (
            master.case_no,
            master.query_code,
            {k.item.slug: k.case_no for k in joint.components_of(master)},
        )


def test_the_applicant_case_page_lists_each_component_with_its_results_in_both_languages(app, client):
    case_no, _code, parts = decided_master(app)
    _login(client)
    page = client.get(f"/my/cases/{case_no}").data.decode()
    assert 'id="components"' in page
    with app.app_context():
        from app.services.catalogue import get_item

        names = {s: (get_item(s).name_zh, get_item(s).name_en) for s in components()}
        depts = {s: (org.name(department_of(s)), org.name(department_of(s), "en")) for s in components()}
    for slug in components():
        assert names[slug][0] in page and depts[slug][0] in page
    assert page.count("准予许可") >= len(components())  # each part's decision, in words
    assert "approved" not in page.split('id="components"')[1].split("</section>")[0]  # never a code
    # each part's documents and e-licence, downloadable through the master
    for number in parts.values():
        assert f"/my/cases/{case_no}/components/{number}/documents/" in page
    link = page.split(f'href="/my/cases/{case_no}/components/')[1].split('"')[0]
    resp = client.get(f"/my/cases/{case_no}/components/{link}")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert "电子证照" in page.split('id="components"')[1]
    client.get("/lang/en")
    page = client.get(f"/my/cases/{case_no}").data.decode()
    for slug in components():
        assert names[slug][1] in page and depts[slug][1] in page
    assert "Granted" in page


def test_a_component_document_is_read_only_through_its_own_master(app, client, api):
    case_no, _code, parts = decided_master(app)
    other_no = file_online(app, client)  # the same applicant's second joint case
    _login(client)
    page = client.get(f"/my/cases/{case_no}").data.decode()
    link = page.split(f'href="/my/cases/{case_no}/components/')[1].split('"')[0]
    assert client.get(f"/my/cases/{other_no}/components/{link}").status_code == 404
    _login(client, "applicant2")
    assert client.get(f"/my/cases/{case_no}/components/{link}").status_code == 404


def test_the_public_progress_lookup_shows_the_components_masked(app, client, api):
    case_no, code, parts = decided_master(app)
    resp = api.get(f"/progress/{case_no}?code={code}")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    listed = body["components"]
    assert sorted(c["item"]["code"] for c in listed) == sorted(item_yaml(s)["code"] for s in components())
    for c in listed:
        assert c["status_name"]["zh"] == "已办结" and c["outcome_name"]["zh"] == "准予许可"
        assert "case_no" not in c and "documents" not in c and "clock" not in c
    text = resp.get_data(as_text=True)
    for number in parts.values():
        assert number not in text  # no component case numbers
    opinions = [s["data"].get("review_opinion") for s in SCENARIO["steps"] if s["data"].get("review_opinion")]
    assert opinions and not any(o in text for o in opinions)  # no internal opinions
    assert SCENARIO["application"]["applicant_name"] not in text  # no personal data
    # the portal's page shows the same
    client.get("/progress")
    with client.session_transaction() as sess:
        token = sess["csrf"]
    page = client.post(
        "/progress", data={"csrf_token": token, "case_no": case_no, "code": code}
    ).data.decode()
    with app.app_context():
        for slug in components():
            assert org.name(department_of(slug)) in page
    assert 'id="components"' in page and not any(n in page for n in parts.values())


def test_a_part_in_progress_shows_its_deadline_and_light_and_a_decided_part_its_status_in_words(app, client):
    """Midway through both_approve: one department has decided (not yet delivered), the others still run."""
    env = with_expert_review()
    steps = SCENARIO["steps"]
    upto = next(i for i, s in enumerate(steps) if s.get("component") == env and s["task"] == "decide")
    with app.app_context():
        master = joint.file_joint_application(
            actor("applicant"),
            SLUG,
            SCENARIO["application"],
            streams(SCENARIO["materials"]),
            id_check=id_check(SCENARIO["application"]),
            now=moment(0),
        )
        for i, step in enumerate(steps[: upto + 1], start=1):
            run_step(master, step, i)
        case_no = master.case_no
        kids = {k.item.slug: k for k in joint.components_of(master)}
        assert kids[env].status == "decided"
        running = {s: k.deadline.isoformat() for s, k in kids.items() if s != env}
        from app.services.catalogue import get_item

        names = {s: get_item(s).name_zh for s in components()}
    _login(client)
    page = client.get(f"/my/cases/{case_no}").data.decode()
    rows = {s: page.split(names[s])[1].split("</tr>")[0] for s in components()}
    assert "已决定，待送达" in rows[env] and ">decided<" not in rows[env]
    for slug, deadline in running.items():
        assert deadline in rows[slug] and 'data-light="' in rows[slug]
        assert any(w in rows[slug] for w in ("正常", "临近期限", "已超期"))  # the light in words


def test_the_applicant_files_a_joint_application_over_the_api_and_reads_its_parts(app, api):
    import json

    form = {"item_code": SLUG, "data": json.dumps(SCENARIO["application"], ensure_ascii=False)}
    for code in SCENARIO["materials"]:
        form[f"material-{code}"] = (io.BytesIO(PDF), f"{code}.pdf")
    resp = api.post("/joint-cases", "applicant", data=form, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    doc = resp.get_json()
    assert "open_tasks" not in doc and "history" not in doc  # the applicant's plain-language document
    assert sorted(c["item"]["code"] for c in doc["components"]) == sorted(
        item_yaml(s)["code"] for s in components()
    )
    assert all(c["status_name"]["zh"] == "受理审查中" and c["documents"] == [] for c in doc["components"])
    again = api.get(f"/cases/{doc['case_no']}", "applicant").get_json()
    assert [c["case_no"] for c in again["components"]] == [c["case_no"] for c in doc["components"]]
