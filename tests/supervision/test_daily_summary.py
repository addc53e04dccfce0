"""The cockpit's daily summary is kept by the case events and agrees with a rebuild from the cases."""

from __future__ import annotations

import yaml

from app.models import Session
from app.services import cockpit
from app.services.summary import rebuild_summary, summary_rows
from tests.conftest import ROOT
from tests.supervision.conftest import at, complete, submit


def _run(people, name: str, days: list[str]) -> None:
    sc = yaml.safe_load((ROOT / f"processes/eia_report_form/scenarios/{name}.yaml").read_text("utf-8"))
    steps = [s for s in sc["steps"] if "task" in s]
    case = submit(people, days[0], scenario_name=name)
    for step, day in zip(steps, days[1:] + [days[-1]] * len(steps), strict=False):
        user = {"clerk": "env_clerk", "reviewer": "env_reviewer", "decider": "env_decider"}[step["role"]]
        data = {**step["data"], **{k: day for k in ("delivered_on", "issue_date") if k in step["data"]}}
        case = complete(people, case, step["task"], user, data, day)


def test_the_summary_kept_by_the_case_events_equals_a_rebuild(app, people):
    _run(people, "accept_approve", ["2026-03-02", "2026-03-03", "2026-03-05", "2026-03-09", "2026-03-10"])
    _run(people, "accept_approve", ["2026-03-03", "2026-03-03", "2026-03-04"])  # still open: two steps done
    _run(people, "deny", ["2026-03-04", "2026-03-05", "2026-03-06", "2026-03-11"])
    _run(people, "refuse_at_acceptance", ["2026-03-05", "2026-03-06"])
    kept = summary_rows()
    assert kept, "the case events wrote no summary rows"
    assert sum(r[5] for r in kept) == 4  # submitted
    rebuild_summary()
    rebuilt = summary_rows()
    assert rebuilt == kept, "\n".join(map(str, kept)) + "\n--\n" + "\n".join(map(str, rebuilt))


def test_the_cockpit_reads_the_summary_the_events_keep(app, people):
    _run(people, "accept_approve", ["2026-03-02", "2026-03-03", "2026-03-05", "2026-03-09", "2026-03-10"])
    perf = cockpit.performance(
        people["supervisor"], cockpit.Period(at("2026-03-01").date(), at("2026-04-01").date())
    )
    assert (perf["submitted"], perf["completed"]) == (1, 1)
    months = cockpit.trends(people["supervisor"], at("2026-03-31").date(), "month", 1)
    assert (months[0]["submitted"], months[0]["completed"]) == (1, 1)


def test_rebuild_summary_command_reports_the_rows(app, people):
    _run(people, "accept_approve", ["2026-03-02", "2026-03-03"])
    Session.remove()
    result = app.test_cli_runner().invoke(args=["cockpit", "rebuild-summary"])
    assert result.exit_code == 0 and "daily summary rebuilt:" in result.output
