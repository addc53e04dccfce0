"""`flask seed-demo` makes demo cases in every state through the real services, once."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.factories import at

NOW = at("2026-11-20", 15)  # a Friday; the demo walks its cases back from here


def _by_name():
    from app.models import Case, Session

    Session.remove()
    return {c.applicant_name: c for c in Session.scalars(select(Case))}


def test_the_demo_cases_cover_every_state_and_seeding_twice_makes_nothing_new(app):
    from app.models import Case, CaseDocument, Material, Session
    from app.services.demo import DEMO_CASES, seed_demo_cases

    with app.app_context():
        first = seed_demo_cases(NOW)
    assert len(first.created) == len(DEMO_CASES) and first.existing == []
    cases = _by_name()
    state = {spec.state.split(" ")[0]: cases[spec.applicant_name] for spec in DEMO_CASES}
    assert state["新收件"].status == "accepting" and state["新收件"].received_on.isoformat() == "2026-11-20"
    assert state["待补正"].status == "correcting" and state["待补正"].clock_paused
    assert state["审查中"].status == "in_progress" and state["审查中"].light == "green"
    assert state["专家评审"].status == "special_procedure"
    on_site = state["实地核查"]  # the city bureau's dangerous-goods item, waiting at its review step
    assert (on_site.status, on_site.department_code) == ("in_progress", "xm_transport")
    assert [t.bpmn_id for t in on_site.tasks if t.state in ("ready", "claimed")] == ["review"]
    assert state["已延期"].extension_wd == 10 and state["已延期"].status == "in_progress"
    assert state["黄灯"].light == "yellow" and state["红灯"].light == "red" and state["红灯"].remaining_wd < 0
    assert state["已办结"].status == "completed" and state["已办结"].delivered_on is not None
    assert state["已撤回"].status == "withdrawn" and state["不予受理"].status == "refused"
    walk_in = state["窗口收件"]
    assert walk_in.applicant_user_id is None and walk_in.department_code == "transport"
    # filed with the guide's sample PDFs as materials, so the receipts list real files
    new = state["新收件"]
    Session.remove()
    files = Session.scalars(
        select(Material.filename).where(Material.case_id == new.id, Material.sha256 != "")
    ).all()
    assert "eia_report.pdf" in files
    receipt = Session.scalar(
        select(CaseDocument).where(CaseDocument.case_id == new.id, CaseDocument.kind == "receipt")
    )
    assert any("eia_report.pdf" in line for line in receipt.content["items"])
    decided_docs = Session.scalars(
        select(CaseDocument.kind).where(CaseDocument.case_id == state["已办结"].id)
    ).all()
    assert {"receipt", "acceptance_notice", "approval_decision", "delivery_receipt"} <= set(decided_docs)

    total = Session.scalar(select(func.count()).select_from(Case))
    with app.app_context():
        again = seed_demo_cases(NOW)
    assert again.created == [] and len(again.existing) == len(DEMO_CASES)
    Session.remove()
    assert Session.scalar(select(func.count()).select_from(Case)) == total


def test_the_seed_demo_command_prints_each_demo_case(app, monkeypatch):
    from app.services import demo

    monkeypatch.setattr(demo, "DEMO_CASES", demo.DEMO_CASES[:2])
    with app.app_context():  # the `flask` command line pushes one for every command
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        again = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "demo case TB" in result.output and "新收件 (new)" in result.output and "待补正" in result.output
    assert "demo cases: 2 already there" in again.output
