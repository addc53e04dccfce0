"""The prune job's file sweep: a stored file that no material and no draft names is deleted once it is a
day old (a filing that failed after its files were kept, a draft file replaced), with day-old temporary
files of interrupted uploads; named files, fresh files and a file stored again are kept. Real store
under the test app's data directory, real rows."""

from __future__ import annotations

import io
import os
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.jobs.runner import run_once
from app.models import Session, User, utcnow
from app.services import drafts, filestore, materials
from app.services.auth import Actor
from app.services.cases import submit_application
from app.services.catalogue import get_item
from app.services.context import ctx
from tests.factories import applicant_of, scenario
from tests.portal.helpers import PDF, PNG

SLUG = "eia_report_form"


@pytest.fixture
def people(app, tmp_path, monkeypatch):
    """The demo users, and a store of this test's own (the run's shared store holds other tests' files)."""
    with app.app_context():
        monkeypatch.setattr(ctx().settings, "data_dir", tmp_path)
        yield {u.username: Actor.of(u) for u in Session.scalars(select(User))}
        Session.remove()


def _age(path, days: float) -> None:
    then = (utcnow() - timedelta(days=days)).timestamp()
    os.utime(path, (then, then))


def _spec(code: str) -> dict:
    return next(m for m in get_item(SLUG).definition["materials"] if m["code"] == code)


def test_day_old_files_no_row_names_go_and_named_fresh_or_stored_again_files_stay(people):
    applicant = people["applicant"]
    application = scenario(SLUG, "accept_approve")["application"]
    case = submit_application(applicant, SLUG, applicant_of(application), application)
    on_case = materials.upload_material(
        applicant, case.case_no, "application_letter", "申请书.pdf", io.BytesIO(PDF)
    )
    draft = drafts.create_draft(applicant, SLUG)
    in_draft = drafts.add_draft_file(
        applicant, draft.id, "eia_report", "报告表.pdf", io.BytesIO(PDF + b"%draft")
    )
    # what a filing that failed after keeping its files leaves: kept, named by no row
    unnamed = filestore.store_file(_spec("eia_report"), "x.pdf", io.BytesIO(PDF + b"%orphan"))
    fresh = filestore.store_file(_spec("eia_report"), "y.pdf", io.BytesIO(PDF + b"%fresh"))
    again = filestore.store_file(_spec("eia_report"), "z.pdf", io.BytesIO(PDF + b"%again"))
    interrupted = filestore.store_root() / "tmpinterrupted"
    interrupted.write_bytes(PNG)
    for sha in (on_case.sha256, in_draft.sha256, unnamed.sha256, again.sha256):
        _age(filestore.path_of(sha), 2)
    _age(interrupted, 2)
    filestore.store_file(_spec("eia_report"), "z2.pdf", io.BytesIO(PDF + b"%again"))  # the same bytes again

    result = run_once(jobs=["prune"], use_lease=False)["prune"]["files"]

    assert result == {"removed": 1, "unfinished": 1}
    assert not filestore.path_of(unnamed.sha256).exists() and not interrupted.exists()
    for sha in (on_case.sha256, in_draft.sha256, fresh.sha256, again.sha256):
        assert filestore.path_of(sha).exists()
    row, path = materials.open_material(applicant, case.case_no, on_case.id)
    assert path.read_bytes() == PDF  # the case's file still opens


def test_a_replaced_draft_file_goes_after_a_day_and_the_new_one_stays(people):
    applicant = people["applicant"]
    draft = drafts.create_draft(applicant, SLUG)
    first = drafts.add_draft_file(applicant, draft.id, "eia_report", "v1.pdf", io.BytesIO(PDF + b"%v1"))
    old_sha = first.sha256
    replaced = drafts.add_draft_file(applicant, draft.id, "eia_report", "v2.pdf", io.BytesIO(PDF + b"%v2"))
    assert replaced.sha256 != old_sha
    _age(filestore.path_of(old_sha), 2)
    _age(filestore.path_of(replaced.sha256), 2)
    assert filestore.remove_unnamed(utcnow()) == {"removed": 1, "unfinished": 0}
    assert not filestore.path_of(old_sha).exists() and filestore.path_of(replaced.sha256).exists()
