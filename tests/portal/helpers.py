"""Helpers of the portal tests: fresh valid identities, the SMS code from the outbox, registration, files."""

from __future__ import annotations

import itertools
import random
import re

from sqlalchemy import select

from engine.identity import org_code_check_char, resident_id_check_char, uscc_check_char

PASSWORD = "Portal-pass-1"
_SEQ = itertools.count(random.randrange(1000, 9000) * 1000)


# Minimal files whose leading bytes are their format (the store sniffs the content).
def _pdf() -> bytes:
    from fpdf import FPDF

    doc = FPDF()
    doc.add_page()
    doc.set_font("helvetica", size=12)
    doc.cell(text="scanned material")
    return bytes(doc.output())


PDF = _pdf()  # a real, complete PDF: uploads are sniffed (app.services.filesniff)


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, format="PNG")
    return out.getvalue()


PNG = _png()


def fresh_mobile() -> str:
    return f"139{next(_SEQ) % 10**8:08d}"


def fresh_resident_id() -> str:
    n = next(_SEQ) % 1000
    body = f"35020319850615{n:03d}"
    return body + resident_id_check_char(body)


def fresh_uscc() -> str:
    n = next(_SEQ) % 10**7
    org = f"M{n:07d}"
    body = "91350200" + org + org_code_check_char(org)
    return body + uscc_check_char(body)


def sms_code(mobile: str) -> str:
    """The latest verification code sent to ``mobile``, read from the development outbox."""
    from app.models import Session, SmsOutbox

    Session.remove()
    row = Session.scalar(select(SmsOutbox).where(SmsOutbox.mobile == mobile).order_by(SmsOutbox.id.desc()))
    assert row is not None, f"no SMS to {mobile}"
    return re.search(r"\d{6}", row.body).group(0)


def register_person(api, name: str = "测试申请人", **extra) -> dict:
    mobile = extra.pop("mobile", None) or fresh_mobile()
    id_no = extra.pop("id_no", None) or fresh_resident_id()
    assert api.post("/auth/mobile-code", json={"mobile": mobile}).status_code == 202
    body = {"kind": "person", "name": name, "id_no": id_no, "mobile": mobile, "code": sms_code(mobile)}
    body |= {"password": PASSWORD} | extra
    resp = api.post("/auth/register", json=body)
    assert resp.status_code == 201, resp.get_json()
    return {"mobile": mobile, "id_no": id_no, "name": name, "user": resp.get_json()}


def token_of(api, mobile: str) -> str:
    resp = api.post("/auth/token", json={"username": mobile, "password": PASSWORD})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["token"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def walk(api, case_no: str, slug: str, name: str, until: str | None = None, skip: int = 0) -> None:
    """Complete the steps of scenario NAME over the API (each by the demo user of its lane), after the
    first SKIP steps and stopping before the task UNTIL; supplements are sent by the demo applicant."""
    from tests.factories import DEPT, USERS, open_task, scenario

    for step in scenario(slug, name)["steps"][skip:]:
        if "message" in step:
            resp = api.post(
                f"/cases/{case_no}/supplements", "applicant", json={"data": step.get("data") or {}}
            )
            assert resp.status_code == 200, resp.get_json()
            continue
        if step["task"] == until:
            return
        task = open_task(api, case_no, step["task"])
        user = USERS[(DEPT[slug], step["role"])]
        data = dict(step.get("data") or {})
        if "delivered_on" in data:  # delivery today, never before the decision
            from datetime import datetime

            from app.models.vocab import SHANGHAI

            data["delivered_on"] = datetime.now(SHANGHAI).date().isoformat()
        resp = api.post(f"/tasks/{task['id']}/complete", user, json={"data": data})
        assert resp.status_code == 200, (step["task"], resp.get_json())
