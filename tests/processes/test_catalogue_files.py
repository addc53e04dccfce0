"""Static checks of the service catalogue: processes/<slug>/ and forms/<slug>/ (real files, no engine wrapper)."""

from __future__ import annotations

import ast
import json
import re
from functools import cache
from pathlib import Path

import jsonschema
import pytest
import yaml
from lxml import etree
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine.vocab import Role
from tests.processes.scenarios import item_slugs

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ROOT / "processes"
FORMS = ROOT / "forms"

EXPECTED_SLUGS = {
    "eia_report_form",
    "hazardous_waste_licence",
    "road_freight_permit",
    "road_dangerous_goods_transport",
    "road_cert_reissue",
}
ROLES = {r.value for r in Role}
DEPARTMENTS = {"env", "transport", "admin", "centre", "fj_env", "xm_transport", "fj_transport"}
SPECIAL_PROCEDURES = {"expert_review", "site_inspection", "testing", "hearing", "quarantine", "appraisal"}
FORMATS = {"pdf", "ofd", "jpg", "jpeg", "png", "doc", "docx", "xls", "xlsx", "zip"}
WIDGETS = {"text", "textarea", "number", "date", "select", "radio", "checkbox", "file", "group"}
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
CJK = re.compile(r"[\u4e00-\u9fff]")
FLOW_NODES = (
    "startEvent",
    "endEvent",
    "userTask",
    "exclusiveGateway",
    "parallelGateway",
    "callActivity",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "scriptTask",
    "businessRuleTask",
    "serviceTask",
    "manualTask",
    "receiveTask",
    "sendTask",
    "boundaryEvent",
    "inclusiveGateway",
)

# the single-department items; the joint items (一件事) are checked by tests/joint/test_joint_catalogue.py
SLUGS = item_slugs()


def _yaml(path: Path):
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@cache
def item(slug: str) -> dict:
    return _yaml(PROCESSES / slug / "item.yaml")


@cache
def form(slug: str, name: str) -> dict:
    with (FORMS / slug / f"{name}.json").open(encoding="utf-8") as fh:
        return json.load(fh)


def validator(slug: str, name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        form(slug, name)["schema"], format_checker=jsonschema.FormatChecker()
    )


def bpmn_files(slug: str) -> list[Path]:
    return sorted((PROCESSES / slug).glob("*.bpmn"))


@cache
def parsed(slug: str):
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_files([str(p) for p in bpmn_files(slug)])
    parser.add_dmn_files([str(p) for p in sorted((PROCESSES / slug).glob("*.dmn"))])
    spec = parser.get_spec(slug)
    subprocesses = parser.get_subprocess_specs(slug)
    return spec, subprocesses


def all_specs(slug: str):
    spec, subprocesses = parsed(slug)
    return [spec, *subprocesses.values()]


def user_tasks(slug: str) -> dict[str, object]:
    """bpmn_id -> task spec of every user task, main process and call-activity processes."""
    tasks = {}
    for spec in all_specs(slug):
        for ts in spec.task_specs.values():
            if type(ts).__name__ == "UserTask":
                assert ts.bpmn_id not in tasks, f"user task id {ts.bpmn_id} used twice in {slug}"
                tasks[ts.bpmn_id] = ts
    return tasks


def scenarios(slug: str) -> list[Path]:
    return sorted((PROCESSES / slug / "scenarios").glob("*.yaml"))


ALL_SCENARIOS = [(slug, p.name) for slug in SLUGS for p in scenarios(slug)]


def form_names(slug: str) -> list[str]:
    return sorted(p.stem for p in (FORMS / slug).glob("*.json"))


ALL_FORMS = [(slug, name) for slug in SLUGS for name in form_names(slug)]


# ---------------------------------------------------------------- catalogue shape


def test_the_five_items_are_present():
    assert EXPECTED_SLUGS <= set(SLUGS)


def test_item_codes_are_unique():
    codes = [item(s)["code"] for s in SLUGS]
    assert len(codes) == len(set(codes))


# ---------------------------------------------------------------- item.yaml


def _zh_en(value, where):
    assert isinstance(value, dict) and set(value) == {"zh", "en"}, f"{where} needs exactly zh and en: {value}"
    assert CJK.search(value["zh"]), f"{where}.zh should be Chinese"
    assert value["en"].strip(), f"{where}.en is empty"


@pytest.mark.parametrize("slug", SLUGS)
def test_item_yaml_has_every_key(slug):
    it = item(slug)
    for key in (
        "code",
        "slug",
        "process_id",
        "name",
        "department",
        "kind",
        "legal_basis",
        "limits",
        "lights",
        "fees",
        "materials",
        "special_procedures",
        "result",
    ):
        assert key in it, f"{slug}: item.yaml lacks {key}"
    assert re.fullmatch(r"\d{6}-[A-Z]{2,6}-[A-Z]{2}-\d{4}", it["code"]), it["code"]
    assert it["slug"] == slug and it["process_id"] == slug
    _zh_en(it["name"], "name")
    assert it["department"] in DEPARTMENTS
    assert it["kind"] in {"promised", "immediate"}
    assert it["legal_basis"] and all("《" in b and "第" in b for b in it["legal_basis"]), (
        "cite law and article"
    )
    assert it["power_type"] in {"licensing", "public_service"} and CJK.search(it["power_type_basis"])
    assert it["authority_level"] in {"province", "city", "county"} and "第" in it["authority_basis"]
    limits = it["limits"]
    for key in (
        "statutory_wd",
        "statutory_basis",
        "statutory_starts",
        "statutory_starts_basis",
        "promised_wd",
        "promised_basis",
        "acceptance_wd",
        "delivery_wd",
        "extension_max_wd",
        "extension_basis",
        "applicant_correction_wd",
        "correction_expiry",
        "correction_expiry_basis",
    ):
        assert key in limits, f"{slug}: limits lacks {key}"
    for key in ("statutory_wd", "promised_wd", "delivery_wd", "extension_max_wd"):
        assert isinstance(limits[key], int) and not isinstance(limits[key], bool) and limits[key] >= 0, key
    assert limits["applicant_correction_wd"] is None or (
        isinstance(limits["applicant_correction_wd"], int) and limits["applicant_correction_wd"] > 0
    )
    for key in (
        "statutory_basis",
        "promised_basis",
        "statutory_starts_basis",
        "extension_basis",
        "correction_expiry_basis",
    ):
        assert CJK.search(limits[key]), f"{slug}: {key} must say why"
    assert limits["statutory_starts"] in {"received", "accepted"}
    assert limits["correction_expiry"] in {"withdrawn", "alert"}
    if it["kind"] == "immediate":
        assert limits["acceptance_wd"] is None, "a 即办件 has no acceptance clock"
    else:
        assert limits["acceptance_wd"] == 5  # 行政许可法 第三十二条
    assert limits["delivery_wd"] == 10  # 行政许可法 第四十四条
    assert limits["extension_max_wd"] <= 10  # 行政许可法 第四十二条
    assert set(it["lights"]) >= {"yellow_remaining_wd", "yellow_consumed_pct"}
    assert 0 < it["lights"]["yellow_consumed_pct"] < 100
    _zh_en(it["fees"], "fees")
    assert it["result"]["type"] in {"approval_document", "licence", "certificate"}
    _zh_en(it["result"]["name"], "result.name")


@pytest.mark.parametrize("slug", SLUGS)
def test_promised_limit_within_35_percent_of_statutory(slug):
    limits = item(slug)["limits"]
    if item(slug)["power_type"] == "licensing":
        assert limits["statutory_wd"] > 0
    assert limits["promised_wd"] <= limits["statutory_wd"]
    assert limits["promised_wd"] * 100 <= 35 * limits["statutory_wd"]
    if item(slug)["kind"] == "immediate":
        assert limits["promised_wd"] == 0


@pytest.mark.parametrize("slug", SLUGS)
def test_materials_are_well_formed_and_unique(slug):
    materials = item(slug)["materials"]
    codes = [m["code"] for m in materials]
    assert len(codes) == len(set(codes)), f"duplicate material codes in {slug}"
    assert any(m["required"] for m in materials)
    for m in materials:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", m["code"]), m["code"]
        _zh_en(m["name"], f"material {m['code']}")
        assert isinstance(m["required"], bool)
        assert m["formats"] and set(m["formats"]) <= FORMATS, m["formats"]


@pytest.mark.parametrize("slug", SLUGS)
def test_special_procedures_match_the_bpmn(slug):
    declared = {p["code"]: p for p in item(slug)["special_procedures"]}
    for p in declared.values():
        assert p["code"] in SPECIAL_PROCEDURES
        _zh_en(p["name"], f"special procedure {p['code']}")
        assert isinstance(p["limit_wd"], int) and p["limit_wd"] > 0
        assert "第四十五条" in p["basis"] or "第" in p["basis"]
    spec, _ = parsed(slug)
    used = {}
    for ts in spec.task_specs.values():
        if type(ts).__name__ == "CallActivity":
            props = ts.extensions.get("properties", {})
            assert ts.spec.startswith(f"{slug}_"), "call-activity process ids are prefixed with the slug"
            if "special_procedure" not in props:
                continue  # an ordinary subprocess (e.g. a site inspection inside the statutory period)
            assert props["special_procedure"] in declared, f"{ts.bpmn_id}: undeclared special procedure"
            used[props["special_procedure"]] = int(props["time_limit_wd"])
    assert used == {code: p["limit_wd"] for code, p in declared.items()}


# ---------------------------------------------------------------- BPMN


@pytest.mark.parametrize("slug", SLUGS)
def test_bpmn_parses_with_the_xsd_validator(slug):
    files = bpmn_files(slug)
    assert PROCESSES / slug / f"{slug}.bpmn" in files
    spec, subprocesses = parsed(slug)
    assert spec.name == slug
    for name in subprocesses:
        assert name.startswith(f"{slug}_")
    # every file is used: main process or a called process
    ids = set()
    for path in files:
        doc = etree.parse(str(path))
        ids |= {p.get("id") for p in doc.iterfind(".//bpmn:process", NS)}
    assert ids == {slug, *subprocesses}


@pytest.mark.parametrize("slug", SLUGS)
def test_bpmn_structure_lanes_and_diagram(slug):
    for path in bpmn_files(slug):
        doc = etree.parse(str(path))
        processes = doc.findall(".//bpmn:process", NS)
        assert len(processes) == 1, f"{path.name}: one process per file"
        process = processes[0]
        participants = doc.findall(".//bpmn:collaboration/bpmn:participant", NS)
        assert [p.get("processRef") for p in participants] == [process.get("id")]
        lanes = {
            ln.get("name"): {r.text for r in ln.iterfind("bpmn:flowNodeRef", NS)}
            for ln in process.iterfind(".//bpmn:lane", NS)
        }
        assert lanes and set(lanes) <= ROLES, f"{path.name}: lane names must be role codes"
        in_lanes = set().union(*lanes.values())
        shapes = {s.get("bpmnElement") for s in doc.iterfind(".//bpmndi:BPMNShape", NS)}
        edges = {e.get("bpmnElement") for e in doc.iterfind(".//bpmndi:BPMNEdge", NS)}
        for tag in FLOW_NODES:
            for node in process.iterfind(f"bpmn:{tag}", NS):
                nid = node.get("id")
                assert re.fullmatch(r"[a-z][a-z0-9_]*", nid), f"{nid}: snake_case ids"
                assert nid in in_lanes, f"{path.name}: {nid} is in no lane"
                assert nid in shapes, f"{path.name}: {nid} has no diagram shape"
                if tag == "userTask":
                    assert CJK.search(node.get("name", "")), f"{nid}: task names are Chinese"
        for flow in process.iterfind("bpmn:sequenceFlow", NS):
            assert flow.get("id") in edges, f"{path.name}: {flow.get('id')} has no diagram edge"
            waypoints = doc.findall(f".//bpmndi:BPMNEdge[@bpmnElement='{flow.get('id')}']/*", NS)
            assert len([w for w in waypoints if etree.QName(w).localname == "waypoint"]) >= 2
            cond = flow.find("bpmn:conditionExpression", NS)
            if cond is not None:
                tree = ast.parse(cond.text, mode="eval")
                assert not any(isinstance(n, ast.Name) and n.id.startswith("_") for n in ast.walk(tree))
        for lane in process.iterfind(".//bpmn:lane", NS):
            assert lane.get("id") in shapes


@pytest.mark.parametrize("slug", SLUGS)
def test_every_user_task_has_a_role_lane_limit_and_form(slug):
    tasks = user_tasks(slug)
    assert tasks
    for bpmn_id, ts in tasks.items():
        assert ts.lane in ROLES - {"applicant"}, f"{slug}/{bpmn_id}: lane {ts.lane!r}"
        props = ts.extensions.get("properties", {})
        assert re.fullmatch(r"\d+", props.get("time_limit_wd", "")), f"{bpmn_id}: time_limit_wd"
        if "special_procedure" in props:
            assert props["special_procedure"] in SPECIAL_PROCEDURES
        for key in ("yellow_remaining_wd", "yellow_consumed_pct"):
            if key in props:
                assert re.fullmatch(r"\d+", props[key])
        assert (FORMS / slug / f"{bpmn_id}.json").is_file(), f"missing forms/{slug}/{bpmn_id}.json"


@pytest.mark.parametrize("slug", SLUGS)
def test_no_orphan_forms(slug):
    expected = set(user_tasks(slug)) | {"application"}
    if item(slug)["kind"] == "promised":
        expected.add("supplement")
    assert set(form_names(slug)) == expected


@pytest.mark.parametrize("slug", SLUGS)
def test_flow_shape_follows_the_conventions(slug):
    tasks = user_tasks(slug)
    spec, _ = parsed(slug)
    ends = {ts.bpmn_id for ts in spec.task_specs.values() if type(ts).__name__ == "EndEvent"}
    if item(slug)["kind"] == "immediate":
        assert set(tasks) == {"handle"} and tasks["handle"].lane == "clerk"
        assert ends == {"issued", "denied"}
        return
    assert {"accept", "review", "decide", "issue_result"} <= set(tasks)
    assert (tasks["accept"].lane, tasks["decide"].lane, tasks["issue_result"].lane) == (
        "clerk",
        "decider",
        "clerk",
    )
    if _extension_allowed(slug):
        # 行政许可法 第四十二条: approved by the head of the office, not by the decider who asks
        assert tasks["approve_extension"].lane == "head"
    else:
        assert "approve_extension" not in tasks, f"{slug}: no Art. 42 extension, no extension step"
    assert ends == {"approved", "denied", "refused"}
    catch = spec.task_specs["wait_supplement"]
    event = catch.event_definition
    assert type(event).__module__ == "SpiffWorkflow.spiff.specs.event_definitions"
    assert event.name == "supplement" and event.message_var == "supplement"


# ---------------------------------------------------------------- forms


def _walk_properties(schema, path="$"):
    for name, sub in schema.get("properties", {}).items():
        yield f"{path}.{name}", sub
        if sub.get("type") == "object":
            yield from _walk_properties(sub, f"{path}.{name}")
        if sub.get("type") == "array" and isinstance(sub.get("items"), dict):
            items = sub["items"]
            yield f"{path}.{name}[]", items
            if items.get("type") == "object":
                yield from _walk_properties(items, f"{path}.{name}[]")


def _enum_of(prop):
    if "enum" in prop:
        return prop["enum"]
    if prop.get("type") == "array" and "enum" in prop.get("items", {}):
        return prop["items"]["enum"]
    return None


def _check_ui_fields(props, fields, where):
    for name, prop in props.items():
        assert name in fields, f"{where}: no ui entry for {name}"
        ui = fields[name]
        assert set(ui["label"]) == {"zh", "en"} and CJK.search(ui["label"]["zh"]), f"{where}.{name}: label"
        assert ui["widget"] in WIDGETS, f"{where}.{name}: widget {ui['widget']}"
        values = _enum_of(prop)
        if values:
            options = ui.get("options", {})
            for value in values:
                assert value in options, f"{where}.{name}: no ui label for enum value {value!r}"
                assert set(options[value]) == {"zh", "en"}, f"{where}.{name}: option {value!r}"
        item_schema = prop.get("items", {}) if prop.get("type") == "array" else {}
        if item_schema.get("type") == "object":
            _check_ui_fields(item_schema["properties"], ui.get("fields", {}), f"{where}.{name}")


@pytest.mark.parametrize(("slug", "name"), ALL_FORMS)
def test_form_is_valid_json_schema_with_titles_and_labels(slug, name):
    doc = form(slug, name)
    assert set(doc) == {"title", "schema", "ui"}
    _zh_en(doc["title"], "title")
    schema = doc["schema"]
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert set(schema["required"]) <= set(schema["properties"])
    for path, prop in _walk_properties(schema):
        assert CJK.search(prop.get("title", "")), f"{slug}/{name}: {path} needs a Chinese title"
        if prop.get("type") == "object":
            assert prop.get("additionalProperties") is False, f"{path}: additionalProperties false"
        for value in _enum_of(prop) or []:
            assert re.fullmatch(r"[a-z][a-z0-9_]*", value), f"{path}: enum values are ascii codes"
    for branch in schema.get("allOf", []):
        for key in ("if", "then"):
            for field in branch[key].get("required", []):
                assert field in schema["properties"], f"{slug}/{name}: allOf names unknown field {field}"
    assert doc["ui"]["order"] == list(schema["properties"])
    _check_ui_fields(schema["properties"], doc["ui"]["fields"], f"{slug}/{name}")


@pytest.mark.parametrize(("slug", "name"), ALL_FORMS)
def test_form_material_enums_match_item_yaml(slug, name):
    codes = {m["code"] for m in item(slug)["materials"]}
    for path, prop in _walk_properties(form(slug, name)["schema"]):
        leaf = path.rsplit(".", 1)[-1]
        if leaf in {"material", "submitted_materials"}:
            assert set(_enum_of(prop)) == codes, f"{slug}/{name}: {path} must list the item's material codes"


@pytest.mark.parametrize(("slug", "name"), ALL_FORMS)
def test_form_rejects_obviously_wrong_payloads(slug, name):
    v = validator(slug, name)
    schema = form(slug, name)["schema"]
    assert not v.is_valid({"__unexpected__": 1})
    if schema["required"]:
        assert not v.is_valid({})
    # a valid scenario payload, corrupted: wrong enum, wrong type
    good = _a_valid_payload(slug, name)
    if good is None:
        pytest.skip("no scenario payload for this form")
    assert v.is_valid(good), list(v.iter_errors(good))
    enums = [k for k, p in schema["properties"].items() if "enum" in p and k in good]
    for key in enums:
        assert not v.is_valid({**good, key: "not_a_valid_code"}), f"{key} accepted a bogus enum value"
    for key, prop in schema["properties"].items():
        if key in good and prop.get("type") in {"integer", "number", "boolean", "array"}:
            assert not v.is_valid({**good, key: "text"}), f"{key} accepted a string"


def _a_valid_payload(slug, name):
    for path in scenarios(slug):
        sc = _yaml(path)
        if name == "application":
            return sc["application"]
        for st in sc["steps"]:
            if st.get("task") == name or (name == "supplement" and st.get("message") == "supplement"):
                return st["data"]
    return None


# conditional requirements, spelled out
CONDITIONAL_CASES = [
    ("accept", {"accept_outcome": "correct"}, False),
    ("accept", {"accept_outcome": "correct", "deficient_materials": []}, False),
    (
        "accept",
        {"accept_outcome": "correct", "deficient_materials": [{"material": "@", "reason": "缺"}]},
        True,
    ),
    ("accept", {"accept_outcome": "correct", "deficient_materials": [{"material": "@"}]}, False),
    ("accept", {"accept_outcome": "refuse", "refuse_reason": "不属于本机关职权范围"}, False),
    (
        "accept",
        {"accept_outcome": "refuse", "refuse_reason": "不属于本机关职权范围", "remedy_rights": "可复议"},
        True,
    ),
    ("accept", {"accept_outcome": "accept"}, True),
    ("decide", {"decision": "deny", "decision_reason": "不符合"}, False),
    (
        "decide",
        {"decision": "deny", "decision_reason": "不符合", "deny_reason": "理由", "remedy_rights": "可复议"},
        True,
    ),
    (
        "decide",
        {
            "decision": "extend",
            "decision_reason": "延期",
            "extension_days": 11,
            "extension_reason": "需征求意见",
        },
        False,
    ),
    (
        "decide",
        {
            "decision": "extend",
            "decision_reason": "延期",
            "extension_days": 0,
            "extension_reason": "需征求意见",
        },
        False,
    ),
    ("decide", {"decision": "extend", "decision_reason": "延期", "extension_days": 10}, False),
    (
        "decide",
        {
            "decision": "extend",
            "decision_reason": "延期",
            "extension_days": 10,
            "extension_reason": "需征求意见",
        },
        True,
    ),
    ("decide", {"decision": "approve", "decision_reason": "符合条件"}, True),
    ("approve_extension", {"extension_approved": False}, False),
    ("approve_extension", {"extension_approved": "yes"}, False),
    ("approve_extension", {"extension_approved": True}, True),
]


def _extension_allowed(slug: str) -> bool:
    return int(item(slug)["limits"]["extension_max_wd"] or 0) > 0


@pytest.mark.parametrize("slug", [s for s in SLUGS if item(s)["kind"] == "promised"])
@pytest.mark.parametrize(("name", "payload", "ok"), CONDITIONAL_CASES)
def test_conditional_requirements(slug, name, payload, ok):
    if not _extension_allowed(slug) and (name == "approve_extension" or payload.get("decision") == "extend"):
        assert not (FORMS / slug / "approve_extension.json").exists()
        assert "extend" not in form(slug, "decide")["schema"]["properties"]["decision"]["enum"]
        return
    material = item(slug)["materials"][0]["code"]
    payload = json.loads(json.dumps(payload).replace('"@"', json.dumps(material)))
    assert validator(slug, name).is_valid(payload) is ok


def test_eia_review_requires_duration_for_expert_review():
    v = validator("eia_report_form", "review")
    assert not v.is_valid({"review_outcome": "expert_review", "review_opinion": "需评审"})
    assert not v.is_valid(
        {
            "review_outcome": "expert_review",
            "review_opinion": "需评审",
            "expert_review_reason": "模型存疑",
            "expected_duration_wd": 16,
        }
    )
    assert v.is_valid(
        {
            "review_outcome": "expert_review",
            "review_opinion": "需评审",
            "expert_review_reason": "模型存疑",
            "expected_duration_wd": 10,
        }
    )
    assert not v.is_valid({"review_outcome": "return", "review_opinion": "退回"})


def test_dangerous_goods_review_records_the_on_site_check():
    """《道路危险货物运输管理规定》: the city bureau checks the vehicles and the parking lot on site before deciding."""
    v = validator("road_dangerous_goods_transport", "review")
    opinion = {"review_conclusion": "compliant", "review_opinion": "符合条件"}
    assert not v.is_valid(opinion)
    assert not v.is_valid({**opinion, "site_check_date": "2026-12-07"})
    assert not v.is_valid(
        {**opinion, "site_check_date": "2026-13-07", "site_check_findings": "停车场地符合要求"}
    )
    assert v.is_valid({**opinion, "site_check_date": "2026-12-07", "site_check_findings": "停车场地符合要求"})


def test_dangerous_goods_application_needs_ten_vehicles_for_explosives_or_highly_toxic_chemicals():
    """第八条: at least 5 own special vehicles, 10 for explosives (class 1) or highly toxic chemicals."""
    v = validator("road_dangerous_goods_transport", "application")
    app = _a_valid_payload("road_dangerous_goods_transport", "application")
    assert v.is_valid({**app, "vehicle_count": 5})
    assert not v.is_valid({**app, "vehicle_count": 4})
    for scope in (["class1"], ["class3", "highly_toxic"]):
        assert not v.is_valid({**app, "dangerous_goods_scope": scope, "vehicle_count": 9})
        assert v.is_valid({**app, "dangerous_goods_scope": scope, "vehicle_count": 10})
    assert not v.is_valid({**app, "applicant_kind": "person"})  # an enterprise applies (第十条)


def test_reissue_handle_requires_reason_or_number():
    v = validator("road_cert_reissue", "handle")
    assert not v.is_valid({"outcome": "refuse"})
    assert not v.is_valid({"outcome": "issue"})
    assert v.is_valid({"outcome": "issue", "result_number": "350200123987"})
    assert v.is_valid({"outcome": "refuse", "refuse_reason": "车辆已注销", "remedy_rights": "可复议"})


@pytest.mark.parametrize("slug", SLUGS)
def test_application_id_number_matches_applicant_kind(slug):
    v = validator(slug, "application")
    app = _a_valid_payload(slug, "application")
    if app["applicant_kind"] == "person":
        # a unified social credit code is not a resident ID
        assert not v.is_valid({**app, "applicant_id_number": "91350200MA2Y8K3Q1P"})
        assert not v.is_valid({**app, "applicant_id_number": "350203198513123013"})  # month 13
    # 'I' and 'O' never occur in a unified social credit code (nor letters in a resident ID)
    assert not v.is_valid({**app, "applicant_id_number": "91350200MA2Y8K3QIO"})
    if "entity" in form(slug, "application")["schema"]["properties"]["applicant_kind"]["enum"]:
        entity = {**app, "applicant_kind": "entity", "applicant_id_number": "91350200MA2Y8K3Q1P"}
        entity.pop("legal_representative", None)
        assert not v.is_valid(entity), "an entity needs its legal representative"
        assert v.is_valid({**entity, "legal_representative": "陈建国"})
    assert not v.is_valid({**app, "contact_phone": "12345"})
    assert not v.is_valid({**app, "submitted_materials": ["no_such_material"]})


# ---------------------------------------------------------------- scenarios


@pytest.mark.parametrize(("slug", "filename"), ALL_SCENARIOS)
def test_scenario_data_validates_against_the_forms(slug, filename):
    sc = _yaml(PROCESSES / slug / "scenarios" / filename)
    assert set(sc) == {"name", "application", "steps", "expect"}
    assert CJK.search(sc["name"])
    errors = list(validator(slug, "application").iter_errors(sc["application"]))
    assert not errors, [e.message for e in errors]
    tasks = user_tasks(slug)
    for i, st in enumerate(sc["steps"]):
        if "message" in st:
            assert st["message"] == "supplement" and set(st) == {"message", "data"}
            errors = list(validator(slug, "supplement").iter_errors(st["data"]))
        else:
            assert set(st) == {"task", "role", "data"}
            assert st["task"] in tasks, f"step {i}: unknown task {st['task']}"
            assert tasks[st["task"]].lane == st["role"], f"step {i}: role {st['role']} != lane"
            errors = list(validator(slug, st["task"]).iter_errors(st["data"]))
        assert not errors, f"step {i} ({st.get('task') or st.get('message')}): {[e.message for e in errors]}"
    expect = sc["expect"]
    assert expect["completed"] is True
    spec, _ = parsed(slug)
    assert type(spec.task_specs[expect["end_event"]]).__name__ == "EndEvent"


@pytest.mark.parametrize("slug", SLUGS)
def test_scenarios_cover_every_task_and_end_event(slug):
    seen_tasks, seen_ends, corrections = set(), set(), set()
    for path in scenarios(slug):
        sc = _yaml(path)
        seen_tasks |= {st["task"] for st in sc["steps"] if "task" in st}
        seen_ends.add(sc["expect"]["end_event"])
        corrections.add(sum(1 for st in sc["steps"] if "message" in st))
        for st in sc["steps"]:
            if st.get("task") == "approve_extension":
                corrections.add(("extension", st["data"]["extension_approved"]))
    spec, _ = parsed(slug)
    ends = {ts.bpmn_id for ts in spec.task_specs.values() if type(ts).__name__ == "EndEvent"}
    assert seen_tasks == set(user_tasks(slug))
    assert seen_ends == ends
    if item(slug)["kind"] == "promised":
        assert {0, 1, 2} <= corrections, "direct, one and two corrections"
        if _extension_allowed(slug):
            assert {("extension", True), ("extension", False)} <= corrections
