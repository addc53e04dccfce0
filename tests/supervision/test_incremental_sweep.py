"""The incremental sweep: only clocks whose light change day has come are read and written; the
used/remaining days of the others move on when read, and agree with a full recomputation."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select

from app.models import Alert, Session
from app.models.case import NEVER
from app.services import alerts
from app.services.clocks import recompute_open_clocks, refresh_lights
from tests.factories import scenario
from tests.supervision.conftest import at, complete, submit


def test_a_new_case_and_its_step_know_the_day_their_light_next_changes(people):
    case = submit(people, "2026-03-02")  # acceptance 5 WD: due Mon 03-09; step 'accept' 2 WD: due Wed 03-04
    accept = next(t for t in case.tasks if t.bpmn_id == "accept")
    assert case.light == "green" and date(2026, 3, 2) < case.light_changes_on <= date(2026, 3, 10)
    assert accept.light_changes_on is not None and accept.light_changes_on <= date(2026, 3, 5)


def test_the_sweep_writes_only_the_clocks_whose_day_has_come(people):
    case = submit(people, "2026-03-02")
    first = refresh_lights(date(2026, 3, 2))
    Session.refresh(case)
    changes_on = case.light_changes_on
    assert first == {"cases_changed": 0, "tasks_changed": 0}  # computed at filing, nothing due yet
    before = refresh_lights(changes_on.replace(day=changes_on.day - 1)) if changes_on.day > 3 else first
    assert before["cases_changed"] == 0
    on_the_day = refresh_lights(changes_on)
    Session.refresh(case)
    assert on_the_day["cases_changed"] == 1 and case.light in ("yellow", "red")
    assert case.light_changes_on > changes_on


def test_days_moved_on_when_read_agree_with_a_full_recomputation(people):
    case = submit(people, "2026-03-02")
    complete(people, case, "accept", "env_clerk", {"accept_outcome": "accept"}, "2026-03-02")
    refresh_lights(date(2026, 3, 5))  # promised 10 WD from 03-02: nothing due on 03-05
    Session.refresh(case)
    shown = (case.light, case.used_wd, case.remaining_wd)
    review = next(t for t in case.tasks if t.state == "ready")
    step_shown = (review.used_wd, review.remaining_wd)
    assert shown == ("green", 3, 7)
    full = recompute_open_clocks(date(2026, 3, 5))  # every open row, compared as the pages read them
    assert full == {"cases_changed": 0, "tasks_changed": 0}
    Session.refresh(case)
    Session.refresh(review)
    assert (case.light, case.used_wd, case.remaining_wd) == shown
    assert (review.used_wd, review.remaining_wd) == step_shown


def test_alerts_are_raised_once_by_the_incremental_sweep(people):
    case = submit(people, "2026-03-02")
    alerts.sweep(None, at("2026-03-05"))
    count = len(Session.scalars(select(Alert)).all())
    assert count == 2  # the case yellow, its late step red
    alerts.sweep(None, at("2026-03-05", 16))
    alerts.sweep(None, at("2026-03-06"))
    assert len(Session.scalars(select(Alert).where(Alert.case_id == case.id)).all()) == count


def test_a_closed_case_never_comes_back_to_the_sweep(people):
    case = submit(people, "2026-03-02", scenario_name="refuse_at_acceptance")
    data = scenario("eia_report_form", "refuse_at_acceptance")["steps"][0]["data"]
    case = complete(people, case, "accept", "env_clerk", data, "2026-03-03")
    assert case.light is None and case.light_changes_on == NEVER
    assert refresh_lights(date(2026, 3, 20)) == {"cases_changed": 0, "tasks_changed": 0}


def _lit_without_alert() -> int:
    """Alerts a FULL pass would still raise or resolve (what an incremental pass would have missed)."""
    raised = alerts.raise_alerts(date(2026, 3, 20), at("2026-03-20"))
    resolved = alerts.resolve_closed(at("2026-03-20"))
    Session.rollback()
    return raised["case_alerts"] + raised["task_alerts"] + resolved


def test_the_alert_pass_reads_only_clocks_computed_since_its_last_day_and_misses_nothing(people):
    """Cases filed, worked and ended between daily sweeps: each sweep after the first looks only at
    clocks computed since the day the last one ran for, and a full pass afterwards finds nothing left."""
    early = submit(people, "2026-03-02")
    alerts.sweep(None, at("2026-03-02"))
    assert alerts.alerts_swept_on() == date(2026, 3, 2)
    late = submit(people, "2026-03-03")
    complete(people, early, "accept", "env_clerk", {"accept_outcome": "accept"}, "2026-03-04")
    refused = submit(people, "2026-03-04", scenario_name="refuse_at_acceptance")
    first = alerts.sweep(None, at("2026-03-05"))
    assert first["case_alerts"] + first["task_alerts"] > 0  # the late accept steps went red
    data = scenario("eia_report_form", "refuse_at_acceptance")["steps"][0]["data"]
    complete(people, refused, "accept", "env_clerk", data, "2026-03-06")  # ends: its alerts resolve
    for day in ("2026-03-06", "2026-03-09", "2026-03-10", "2026-03-13", "2026-03-20"):
        alerts.sweep(None, at(day))
    assert _lit_without_alert() == 0
    lit = {(a.case_id, a.level) for a in Session.scalars(select(Alert).where(Alert.subject_kind == "case"))}
    assert {late.id, early.id} <= {case_id for case_id, _ in lit}


def test_the_alert_pass_skips_clocks_not_computed_since_its_last_day(people):
    """The restriction is real: an alert removed behind the sweep's back is not raised again by the
    incremental pass (its clock did not change), only by a full one."""
    case = submit(people, "2026-03-02")  # acceptance due Mon 03-09: red from 03-10, then nothing changes
    for day in ("2026-03-05", "2026-03-06", "2026-03-09", "2026-03-10", "2026-03-11"):
        alerts.sweep(None, at(day))
    Session.refresh(case)
    assert case.light == "red" and case.clocks_computed_on < date(2026, 3, 11)
    before = len(Session.scalars(select(Alert).where(Alert.case_id == case.id)).all())
    Session.execute(
        delete(Alert).where(Alert.case_id == case.id, Alert.subject_kind == "case", Alert.level == "red")
    )
    Session.commit()
    alerts.sweep(None, at("2026-03-12"))  # the case's clock was not computed since 03-11
    after_incremental = len(Session.scalars(select(Alert).where(Alert.case_id == case.id)).all())
    alerts.sweep(None, at("2026-03-12", 16), full=True)
    after_full = len(Session.scalars(select(Alert).where(Alert.case_id == case.id)).all())
    assert (after_incremental, after_full) == (before - 1, before)


def test_the_resolution_safety_net_runs_with_the_first_sweep_of_a_day_not_with_a_repeat(people):
    """A step closed behind the case events' back (no event resolved its alert) keeps its alert through a
    repeat sweep the same day and is resolved by the next day's first sweep — or by a full one at once."""
    from app.models import CaseTask

    case = submit(people, "2026-03-02")
    alerts.sweep(None, at("2026-03-05"))
    task_alert = Session.scalar(select(Alert).where(Alert.case_id == case.id, Alert.subject_kind == "task"))
    assert task_alert.state == "open"
    Session.get(CaseTask, task_alert.subject_id).state = "cancelled"  # no event: only the net can see it
    Session.commit()
    assert alerts.sweep(None, at("2026-03-05", 16))["resolved"] == 0
    Session.refresh(task_alert)
    assert task_alert.state == "open"
    assert alerts.sweep(None, at("2026-03-06"))["resolved"] == 1
    Session.refresh(task_alert)
    assert task_alert.state == "resolved"


def test_a_full_sweep_runs_the_resolution_safety_net_on_a_repeat_day(people):
    from app.models import CaseTask

    case = submit(people, "2026-03-02")
    alerts.sweep(None, at("2026-03-05"))
    task_alert = Session.scalar(select(Alert).where(Alert.case_id == case.id, Alert.subject_kind == "task"))
    Session.get(CaseTask, task_alert.subject_id).state = "cancelled"
    Session.commit()
    assert alerts.sweep(None, at("2026-03-05", 16), full=True)["resolved"] == 1
