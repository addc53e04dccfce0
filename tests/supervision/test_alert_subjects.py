"""An alert of a result clock (差评整改, here) is named as what it is, not as a step: in the officer's
notification, on the alerts page and in the alerts Excel, in both languages."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from app.models import Alert, Notification, Session, utcnow
from app.services import notify, results_sweep
from engine.workcal import local_date
from tests.results.helpers import walk
from tests.web.helpers import web_login


def test_a_late_rectification_alert_is_named_a_rectification_in_its_notification_page_and_export(
    api, app, client
):
    case_no = walk(api, "road_freight_permit", "accept_approve")
    assert api.post(f"/cases/{case_no}/rating", "applicant", json={"score": 1}).status_code in (200, 201)
    later = utcnow() + timedelta(days=30)
    with app.app_context():
        results_sweep.sweep(later)
        assert notify.queue_alerts(local_date(later), later) >= 1
        alert_ids = set(Session.scalars(select(Alert.id).where(Alert.subject_kind == "rectification")))
        sent = Session.scalars(
            select(Notification).where(Notification.kind == "alert", Notification.ref_id.in_(alert_ids))
        ).all()
        assert alert_ids and sent
        subject, body = notify.render(sent[0])
        assert "差评整改" in subject and "差评整改已超期" in body and "环节" not in subject + body
        Session.remove()

    web_login(client, "supervisor")
    page = client.get("/supervision/alerts?state=open").get_data(as_text=True)
    assert '<td data-label="对象">差评整改</td>' in page
    rows = list(load_workbook(io.BytesIO(client.get("/supervision/export/alerts.xlsx").data)).active.values)
    assert any("差评整改" in row for row in rows[1:]), rows
    client.get("/lang/en")
    page = client.get("/supervision/alerts?state=open").get_data(as_text=True)
    assert '<td data-label="Subject">Rectification of bad ratings</td>' in page
