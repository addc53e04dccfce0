"""Task pages with the whole file: the application, the materials, every earlier opinion in order, the
clocks, the extension request being approved; and a send-back (退回) from the decision to the review."""

from __future__ import annotations

from sqlalchemy import select

from app.models import AuditEvent, Case, Session
from tests.factories import scenario, submit
from tests.web.helpers import open_task_id, submit_case, visible_text, web_login


def _complete(api, case_no: str, bpmn_id: str, user: str, data: dict) -> None:
    doc = api.get(f"/cases/{case_no}", user).get_json()
    (task,) = [t for t in doc["open_tasks"] if t["bpmn_id"] == bpmn_id]
    resp = api.post(f"/tasks/{task['id']}/complete", user, json={"data": data})
    assert resp.status_code == 200, resp.get_json()


def _steps(slug: str, name: str) -> list[dict]:
    return scenario(slug, name)["steps"]


def test_the_reviewer_sees_the_application_materials_the_acceptance_opinion_and_the_clocks(client, api):
    case_no = submit_case(api)
    _complete(
        api,
        case_no,
        "accept",
        "env_clerk",
        {"accept_outcome": "accept", "acceptance_note": "材料齐全，予以受理。"},
    )
    task_id = open_task_id(api, case_no, "env_reviewer")
    web_login(client, "env_reviewer")
    page = client.get(f"/tasks/{task_id}").data.decode()
    application = page.split('id="application"')[1].split("</section>")[0]
    # the summary, with the application form's labels; the full form with option labels, not codes
    assert "申请人名称" in application and "厦门海沧新材料科技有限公司" in application
    assert "年产5000吨水性涂料生产线建设项目" in application
    assert "新建" in application and ">new<" not in application
    opinions = page.split('id="opinions"')[1].split("</section>")[0]
    assert "受理审查" in opinions and "环保窗口 王敏" in opinions and "予以受理" in opinions
    assert "材料齐全，予以受理。" in opinions and "accept_outcome" not in opinions
    assert 'id="materials"' in page
    clocks = page.split('id="clocks"')[1].split("</section>")[0]
    assert "承诺办结" in clocks or "承诺时限" in clocks
    assert "法定" in clocks


def test_opinions_are_listed_in_the_order_the_steps_were_done(client, api):
    case_no = submit(api, "road_freight_permit", "accept_approve")
    steps = _steps("road_freight_permit", "accept_approve")
    _complete(api, case_no, "accept", "tr_clerk", steps[0]["data"])
    _complete(api, case_no, "review", "tr_reviewer", steps[1]["data"])
    task_id = open_task_id(api, case_no, "tr_decider")
    web_login(client, "tr_decider")
    page = client.get(f"/tasks/{task_id}").data.decode()
    opinions = page.split('id="opinions"')[1].split("</section>")[0]
    assert opinions.index("受理审查") < opinions.index("交通窗口 陈静") < opinions.index("运管审查 刘洋")
    assert "符合《道路运输条例》第二十一条规定" in opinions


def test_the_head_approving_an_extension_sees_the_days_the_reason_and_who_asked(client, api):
    case_no = submit(api, "road_freight_permit", "extension_approved_approve")
    steps = _steps("road_freight_permit", "extension_approved_approve")
    for s, user in zip(steps[:3], ("tr_clerk", "tr_reviewer", "tr_decider"), strict=True):
        _complete(api, case_no, s["task"], user, s["data"])
    task_id = open_task_id(api, case_no, "tr_head")
    web_login(client, "tr_head")
    page = client.get(f"/tasks/{task_id}").data.decode()
    request = page.split('id="extension-request"')[1].split("</section>")[0]
    assert "10 个工作日" in request
    assert "需向车辆登记地核实两辆车的检测记录。" in request
    assert "交通局 赵科长" in request


def test_a_decider_sends_the_case_back_to_review_with_a_reason_and_it_is_recorded(client, api):
    case_no = submit(api, "road_freight_permit", "accept_approve")
    steps = _steps("road_freight_permit", "accept_approve")
    _complete(api, case_no, "accept", "tr_clerk", steps[0]["data"])
    _complete(api, case_no, "review", "tr_reviewer", steps[1]["data"])
    task_id = open_task_id(api, case_no, "tr_decider")
    csrf = web_login(client, "tr_decider")
    form = client.get(f"/tasks/{task_id}").data.decode()
    assert 'value="send_back"' in form and "退回审查" in form
    missing = client.post(f"/tasks/{task_id}", data={"csrf_token": csrf, "decision": "send_back"})
    assert missing.status_code == 422
    page = missing.data.decode()
    summary = visible_text(page.split('id="form-message"')[1].split("</div>")[0])
    assert "退回理由：必填" in summary and "send_back_reason" not in summary
    done = client.post(
        f"/tasks/{task_id}",
        data={"csrf_token": csrf, "decision": "send_back", "send_back_reason": "请核实闽D7L926的检测结论"},
    )
    assert done.status_code == 303
    doc = api.get(f"/cases/{case_no}", "supervisor").get_json()
    assert [t["bpmn_id"] for t in doc["open_tasks"]] == ["review"]
    Session.remove()
    case = Session.scalar(select(Case).where(Case.case_no == case_no))
    (entry,) = case.clock_inputs["send_backs"]
    assert (entry["from"], entry["to"], entry["reason"]) == ("decide", "review", "请核实闽D7L926的检测结论")
    audit = Session.scalar(
        select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == "case.sent_back")
    )
    assert audit.after == {"step": "review", "reason": "请核实闽D7L926的检测结论"}
    # the reviewer's new task shows why it came back; the case page lists the send-back
    review_id = open_task_id(api, case_no, "tr_reviewer")
    web_login(client, "tr_reviewer")
    review = client.get(f"/tasks/{review_id}").data.decode()
    opinions = review.split('id="opinions"')[1].split("</section>")[0]
    assert "退回至 审查" in opinions and "请核实闽D7L926的检测结论" in opinions
    case_page = client.get(f"/cases/{case_no}").data.decode()
    assert "退回" in case_page and "请核实闽D7L926的检测结论" in case_page
    # the reviewer cannot send the case back to the window: the review form offers no such choice
    assert 'value="send_back"' not in review
