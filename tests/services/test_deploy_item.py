"""`flask --app app deploy-item PATH`: versions keyed by the content of the BPMN and the forms.

Every test works on copies of the real processes/road_cert_reissue and forms/road_cert_reissue folders in
a tmp dir, deploys them through the real CLI command (in process with Flask's CLI runner, and once as a
real `flask` subprocess), and puts the real catalogue back afterwards.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from sqlalchemy import delete, func, select

from app.models import AuditEvent, Case, ProcessVersion, ServiceItem, Session
from app.services.catalogue import definition_for, deploy_item_folder, forms_for
from tests.conftest import delete_case_data
from tests.factories import applicant_of, scenario

ROOT = Path(__file__).resolve().parents[2]
SLUG = "road_cert_reissue"
OLD_NAME = 'name="审核并补发"'
NEW_NAME = 'name="审核并当场补发"'


@dataclass
class ItemCopy:
    folder: Path  # <tmp>/processes/road_cert_reissue
    forms_dir: Path  # <tmp>/forms
    original: str  # the current version of the real folder
    audit_mark: int  # the last audit row before the test

    @property
    def bpmn(self) -> Path:
        return self.folder / f"{SLUG}.bpmn"

    @property
    def form(self) -> Path:
        return self.forms_dir / SLUG / "handle.json"

    def edit(self, path: Path, old: str, new: str) -> None:
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {path}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")


def item_row() -> ServiceItem:
    Session.remove()
    return Session.scalar(select(ServiceItem).where(ServiceItem.slug == SLUG))


def versions() -> set[str]:
    return set(Session.scalars(select(ProcessVersion.version).where(ProcessVersion.item_id == item_row().id)))


def deploy_audits(after_id: int) -> list[AuditEvent]:
    return list(
        Session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "process.deploy", AuditEvent.target == SLUG, AuditEvent.id > after_id)
            .order_by(AuditEvent.id)
        )
    )


@pytest.fixture
def copy(app, tmp_path):
    shutil.copytree(ROOT / "processes" / SLUG, tmp_path / "processes" / SLUG)
    shutil.copytree(ROOT / "forms" / SLUG, tmp_path / "forms" / SLUG)
    before = versions()
    original = item_row().current_version
    mark = Session.scalar(select(func.max(AuditEvent.id))) or 0
    yield ItemCopy(tmp_path / "processes" / SLUG, tmp_path / "forms", original, mark)
    Session.remove()
    deploy_item_folder(ROOT / "processes" / SLUG, ROOT / "forms")  # the real folder is current again
    added = versions() - before
    Session.remove()
    delete_case_data(app)  # cases on the added versions, with everything that refers to them
    Session.execute(delete(ProcessVersion).where(ProcessVersion.version.in_(added)))
    Session.commit()
    assert item_row().current_version == original


def deploy(app, copy: ItemCopy):
    """`flask deploy-item <copy> --forms-dir <copy forms>` through Flask's CLI runner."""
    Session.remove()
    result = app.test_cli_runner().invoke(
        args=["deploy-item", str(copy.folder), "--forms-dir", str(copy.forms_dir)]
    )
    Session.remove()
    return result


def deployed_version(result) -> tuple[str, str]:
    match = re.fullmatch(rf"{SLUG}: version ([0-9a-f]{{16}}) (deployed|unchanged)\n", result.output)
    assert match, result.output
    return match.group(1), match.group(2)


# -- versions ------------------------------------------------------------------------------------


def test_an_unchanged_folder_deploys_no_new_version(app, copy):
    before = versions()
    result = deploy(app, copy)
    assert result.exit_code == 0, result.output
    assert deployed_version(result) == (copy.original, "unchanged")
    assert versions() == before and item_row().current_version == copy.original
    assert deploy_audits(copy.audit_mark) == []


def test_a_changed_bpmn_is_a_new_current_version_keyed_by_its_content(app, copy):
    before = versions()
    copy.edit(copy.bpmn, OLD_NAME, NEW_NAME)
    result = deploy(app, copy)
    assert result.exit_code == 0, result.output
    new, how = deployed_version(result)
    assert how == "deployed" and new != copy.original
    assert versions() == before | {new}
    assert item_row().current_version == new
    row = Session.get(ProcessVersion, new)
    assert row.files[f"{SLUG}.bpmn"] == copy.bpmn.read_text(encoding="utf-8")
    assert definition_for(new).user_tasks["handle"].name == "审核并当场补发"
    assert definition_for(copy.original).user_tasks["handle"].name == "审核并补发"
    (audit,) = deploy_audits(copy.audit_mark)
    assert (audit.before, audit.after) == ({"version": copy.original}, {"version": new})

    # the same content deploys to the same key, and the old content back to the old one: no counter
    assert deployed_version(deploy(app, copy)) == (new, "unchanged")
    copy.edit(copy.bpmn, NEW_NAME, OLD_NAME)
    assert deployed_version(deploy(app, copy)) == (copy.original, "unchanged")
    assert item_row().current_version == copy.original and versions() == before | {new}


def test_a_changed_form_is_a_new_version_with_that_form_frozen_in_it(app, copy):
    copy.edit(copy.form, '"zh": "补发的道路运输证号"', '"zh": "新的道路运输证号"')
    result = deploy(app, copy)
    assert result.exit_code == 0, result.output
    new, how = deployed_version(result)
    assert how == "deployed" and new != copy.original and item_row().current_version == new
    new_label = forms_for(new)["handle.json"]["ui"]["fields"]["result_number"]["label"]["zh"]
    old_label = forms_for(copy.original)["handle.json"]["ui"]["fields"]["result_number"]["label"]["zh"]
    assert (new_label, old_label) == ("新的道路运输证号", "补发的道路运输证号")
    # the BPMN is the same, so both versions run the same parsed definition
    assert definition_for(new) is definition_for(copy.original)


def test_a_case_keeps_the_version_it_started_on_and_new_cases_start_on_the_new_one(app, api, copy):
    application = scenario(SLUG, "issue")["application"]
    handle = scenario(SLUG, "issue")["steps"][0]["data"]

    def submit() -> dict:
        resp = api.post(
            "/cases",
            "applicant",
            json={"item_code": SLUG, "applicant": applicant_of(application), "data": application},
        )
        assert resp.status_code == 201, resp.get_json()
        return api.get(f"/cases/{resp.get_json()['case_no']}", "tr_clerk").get_json()

    def finish(case: dict) -> dict:
        (task,) = case["open_tasks"]
        resp = api.post(f"/tasks/{task['id']}/complete", "tr_clerk", json={"data": handle})
        assert resp.status_code == 200, resp.get_json()
        return api.get(f"/cases/{case['case_no']}", "tr_clerk").get_json()

    def version_of_case(case_no: str) -> str:
        Session.remove()
        return Session.scalar(select(Case.process_version).where(Case.case_no == case_no))

    old_case = submit()
    assert [t["name"] for t in old_case["open_tasks"]] == ["审核并补发"]
    copy.edit(copy.bpmn, OLD_NAME, NEW_NAME)
    new, _ = deployed_version(deploy(app, copy))

    new_case = submit()
    assert version_of_case(new_case["case_no"]) == new
    assert [t["name"] for t in new_case["open_tasks"]] == ["审核并当场补发"]

    old_done = finish(old_case)
    assert old_done["status"] == "completed" and old_done["open_tasks"] == []
    assert version_of_case(old_case["case_no"]) == copy.original
    new_done = finish(new_case)
    assert new_done["status"] == "completed" and version_of_case(new_case["case_no"]) == new


# -- invalid folders -----------------------------------------------------------------------------


def broken_bpmn(copy: ItemCopy) -> None:
    text = copy.bpmn.read_text(encoding="utf-8")
    copy.bpmn.write_text(text.replace("</bpmn:userTask>", "</bpmn:userTsk>", 1), encoding="utf-8")


def unquoted_comma_in_a_name(copy: ItemCopy) -> None:
    path = copy.folder / "item.yaml"
    text = path.read_text(encoding="utf-8")
    new = re.sub(r'en: "Motor vehicle licence"', "en: Motor vehicle licence, front and back", text, count=1)
    assert new != text
    path.write_text(new, encoding="utf-8")


def form_with_a_syntax_error(copy: ItemCopy) -> None:
    copy.form.write_text(copy.form.read_text(encoding="utf-8").replace('"title"', '"title" "', 1))


def form_missing_for_a_user_task(copy: ItemCopy) -> None:
    copy.form.unlink()


def unknown_department(copy: ItemCopy) -> None:
    path = copy.folder / "item.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("department: transport", "department: transprt"))


def code_of_another_item(copy: ItemCopy) -> None:
    path = copy.folder / "item.yaml"
    text = path.read_text(encoding="utf-8")
    new = re.sub(r'^code: ".*"$', 'code: "350200-SXHJ-XK-0001"', text, count=1, flags=re.M)
    assert new != text
    path.write_text(new, encoding="utf-8")


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def material_index(copy: ItemCopy, code: str) -> int:
    item = yaml.safe_load((copy.folder / "item.yaml").read_text(encoding="utf-8"))
    return [m["code"] for m in item["materials"]].index(code)


HANDLE_ID = 'id="handle"'
# (how the copy is spoilt, the error it must give: a regular expression computed from the copy)
INVALID = [
    (
        broken_bpmn,
        lambda c: (
            rf"road_cert_reissue\.bpmn, line {line_of(c.bpmn, '</bpmn:userTsk>')}, column \d+: .*malformed XML"
        ),
    ),
    (
        unquoted_comma_in_a_name,
        lambda c: (
            rf"materials\[{material_index(c, 'vehicle_licence')}\]\.name must have exactly the keys zh "
            r"and en \(got \['en', 'front and back', 'zh'\]; quote names that contain commas\)"
        ),
    ),
    (form_with_a_syntax_error, lambda c: r"handle\.json: line 2 column \d+: invalid JSON"),
    (
        form_missing_for_a_user_task,
        lambda c: (
            r"no form file handle\.json for this user task "
            rf"\(element 'handle', line {line_of(c.bpmn, HANDLE_ID)}\)"
        ),
    ),
    (
        unknown_department,
        lambda c: (
            r"department 'transprt' is not one of admin, centre, env, fj_env, fj_transport, transport, xm_transport"
        ),
    ),
    (
        code_of_another_item,
        lambda c: r"item\.yaml: code 350200-SXHJ-XK-0001 is already used by item eia_report_form",
    ),
]


@pytest.mark.parametrize(("spoil", "message"), INVALID, ids=[f.__name__ for f, _ in INVALID])
def test_an_invalid_folder_is_refused_with_a_clear_error_and_changes_nothing(app, copy, spoil, message):
    # a would-be new version (renamed step, renamed item) that the defect must keep out entirely
    copy.edit(copy.bpmn, OLD_NAME, NEW_NAME)
    copy.edit(
        copy.folder / "item.yaml",
        'en: "Reissue of a lost or damaged',
        'en: "Renamed reissue of a lost or damaged',
    )
    before = versions()
    row = item_row()
    name_en, definition = row.name_en, dict(row.definition)
    spoil(copy)
    result = deploy(app, copy)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and "Traceback" not in result.output
    assert re.search(message(copy), result.output), result.output
    row = item_row()
    assert versions() == before and row.current_version == copy.original
    assert (row.name_en, row.definition) == (name_en, definition)
    assert deploy_audits(copy.audit_mark) == []


# -- the real command line ---------------------------------------------------------------------


def flask_cli(database_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "TONGBAN_DATABASE_URL": database_url,
        "TONGBAN_DATA_DIR": str(tmp_path / "cli-data"),
        "TONGBAN_SECRET_KEY": "test-secret",
    }
    flask = Path(sys.executable).with_name("flask")
    return subprocess.run(  # noqa: S603 - fixed argv of this repository's own CLI
        [str(flask), "--app", "app", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_flask_command_deploys_a_changed_folder_and_refuses_a_broken_one(
    app, copy, database_url, tmp_path
):
    Session.remove()
    copy.edit(copy.bpmn, OLD_NAME, NEW_NAME)
    ok = flask_cli(
        database_url, tmp_path, "deploy-item", str(copy.folder), "--forms-dir", str(copy.forms_dir)
    )
    assert ok.returncode == 0, ok.stderr
    new, how = re.fullmatch(rf"{SLUG}: version ([0-9a-f]{{16}}) (deployed)\n", ok.stdout).groups()
    assert item_row().current_version == new != copy.original

    broken_bpmn(copy)
    count = Session.scalar(select(func.count()).select_from(ProcessVersion))
    bad = flask_cli(
        database_url, tmp_path, "deploy-item", str(copy.folder), "--forms-dir", str(copy.forms_dir)
    )
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.startswith("error: ") and "road_cert_reissue.bpmn" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert Session.scalar(select(func.count()).select_from(ProcessVersion)) == count
    assert item_row().current_version == new
