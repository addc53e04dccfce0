"""Documents fit to sign: every kind, produced by the real flows, rendered to PDF and read back with
pdftotext — authority, title, number, addressee, subject, facts, legal basis, decision, remedy rights
where a refusal or denial is made, date, the seal image — and no line that starts with punctuation,
no "。，" or "：。" anywhere."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.models import Case, CaseDocument, Session, User
from app.services import documents, supervision  # noqa: F401  (capabilities registered by the app)
from app.services.auth import Actor
from app.services.cases import renotify_special_procedure, submit_application, withdraw_application
from app.services.pdf import NO_LINE_END, NO_LINE_START
from app.services.scheduled import apply_deemed_acceptance, expire_corrections
from app.services.tasks import complete_task
from tests.factories import applicant_of, scenario

CST = timezone(timedelta(hours=8))
STRAY = ("。，", "，。", "：。", "。。", "；。", "，，", "：：", "、。", "。；", "None", "（）")
NEEDS = {
    "acceptance_notice": ("受理", "第三十二条"),
    "refusal_decision": ("不予受理", "第三十二条"),
    "correction_notice": ("补正", "第三十二条"),
    "special_procedure_notice": ("第四十五条", "工作日"),
    "extension_notice": ("延长", "第四十二条"),
    "approval_decision": ("准予行政许可", "第三十八条"),
    "denial_decision": ("不予行政许可", "第三十八条"),
    "service_refusal": ("不予办理",),
    "delivery_receipt": ("送达", "第四十四条", "受送达人"),
    "termination_notice": ("终止办理",),
}
REMEDY = ("申请行政复议", "行政诉讼")

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdfimages") is None,
    reason="needs poppler-utils (pdftotext, pdfimages): make browser installs it",
)


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=CST)


@pytest.fixture
def people(app):
    with app.app_context():
        yield {u.username: Actor.of(u) for u in Session.scalars(select(User))}
        Session.remove()


def new_case(people, slug: str, name: str, day: str):
    application = scenario(slug, name)["application"]
    return submit_application(people["applicant"], slug, applicant_of(application), application, now=at(day))


def do(people, case, bpmn_id: str, user: str, data: dict, day: str):
    Session.refresh(case)
    task = next(t for t in case.tasks if t.bpmn_id == bpmn_id and t.state in ("ready", "claimed"))
    complete_task(people[user], task.id, data, now=at(day))
    Session.refresh(case)
    return case


def text_of(pdf: bytes, tmp_path, name: str) -> tuple[str, str]:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    images = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return text, images


def check(doc: CaseDocument, case, people, tmp_path) -> str:
    """Render the document, read it back and check every part; returns its text."""
    _, pdf = documents.document_pdf(people["supervisor"], case.case_no, doc.id)
    text, images = text_of(pdf, tmp_path, f"{doc.kind}-{doc.id}")
    flat = re.sub(r"\s+", "", text)
    c = doc.content
    problems = []
    for part, value in (
        ("authority", c["authority"]),
        ("title", doc.title),
        ("number", doc.number),
        ("date", c["issued_on_zh"]),
        ("subject", case.item.name_zh),
    ):
        if value.replace(" ", "") not in flat:
            problems.append(f"{part} {value!r} missing")
    if doc.kind != "delivery_receipt" and f"{case.applicant_name}：" not in flat:
        problems.append("addressee missing")
    if doc.kind == "delivery_receipt" and "受送达人" not in flat:
        problems.append("recipient missing")
    if case.case_no not in flat:
        problems.append("facts: no case number")
    if doc.kind != "delivery_receipt" and "根据" not in flat:
        problems.append("no legal basis")
    for word in NEEDS[doc.kind]:
        if word not in flat:
            problems.append(f"{word!r} missing")
    if c.get("remedy"):
        for word in REMEDY:
            if word not in flat:
                problems.append(f"remedy: {word!r} missing")
    for stray in STRAY:
        if stray in flat:
            problems.append(f"stray {stray!r}")
    for line in text.splitlines():
        body = line.strip()
        if body and body[0] in NO_LINE_START:
            problems.append(f"line starts with punctuation: {body!r}")
        if body and body[-1] in NO_LINE_END:
            problems.append(f"line ends with an opening mark: {body!r}")
    if len([row for row in images.splitlines()[2:] if row.strip()]) < 1:
        problems.append("no seal image")
    assert not problems, f"{doc.kind} {doc.number}:\n" + "\n".join(problems) + "\n---\n" + text
    return flat


def docs_of(case) -> list[CaseDocument]:
    """The case's decisions and notices in order; the 收件回执 issued on receipt is not one of them (it has no
    addressee or legal basis; tests/portal/test_receipt.py reads it back)."""
    Session.remove()
    return list(
        Session.scalars(
            select(CaseDocument)
            .where(CaseDocument.case_id == case.id, CaseDocument.kind != "receipt")
            .order_by(CaseDocument.id)
        )
    )


def test_acceptance_correction_special_procedure_renotice_approval_and_delivery(people, tmp_path):
    case = new_case(people, "eia_report_form", "expert_review_approve", "2026-03-02")
    do(
        people,
        case,
        "accept",
        "env_clerk",
        {
            "accept_outcome": "correct",
            "deficient_materials": [
                {"material": "eia_report", "reason": "缺少编制单位盖章。"},
                {"material": "eia_report_public_version", "reason": "未删除个人信息；"},
            ],
        },
        "2026-03-02",
    )
    from app.services.cases import submit_supplement

    submit_supplement(
        people["applicant"],
        case.case_no,
        {"materials": [{"material": "eia_report"}, {"material": "eia_report_public_version"}]},
        now=at("2026-03-03"),
    )
    do(
        people,
        case,
        "accept",
        "env_clerk",
        {"accept_outcome": "accept", "acceptance_note": "材料齐全。"},
        "2026-03-04",
    )
    do(
        people,
        case,
        "review",
        "env_reviewer",
        {
            "review_outcome": "expert_review",
            "review_opinion": "需专家评审",
            "expert_review_reason": "大气环境影响预测模型参数存疑。",
            "expected_duration_wd": 10,
        },
        "2026-03-05",
    )
    renotify_special_procedure(
        people["env_reviewer"], case.case_no, 5, "一名专家回避，需另行抽取。", now=at("2026-03-09")
    )
    steps = {
        s["task"]: s["data"]
        for s in scenario("eia_report_form", "expert_review_approve")["steps"]
        if "task" in s
    }
    do(people, case, "organise_expert_review", "env_reviewer", steps["organise_expert_review"], "2026-03-10")
    do(people, case, "record_expert_opinion", "env_reviewer", steps["record_expert_opinion"], "2026-03-11")
    do(
        people,
        case,
        "decide",
        "env_decider",
        {
            "decision": "approve",
            "decision_reason": "经审查，符合法定条件，准予许可。",
            "decision_number": "厦环审〔2026〕56号",
            "decision_conditions": "落实VOCs收集处理措施；\n排放口按规范设置。",
        },
        "2026-03-12",
    )
    do(
        people,
        case,
        "issue_result",
        "env_clerk",
        {
            "result_number": "厦环审〔2026〕56号",
            "issue_date": "2026-03-12",
            "delivery_method": "post",
            "delivered_on": "2026-03-12",
            "recipient": "林晓燕",
        },
        "2026-03-12",
    )
    docs = docs_of(case)
    kinds = [d.kind for d in docs]
    assert kinds == [
        "correction_notice",
        "acceptance_notice",
        "special_procedure_notice",
        "special_procedure_notice",
        "approval_decision",
        "delivery_receipt",
    ]
    texts = {d.id: check(d, case, people, tmp_path) for d in docs}
    correction, acceptance, special, renotice, approval, receipt = docs
    assert "缺少编制单位盖章" in texts[correction.id] and "共2项" in texts[correction.id]
    assert "专家评审" in texts[special.id] and "10个工作日" in texts[special.id]
    assert "再次书面告知" in texts[renotice.id] and "5个工作日" in texts[renotice.id]
    # the number the office typed by hand, the project, the conditions
    assert (
        approval.number == "厦环审〔2026〕56号" and "年产5000吨水性涂料生产线建设项目" in texts[approval.id]
    )
    assert "落实VOCs收集处理措施" in texts[approval.id] and "排放口按规范设置" in texts[approval.id]
    assert (
        "厦环审〔2026〕56号" in texts[receipt.id]
        and "林晓燕" in texts[receipt.id]
        and "邮寄送达" in texts[receipt.id]
    )
    # the office's own sequence numbers the rest, per department, year and kind
    assert [correction.number, acceptance.number, special.number, renotice.number] == [
        "厦环补〔2026〕1号",
        "厦环受〔2026〕1号",
        "厦环特〔2026〕1号",
        "厦环特〔2026〕2号",
    ]


def test_refusal_and_denial_state_the_remedy_with_the_reconsideration_body(people, tmp_path):
    remedy = "如不服本决定，可以自收到本决定之日起六十日内依法申请行政复议，或者自收到本决定之日起六个月内依法向人民法院提起行政诉讼。"
    refused = new_case(people, "road_freight_permit", "accept_approve", "2026-03-02")
    do(
        people,
        refused,
        "accept",
        "tr_clerk",
        {
            "accept_outcome": "refuse",
            "refuse_reason": "申请人不具备道路运输经营主体资格。",
            "remedy_rights": remedy,
        },
        "2026-03-02",
    )
    denied = new_case(people, "road_freight_permit", "accept_approve", "2026-03-02")
    steps = scenario("road_freight_permit", "accept_approve")["steps"]
    do(people, denied, "accept", "tr_clerk", steps[0]["data"], "2026-03-02")
    do(people, denied, "review", "tr_reviewer", steps[1]["data"], "2026-03-03")
    do(
        people,
        denied,
        "decide",
        "tr_decider",
        {
            "decision": "deny",
            "decision_reason": "不符合条件",
            "deny_reason": "两辆车技术等级未达到二级。",
            "remedy_rights": remedy,
        },
        "2026-03-04",
    )
    (refusal,) = docs_of(refused)
    text = check(refusal, refused, people, tmp_path)
    assert "厦门市湖里区人民政府申请行政复议" in text and "申请人不具备道路运输经营主体资格" in text
    denial = docs_of(denied)[-1]
    assert denial.kind == "denial_decision"
    text = check(denial, denied, people, tmp_path)
    assert "两辆车技术等级未达到二级" in text and "厦门市湖里区人民政府" in text
    assert "《中华人民共和国道路运输条例》第二十一条、第二十二条" in text


def test_extension_deemed_acceptance_service_refusal_and_termination(people, tmp_path):
    freight = new_case(people, "road_freight_permit", "extension_approved_approve", "2026-03-02")
    steps = scenario("road_freight_permit", "extension_approved_approve")["steps"]
    do(people, freight, "accept", "tr_clerk", steps[0]["data"], "2026-03-02")
    do(people, freight, "review", "tr_reviewer", steps[1]["data"], "2026-03-03")
    do(people, freight, "decide", "tr_decider", steps[2]["data"], "2026-03-04")
    do(people, freight, "approve_extension", "tr_head", steps[3]["data"], "2026-03-05")
    extension = docs_of(freight)[-1]
    assert extension.kind == "extension_notice"
    text = check(extension, freight, people, tmp_path)
    assert (
        "需向车辆登记地核实两辆车的检测记录，本机关不能在规定期限内作出决定" in text
        and "延长10个工作日" in text
    )

    deemed = new_case(people, "eia_report_form", "accept_approve", "2026-03-02")
    assert apply_deemed_acceptance(None, at("2026-03-10")) == [deemed.case_no]
    (notice,) = docs_of(deemed)
    assert notice.title == "受理通知书（视为受理）"
    text = check(notice, deemed, people, tmp_path)
    assert "即为受理" in text and "第三十二条第一款第（四）项" in text

    reissue = new_case(people, "road_cert_reissue", "refuse", "2026-03-02")
    refuse = scenario("road_cert_reissue", "refuse")["steps"][0]["data"]
    do(people, reissue, "handle", "tr_clerk", refuse, "2026-03-02")
    (refusal,) = docs_of(reissue)
    assert refusal.kind == "service_refusal"
    check(refusal, reissue, people, tmp_path)

    withdrawn = new_case(people, "eia_report_form", "accept_approve", "2026-03-02")
    withdraw_application(people["applicant"], withdrawn.case_no, "项目取消。", now=at("2026-03-03"))
    (termination,) = docs_of(withdrawn)
    text = check(termination, withdrawn, people, tmp_path)
    assert "撤回理由：项目取消" in text

    lapsed = new_case(people, "road_freight_permit", "accept_approve", "2026-03-02")
    do(
        people,
        lapsed,
        "accept",
        "tr_clerk",
        {
            "accept_outcome": "correct",
            "deficient_materials": [{"material": "vehicle_licences", "reason": "行驶证已过期"}],
        },
        "2026-03-02",
    )
    expire_corrections(None, at("2026-04-15"))
    termination = docs_of(lapsed)[-1]
    assert termination.kind == "termination_notice" and termination.content["deemed"] is True
    text = check(termination, lapsed, people, tmp_path)
    assert "该申请视为撤回" in text and "申请行政复议" in text


def two_freight_cases_at_decide(people):
    """Two road-freight cases accepted and reviewed, both waiting for their decision."""
    cases = [new_case(people, "road_freight_permit", "accept_approve", "2026-03-02") for _ in range(2)]
    steps = scenario("road_freight_permit", "accept_approve")["steps"]
    for case in cases:
        do(people, case, "accept", "tr_clerk", steps[0]["data"], "2026-03-02")
        do(people, case, "review", "tr_reviewer", steps[1]["data"], "2026-03-03")
    return cases


def test_a_decision_number_already_used_is_refused_and_nothing_is_written(people):
    first, second = two_freight_cases_at_decide(people)
    data = {"decision": "approve", "decision_reason": "符合条件。", "decision_number": "湖交运许〔2026〕7号"}
    do(people, first, "decide", "tr_decider", data, "2026-03-04")
    from app.services.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        do(people, second, "decide", "tr_decider", data, "2026-03-04")
    assert exc.value.details[0]["field"] == "decision_number"
    Session.refresh(second)
    assert [t.bpmn_id for t in second.tasks if t.state in ("ready", "claimed")] == ["decide"]
    assert [d.kind for d in docs_of(second)] == ["acceptance_notice"]


def test_a_decision_number_another_office_commits_between_the_check_and_the_commit_is_a_422_not_a_500(
    people, app, is_postgres
):
    """The check (one SELECT) passes, then another request commits a document with the same typed number
    before this step writes its own: the unique key refuses the step — the form's field error, and
    nothing of the step is written. PostgreSQL: the other writer is a second connection of the same
    database, committing right after this step's check has read the number free."""
    if not is_postgres:
        pytest.skip(
            "TEST_DATABASE_URL not set: the concurrent writer needs PostgreSQL (SQLite has one writer)"
        )
    from sqlalchemy import event, text

    from app.services.errors import ValidationFailed

    first, second = two_freight_cases_at_decide(people)
    number = "湖交运许〔2026〕8号"
    first_id, second_id = first.id, second.id
    engine = app.extensions["tongban.engine"]
    raced = []

    def other_office_commits(conn, cursor, statement, parameters, context, executemany):
        checks_number = "FROM case_document" in statement and "case_document.number =" in statement
        if raced or not checks_number or number not in str(parameters):
            return
        raced.append(statement)
        with engine.connect() as other:
            other.execute(text("SET lock_timeout = '2s'"))  # a blocked insert fails the test, never hangs it
            other.execute(
                text(
                    "INSERT INTO case_document (case_id, kind, number, title, content, created_at)"
                    " VALUES (:case_id, 'approval_decision', :number, '准予行政许可决定书', '{}', now())"
                ),
                {"case_id": first_id, "number": number},
            )
            other.commit()

    event.listen(engine, "after_cursor_execute", other_office_commits)
    data = {"decision": "approve", "decision_reason": "符合条件。", "decision_number": number}
    try:
        with pytest.raises(ValidationFailed) as exc:
            do(people, second, "decide", "tr_decider", data, "2026-03-04")
    finally:
        event.remove(engine, "after_cursor_execute", other_office_commits)
    assert raced, "the step never checked the typed number"
    assert exc.value.code == "number_taken" and exc.value.details[0]["field"] == "decision_number"
    Session.remove()
    second = Session.get(Case, second_id)
    assert [t.bpmn_id for t in second.tasks if t.state in ("ready", "claimed")] == ["decide"]
    assert [d.kind for d in docs_of(second)] == ["acceptance_notice"]
    assert Session.scalar(select(CaseDocument.case_id).where(CaseDocument.number == number)) == first_id
