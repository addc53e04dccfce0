"""E-licences, reuse, 好差评 and 双公示 over the real API, on cases walked through their real BPMN."""

from __future__ import annotations

from sqlalchemy import select, update

from app.models import Alert, CaseNotice, Licence, Publication, Rectification, Session
from tests.results.helpers import walk


def _licence(app, case_no):
    with app.app_context():
        from app.models import Case

        case = Session.scalar(select(Case).where(Case.case_no == case_no))
        lic = Session.scalar(select(Licence).where(Licence.case_id == case.id))
        Session.remove()
        return lic


def test_an_approval_issues_a_signed_licence_that_verifies_valid_with_masked_holder(api, app):
    case_no = walk(
        api,
        "road_freight_permit",
        "person_accept_approve",
        overrides={"issue_result": {"valid_until": "2030-12-31"}},
    )
    lic = _licence(app, case_no)
    assert lic is not None and lic.licence_no.startswith("DYJY350206")
    resp = api.get(f"/licences/verify/{lic.licence_no}?code={lic.verify_code}")
    body = resp.get_json()
    assert resp.status_code == 200 and body["result"] == "valid" and body["signature_valid"] is True
    assert body["valid_until"] == "2030-12-31"
    assert "*" in body["holder_id_no"] and body["holder_id_no"] != lic.holder_id_no
    assert body["holder_name"] != lic.holder_name and body["case_no"] is None
    own = api.get(f"/licences/{lic.licence_no}", "applicant").get_json()
    assert own["holder_id_no"] == lic.holder_id_no  # the holder sees the whole number


def test_a_record_changed_behind_the_apps_back_is_reported_as_tampered(api, app):
    case_no = walk(api, "road_freight_permit", "accept_approve")
    lic = _licence(app, case_no)
    with app.app_context():
        Session.execute(update(Licence).where(Licence.id == lic.id).values(holder_name="别人的公司"))
        Session.commit()
    body = api.get(f"/licences/verify/{lic.licence_no}?code={lic.verify_code}").get_json()
    assert body["result"] == "tampered" and body["signature_valid"] is False
    assert "holder_name" not in body
    assert body["message"] == "证照数据与签发时的签名不符，可能被篡改，请勿采信"
    english = api.get(
        f"/licences/verify/{lic.licence_no}?code={lic.verify_code}", headers={"Accept-Language": "en"}
    ).get_json()
    assert english["message"] == (
        "The record does not match its signature and may have been tampered with; do not rely on it"
    )


def test_a_revoked_licence_set_back_to_valid_in_the_database_is_tampered(api, app):
    case_no = walk(api, "road_freight_permit", "accept_approve")
    lic = _licence(app, case_no)
    assert (
        api.post(
            f"/licences/{lic.licence_no}/revoke", "tr_head", json={"reason": "以欺骗手段取得许可"}
        ).status_code
        == 200
    )
    with app.app_context():
        Session.execute(
            update(Licence).where(Licence.id == lic.id).values(status="valid", status_reason=None)
        )
        Session.commit()
    assert (
        api.get(f"/licences/verify/{lic.licence_no}?code={lic.verify_code}").get_json()["result"]
        == "tampered"
    )


def test_forged_numbers_and_wrong_codes_answer_404_and_reveal_nothing(api, app):
    case_no = walk(api, "road_freight_permit", "accept_approve")
    lic = _licence(app, case_no)
    altered = lic.licence_no[:-2] + ("1" if lic.licence_no[-2] != "1" else "2") + lic.licence_no[-1]
    resp = api.get(f"/licences/verify/{altered}?code={lic.verify_code}")
    assert resp.status_code == 404 and "校验位" in resp.get_json()["error"]["message"]
    resp = api.get(f"/licences/verify/{lic.licence_no}?code=WRONG222")
    assert resp.status_code == 404 and lic.holder_name not in resp.get_data(as_text=True)
    assert api.get(f"/licences/verify/{lic.licence_no}").status_code == 422


def test_revoking_needs_the_issuing_head_and_a_reason_and_changes_nothing_otherwise(api, app):
    case_no = walk(api, "road_freight_permit", "accept_approve")
    lic = _licence(app, case_no)
    assert (
        api.post(f"/licences/{lic.licence_no}/revoke", "tr_decider", json={"reason": "x"}).status_code == 403
    )
    assert api.post(f"/licences/{lic.licence_no}/revoke", "env_head", json={"reason": "x"}).status_code == 403
    assert api.post(f"/licences/{lic.licence_no}/revoke", "tr_head", json={"reason": ""}).status_code == 422
    assert api.post(f"/licences/{lic.licence_no}/revoke", "tr_head", json={}).status_code == 422
    assert _licence(app, case_no).status == "valid"
    with app.app_context():
        assert Session.scalar(select(Publication.state)) == "published"  # road freight publishes itself


def test_revocation_notifies_the_holder_and_withdraws_the_publication(api, app):
    case_no = walk(api, "road_freight_permit", "accept_approve")
    lic = _licence(app, case_no)
    before = api.get("/public/decisions").get_json()
    assert before["total"] == 1 and before["decisions"][0]["decision"] == "approved"
    resp = api.post(f"/licences/{lic.licence_no}/revoke", "tr_head", json={"reason": "以欺骗手段取得许可"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "revoked"
    again = api.post(f"/licences/{lic.licence_no}/annul", "tr_head", json={"reason": "重复操作"})
    assert again.status_code == 409 and again.get_json()["error"]["message"] == "证照已撤销"
    again = api.post(
        f"/licences/{lic.licence_no}/annul",
        "tr_head",
        json={"reason": "重复操作"},
        headers={"Accept-Language": "en"},
    )
    assert again.status_code == 409 and again.get_json()["error"]["message"] == "The licence has been revoked"
    assert (
        api.get(f"/licences/verify/{lic.licence_no}?code={lic.verify_code}").get_json()["result"] == "revoked"
    )
    assert api.get("/public/decisions").get_json()["total"] == 0
    with app.app_context():
        titles = list(Session.scalars(select(CaseNotice.title)))
        assert "电子证照已撤销" in titles
    again = api.post(f"/licences/{lic.licence_no}/revoke", "tr_head", json={"reason": "again"})
    assert again.status_code == 409


def test_a_manual_item_publishes_on_its_7wd_clock_and_withdraws_on_its_3wd_clock(api, app):
    case_no = walk(api, "hazardous_waste_licence", "accept_inspect_approve")
    lic = _licence(app, case_no)
    assert (lic.valid_until - lic.issued_on).days in (1825, 1826)  # 5 years (管理办法 第十二条)
    assert api.get("/public/decisions").get_json()["total"] == 0  # not yet published
    pubs = api.get("/publications", "env_clerk").get_json()["publications"]
    assert len(pubs) == 1 and pubs[0]["clock"] == "publish" and pubs[0]["light"] == "green"
    assert api.post(f"/publications/{pubs[0]['id']}/publish", "tr_clerk").status_code == 404
    assert api.post(f"/publications/{pubs[0]['id']}/publish", "env_clerk").status_code == 200
    assert api.get("/public/decisions", query_string={"q": "危险废物"}).get_json()["total"] == 1
    api.post(f"/licences/{lic.licence_no}/revoke", "env_head", json={"reason": "许可条件已不具备"})
    pubs = api.get("/publications", "env_clerk").get_json()["publications"]
    assert pubs[0]["state"] == "withdrawing" and pubs[0]["clock"] == "withdraw"
    assert api.post(f"/publications/{pubs[0]['id']}/withdraw", "env_clerk").status_code == 200
    assert api.get("/public/decisions").get_json()["total"] == 0


def test_a_denial_is_published_and_a_public_service_never_is(api, app):
    walk(api, "road_freight_permit", "deny")
    walk(api, "road_cert_reissue", "issue")
    listed = api.get("/public/decisions").get_json()["decisions"]
    assert [d["decision"] for d in listed] == ["denied"]
    assert api.get("/public/decisions", query_string={"per_page": 1000}).status_code == 422


def test_a_licence_is_reused_for_a_material_and_bad_ones_are_refused(api, app):
    permit_no = walk(
        api,
        "road_freight_permit",
        "accept_approve",
        overrides={"issue_result": {"valid_until": "2031-06-30"}},
    )
    lic = _licence(app, permit_no)
    from tests.factories import applicant_of, scenario

    application = dict(scenario("road_cert_reissue", "issue")["application"])
    permit_app = scenario("road_freight_permit", "accept_approve")["application"]
    for key in ("applicant_kind", "applicant_name", "applicant_id_number", "legal_representative"):
        application[key] = permit_app[key]
    resp = api.post(
        "/cases",
        "applicant",
        json={"item_code": "road_cert_reissue", "applicant": applicant_of(application), "data": application},
    )
    case_no = resp.get_json()["case_no"]
    bad = api.post(
        f"/cases/{case_no}/materials",
        "applicant",
        json={"code": "road_transport_business_licence", "licence_no": lic.licence_no[:-1] + "0"},
    )
    assert bad.status_code == 422
    wrong_material = api.post(
        f"/cases/{case_no}/materials",
        "applicant",
        json={"code": "vehicle_licence", "licence_no": lic.licence_no},
    )
    assert wrong_material.status_code == 422
    other = api.post(
        f"/cases/{case_no}/materials",
        "applicant2",
        json={"code": "road_transport_business_licence", "licence_no": lic.licence_no},
    )
    assert other.status_code == 404
    ok = api.post(
        f"/cases/{case_no}/materials",
        "applicant",
        json={"code": "road_transport_business_licence", "licence_no": lic.licence_no},
    )
    assert ok.status_code == 201 and ok.get_json()["licence_no"] == lic.licence_no
    assert (
        api.post(
            f"/cases/{case_no}/materials",
            "applicant",
            json={"code": "road_transport_business_licence", "licence_no": lic.licence_no},
        ).status_code
        == 409
    )
    task = [t for t in api.get("/tasks", "tr_clerk").get_json()["tasks"] if t["case_no"] == case_no][0]
    data = scenario("road_cert_reissue", "issue")["steps"][0]["data"]
    assert api.post(f"/tasks/{task['id']}/complete", "tr_clerk", json={"data": data}).status_code == 200
    issued = _licence(app, case_no)
    assert (
        issued.valid_until.isoformat() == "2031-06-30"
    )  # the reissued certificate keeps the permit's validity


def test_a_revoked_licence_cannot_be_reused(api, app):
    permit_no = walk(api, "road_freight_permit", "accept_approve")
    lic = _licence(app, permit_no)
    api.post(f"/licences/{lic.licence_no}/revoke", "tr_head", json={"reason": "撤销"})
    from tests.factories import applicant_of, scenario

    application = dict(scenario("road_cert_reissue", "issue")["application"])
    permit_app = scenario("road_freight_permit", "accept_approve")["application"]
    for key in ("applicant_kind", "applicant_name", "applicant_id_number", "legal_representative"):
        application[key] = permit_app[key]
    case_no = api.post(
        "/cases",
        "applicant",
        json={"item_code": "road_cert_reissue", "applicant": applicant_of(application), "data": application},
    ).get_json()["case_no"]
    resp = api.post(
        f"/cases/{case_no}/materials",
        "applicant",
        json={"code": "road_transport_business_licence", "licence_no": lic.licence_no},
    )
    assert resp.status_code == 422 and resp.get_json()["error"]["message"] == "该电子证照已撤销，不能使用"
    resp = api.post(
        f"/cases/{case_no}/materials",
        "applicant",
        json={"code": "road_transport_business_licence", "licence_no": lic.licence_no},
        headers={"Accept-Language": "en"},
    )
    assert resp.status_code == 422
    assert resp.get_json()["error"]["message"] == "The licence has been revoked and cannot be used"


def test_ratings_once_in_range_by_the_applicant_only(api, app):
    open_case = walk(api, "road_freight_permit", "accept_approve")
    assert api.post(f"/cases/{open_case}/rating", "applicant2", json={"score": 5}).status_code == 404
    assert api.post(f"/cases/{open_case}/rating", "tr_clerk", json={"score": 5}).status_code == 404
    assert api.post(f"/cases/{open_case}/rating", "applicant", json={"score": 6}).status_code == 422
    assert api.post(f"/cases/{open_case}/rating", "applicant", json={"score": True}).status_code == 422
    assert (
        api.post(
            f"/cases/{open_case}/rating", "applicant", json={"score": 4, "tags": ["不存在的标签"]}
        ).status_code
        == 422
    )
    first = api.post(f"/cases/{open_case}/rating", "applicant", json={"score": 4, "tags": ["一次办好"]})
    assert (
        first.status_code == 201
        and first.get_json()["level"] == "满意"
        and first.get_json()["rectification"] is None
    )
    assert api.post(f"/cases/{open_case}/rating", "applicant", json={"score": 5}).status_code == 409


def test_a_bad_rating_opens_a_rectification_whose_reply_reaches_the_applicant(api, app):
    case_no = walk(api, "road_freight_permit", "accept_approve")
    rated = api.post(
        f"/cases/{case_no}/rating",
        "applicant",
        json={"score": 1, "comment": "跑了三次", "tags": ["多次跑动"]},
    )
    rect = rated.get_json()["rectification"]
    assert rect["state"] == "open" and rect["light"] == "green"
    listed = api.get("/rectifications", "tr_decider").get_json()["rectifications"]
    assert [r["id"] for r in listed] == [rect["id"]]
    assert api.get("/rectifications", "env_decider").get_json()["rectifications"] == []
    bad = api.post(
        f"/rectifications/{rect['id']}/reply",
        "tr_clerk",
        json={"outcome": "fixed", "finding": "x", "reply": "y"},
    )
    assert bad.status_code == 422
    assert (
        api.post(
            f"/rectifications/{rect['id']}/reply",
            "env_clerk",
            json={"outcome": "rectified", "finding": "x", "reply": "y"},
        ).status_code
        == 404
    )
    ok = api.post(
        f"/rectifications/{rect['id']}/reply",
        "tr_clerk",
        json={"outcome": "rectified", "finding": "窗口告知不清", "reply": "已改进一次性告知，向您致歉"},
    )
    assert ok.status_code == 200 and ok.get_json()["state"] == "answered"
    seen = api.get(f"/cases/{case_no}/rating", "applicant").get_json()
    assert seen["rectification"]["reply"] == "已改进一次性告知，向您致歉"
    with app.app_context():
        assert Session.scalar(select(CaseNotice.body).where(CaseNotice.event == "rating_reply")).endswith(
            "向您致歉"
        )


def test_appeals_only_by_the_owning_department_and_decided_by_a_supervisor(api, app):
    case_no = walk(api, "road_freight_permit", "accept_approve")
    rating = api.post(f"/cases/{case_no}/rating", "applicant", json={"score": 2}).get_json()
    assert (
        api.post(f"/ratings/{rating['id']}/appeal", "env_decider", json={"reason": "恶意差评"}).status_code
        == 404
    )
    assert api.post(f"/ratings/{rating['id']}/appeal", "tr_decider", json={"reason": ""}).status_code == 422
    assert (
        api.post(f"/ratings/{rating['id']}/appeal", "tr_decider", json={"reason": "申请人误评"}).status_code
        == 200
    )
    assert (
        api.post(
            f"/ratings/{rating['id']}/appeal/decision", "tr_head", json={"uphold": True, "opinion": "x"}
        ).status_code
        == 403
    )
    decided = api.post(
        f"/ratings/{rating['id']}/appeal/decision",
        "supervisor",
        json={"uphold": True, "opinion": "经核实为误评"},
    )
    assert decided.status_code == 200 and decided.get_json()["appeal_state"] == "upheld"
    assert decided.get_json()["rectification"]["state"] == "withdrawn"


def test_a_late_rectification_turns_red_and_raises_a_supervised_alert(api, app):
    from datetime import timedelta

    from app.models import utcnow
    from app.services import results_sweep

    case_no = walk(api, "road_freight_permit", "accept_approve")
    api.post(f"/cases/{case_no}/rating", "applicant", json={"score": 1})
    with app.app_context():
        results_sweep.sweep(utcnow() + timedelta(days=30))
        rect = Session.scalar(select(Rectification))
        assert rect.light == "red"
        levels = set(Session.scalars(select(Alert.level).where(Alert.subject_kind == "rectification")))
        assert levels == {"red"}
        Session.remove()
    rect_id = api.get("/rectifications", "tr_clerk").get_json()["rectifications"][0]["id"]
    api.post(
        f"/rectifications/{rect_id}/reply",
        "tr_clerk",
        json={"outcome": "explained", "finding": "f", "reply": "r"},
    )
    with app.app_context():
        assert set(Session.scalars(select(Alert.state).where(Alert.subject_kind == "rectification"))) == {
            "resolved"
        }


def test_the_cockpit_counts_licence_coverage_reuse_publication_and_satisfaction(api, app):
    case_no = walk(api, "road_freight_permit", "accept_approve")
    api.post(f"/cases/{case_no}/rating", "applicant", json={"score": 5})
    from app.services import reports
    from app.services.cockpit import month_period
    from app.services.workdays import today
    from tests.factories import actor

    with app.app_context():
        rows = {
            r["indicator"]: r["value"]
            for r in reports.results_rows(actor("supervisor"), month_period(None, today()), today())
        }
        Session.remove()
    assert rows["准予决定电子证照覆盖率"] == "100.0%"
    assert rows["许可决定按时公示率"] == "100.0%"
    assert rows["满意率（满意及以上）"] == "100.0%"
    assert rows["即办件占比"] == "0.0%"


def test_a_publication_alert_raised_before_delivery_stays_open_when_the_case_ends(api, app):
    """Decided, not yet published: the 7-WD publication clock runs out before the licence is delivered.
    Delivering ends the case and resolves the case's own alerts — not the publication's, which is still
    not done (it was resolved with them, and never raised again: one alert per subject and level)."""
    from datetime import datetime, timedelta

    from app.models import Case, utcnow
    from app.models.vocab import SHANGHAI
    from app.services import results_sweep
    from tests.factories import DEPT, USERS, scenario

    case_no = walk(api, "eia_report_form", "accept_approve", until="issue_result")
    with app.app_context():
        results_sweep.sweep(utcnow() + timedelta(days=30))
        pub_alerts = select(Alert.state).where(Alert.subject_kind == "publication")
        assert set(Session.scalars(pub_alerts)) == {"open"}
        Session.remove()
    step = next(
        s for s in scenario("eia_report_form", "accept_approve")["steps"] if s["task"] == "issue_result"
    )
    clerk = USERS[(DEPT["eia_report_form"], step["role"])]
    task = next(
        t
        for t in api.get("/tasks", clerk).get_json()["tasks"]
        if t["case_no"] == case_no and t["bpmn_id"] == "issue_result"
    )
    today = datetime.now(SHANGHAI).date().isoformat()
    data = {**step["data"], "issue_date": today, "delivered_on": today}
    assert api.post(f"/tasks/{task['id']}/complete", clerk, json={"data": data}).status_code == 200
    with app.app_context():
        case = Session.scalar(select(Case).where(Case.case_no == case_no))
        assert case.status == "completed"
        assert set(Session.scalars(pub_alerts)) == {"open"}
        Session.remove()


def test_a_refused_appeal_on_the_results_page_is_flashed_in_the_pages_language(api, app, client):
    from tests.web.helpers import visible_text, web_login

    case_no = walk(api, "road_freight_permit", "accept_approve")
    rating = api.post(f"/cases/{case_no}/rating", "applicant", json={"score": 5}).get_json()
    token = web_login(client, "tr_decider")
    form = {"csrf_token": token, "reason": "申请人误评", "back": "/results/"}
    page = visible_text(
        client.post(f"/results/ratings/{rating['id']}/appeal", data=form, follow_redirects=True).data.decode()
    )
    assert "只有差评可以申诉" in page and "only a bad rating" not in page.lower()
    client.get("/lang/en")
    page = visible_text(
        client.post(f"/results/ratings/{rating['id']}/appeal", data=form, follow_redirects=True).data.decode()
    )
    assert "Only a bad rating can be appealed" in page and "只有差评可以申诉" not in page
