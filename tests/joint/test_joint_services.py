"""The joint scenarios through the services on the real database (every step loads, runs and saves the
workflow of the case it moves), and what the master does with its components at each turn."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.models import CaseDocument, Session
from app.services import joint
from app.services.tasks import complete_task
from tests.factories import actor
from tests.joint.harness import (
    GOV_HEAD,
    SLUG,
    WINDOW,
    dated,
    day_of,
    id_check,
    moment,
    scenarios,
    streams,
    user_for,
)

SCENARIOS = scenarios()


def file(scenario, i: int = 0):
    return joint.file_joint_application(
        actor(WINDOW),
        SLUG,
        scenario["application"],
        streams(scenario["materials"]),
        id_check=id_check(scenario["application"]),
        now=moment(i),
    )


def component(master, slug):
    return next(c for c in joint.components_of(master) if c.item.slug == slug)


def run_step(master, step: dict, i: int) -> None:
    now, day = moment(i), day_of(i)
    if "supplement" in step:
        joint.submit_joint_supplement(actor(WINDOW), master.case_no, dated(step["supplement"], day), now=now)
        return
    if "extension" in step:
        ext = step["extension"]
        joint.request_joint_extension(actor(WINDOW), master.case_no, ext["days"], ext["reason"], now=now)
        return
    if "approve_extension" in step:
        joint.approve_joint_extension(
            actor(GOV_HEAD), master.case_no, step["approve_extension"]["opinion"], now=now
        )
        return
    case = component(master, step["component"]) if "component" in step else master
    Session.refresh(case)
    bpmn_id = step.get("task") or step["master"]
    task = next(t for t in case.tasks if t.bpmn_id == bpmn_id and t.state in ("ready", "claimed"))
    if bpmn_id == "collect":
        joint.collect_joint(actor(WINDOW), master.case_no, dated(step["data"], day), now=now)
    else:
        complete_task(actor(user_for(step)), task.id, dated(step["data"], day), now=now)


@pytest.mark.parametrize(("name", "scenario"), SCENARIOS, ids=[n for n, _ in SCENARIOS])
def test_joint_scenario_runs_through_the_services(app, name, scenario):
    with app.app_context():
        master = file(scenario)
        for i, step in enumerate(scenario["steps"], start=1):
            run_step(master, step, i)
        Session.refresh(master)
        expect = scenario["expect"]
        assert master.status == expect["master"]["status"]
        assert master.outcome == expect["master"]["end_event"]
        assert master.extension_wd == expect["master"].get("extension_wd", 0)
        rounds = (master.clock_inputs or {}).get("correction") or []
        assert len(rounds) == expect["master"].get("correction_rounds", 0)
        for slug, end in expect["components"].items():
            assert component(master, slug).outcome == end
        # one delivery record, on the master
        delivered = Session.scalars(select(CaseDocument.kind).where(CaseDocument.case_id == master.id)).all()
        assert master.delivered_on is not None, delivered
