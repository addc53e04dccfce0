"""The public catalogue and service guide: item.yaml guide blocks, the API without a token, pages, files."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

SLUGS = sorted(p.name for p in (ROOT / "processes").iterdir() if (p / "item.yaml").is_file())
GUIDE_KEYS = (
    "authority",
    "power_type",
    "themes",
    "online",
    "visits",
    "conditions",
    "process",
    "steps",
    "lanes",
    "fees_basis",
    "where",
    "hours",
    "consultation_phone",
    "complaint_phone",
    "delivery",
    "result_validity",
    "materials",
)


def _item(slug):
    return yaml.safe_load((ROOT / "processes" / slug / "item.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("slug", SLUGS)
def test_guide_block_has_every_field_and_a_guide_entry_per_material(slug):
    from app.services.guide import PAPER, THEMES

    item = _item(slug)
    guide = item["guide"]
    missing = [k for k in GUIDE_KEYS if k not in guide]
    assert not missing, f"{slug}: guide lacks {missing}"
    assert guide["visits"] in (0, 1)
    assert set(guide["themes"]) <= set(THEMES)
    assert set(guide["materials"]) == {m["code"] for m in item["materials"]}
    for code, m in guide["materials"].items():
        assert m["basis"].startswith("《"), f"{slug}/{code}: basis should cite a law"
        assert m["paper"] in PAPER and int(m["copies"]) >= 1
    for bilingual in ("authority", "power_type", "fees_basis", "where", "hours", "result_validity"):
        assert guide[bilingual]["zh"] and guide[bilingual]["en"], f"{slug}: {bilingual}"


@pytest.mark.parametrize("slug", SLUGS)
def test_every_step_and_lane_of_the_bpmn_has_a_public_name(slug):
    guide = _item(slug)["guide"]
    for bpmn in (ROOT / "processes" / slug).glob("*.bpmn"):
        text = bpmn.read_text(encoding="utf-8")
        for task in re.findall(r'<bpmn:(?:userTask|callActivity) id="([^"]+)"', text):
            assert task in guide["steps"], f"{bpmn.name}: no public name for {task}"
        for lane in re.findall(r'<bpmn:lane id="[^"]+" name="([^"]+)"', text):
            assert lane in guide["lanes"], f"{bpmn.name}: no public name for lane {lane}"


@pytest.mark.parametrize("slug", SLUGS)
def test_every_material_has_a_committed_sample_and_the_blank_forms_it_promises(slug):
    guide = _item(slug)["guide"]
    folder = ROOT / "processes" / slug / "guide"
    for code, m in guide["materials"].items():
        kinds = ["sample"] + (["blank"] if m.get("blank") else [])
        for kind in kinds:
            path = folder / f"{code}-{kind}.pdf"
            assert path.is_file(), f"{path} missing: run scripts/make_guide_files.py"
            assert path.read_bytes().startswith(b"%PDF-"), path
        if not m.get("blank"):
            assert not (folder / f"{code}-blank.pdf").exists()


def test_catalogue_api_needs_no_token_and_carries_guide_fields(api):
    items = api.get("/items").get_json()["items"]
    assert len(items) == 6  # five items and the joint item (一件事) that composes two of them
    eia = next(i for i in items if i["slug"] == "eia_report_form")
    assert eia["department_name"] == {
        "zh": "厦门市生态环境局",
        "en": "Xiamen Municipal Ecology and Environment Bureau",
    }
    assert eia["themes"] == ["environment", "construction"]


def test_item_api_has_guide_materials_and_the_application_schema(api):
    doc = api.get("/items/350206-QXJT-GG-0001").get_json()
    guide = doc["guide"]
    assert guide["authority"]["zh"] == "厦门市湖里区交通运输局"
    assert guide["power_type"]["zh"] == "公共服务"  # a reissue is no new licence
    assert guide["kind"] == {"code": "immediate", "name": {"zh": "即办件", "en": "Immediate item"}}
    assert guide["visits"] == 1 and guide["consultation_phone"] == "12345"
    assert guide["result"]["validity"]["zh"].startswith("补发的道路运输证")
    assert [s["zh"] for s in guide["steps"]] == ["审核并当场补发"]
    codes = [m["code"] for m in doc["materials"]]
    assert codes[0] == "application_form" and doc["materials"][0]["blank_url"].endswith(
        "application_form-blank.pdf"
    )
    assert doc["application_schema"]["required"][:3] == [
        "applicant_kind",
        "applicant_name",
        "applicant_id_number",
    ]
    assert "vehicle_plate" in doc["application_schema"]["properties"]


def test_special_procedure_in_the_guide_says_it_does_not_count(api):
    guide = api.get("/items/eia_report_form").get_json()["guide"]
    (proc,) = guide["special_procedures"]
    assert proc["code"] == "expert_review" and proc["limit_wd"] == 15
    assert proc["counts_against_limit"] is False and "第四十五条" in proc["basis"]


def test_catalogue_search_by_word_department_and_theme(api):
    def codes(**args):
        return sorted(i["slug"] for i in api.get("/items", query_string=args).get_json()["items"])

    assert codes(q="危险废物") == ["hazardous_waste_licence", "hazardous_waste_transport_joint"]
    assert codes(q="road") == [
        "hazardous_waste_transport_joint",
        "road_cert_reissue",
        "road_dangerous_goods_transport",
        "road_freight_permit",
    ]
    assert codes(department="xm_transport") == ["road_dangerous_goods_transport"]
    assert codes(department="env") == ["eia_report_form", "hazardous_waste_licence"]
    assert codes(theme="construction") == ["eia_report_form"]
    assert codes(theme="transport", q="补发") == ["road_cert_reissue"]
    assert codes(q="没有这种事项") == []


def test_home_page_lists_items_by_department_and_theme_without_login(client):
    page = client.get("/").data.decode()
    assert "网上办事大厅" in page and "工作人员登录" not in page
    assert 'data-department="env"' in page and 'data-theme="vehicles"' in page
    assert page.count("道路运输证补发") >= 3  # under its department and both of its themes


def test_home_search_shows_results(client):
    page = client.get("/?q=环境影响").data.decode()
    results = page.split('id="results"')[1].split("</ul>")[0]
    assert "建设项目环境影响报告表审批" in results and "道路" not in results


def test_guide_page_shows_every_section_in_chinese_and_english(client):
    page = client.get("/guide/350200-SXHJ-XK-0001").data.decode()
    for text in (
        "实施机关",
        "厦门市生态环境局",
        "权力类型",
        "受理条件",
        "申请材料",
        "设定依据",
        "办理流程",
        "法定办结时限",
        "承诺办结时限",
        "专家评审",
        "不计入",
        "第五十八条",
        "办理地点",
        "12369",
        "有效期",
        "下载空白表",
        "下载样例",
        "到办事现场次数",
    ):
        assert text in page, text
    client.get("/lang/en?next=/")
    page = client.get("/guide/350200-SXHJ-XK-0001").data.decode()
    assert "Implementing authority" in page and "Xiamen Municipal Bureau of Ecology and Environment" in page


def test_unknown_guide_is_404_page(client):
    resp = client.get("/guide/NOPE-1")
    assert resp.status_code == 404 and "不存在" in resp.data.decode()


def test_guide_files_download_as_pdf_and_other_names_are_404(client):
    resp = client.get("/guide/road_cert_reissue/files/application_form-sample.pdf")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF-")
    assert "attachment" in resp.headers["Content-Disposition"]
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=resp.data, capture_output=True).stdout.decode()
        assert "道路运输证补发申请表" in text and "样例" in text
    assert client.get("/guide/road_cert_reissue/files/vehicle_licence-blank.pdf").status_code == 404
    assert client.get("/guide/road_cert_reissue/files/..%2Fitem.yaml").status_code == 404


def test_public_diagram_uses_public_names_and_hides_internals(client):
    xml = client.get("/guide/eia_report_form/diagram.bpmn").data.decode()
    lanes = re.findall(r'<bpmn:lane id="[^"]+" name="([^"]+)"', xml)
    assert lanes == ["受理与送达", "审查", "决定"]
    assert 'name="clerk"' not in xml and 'name="reviewer"' not in xml
    assert 'id="issue_result" name="制发审批意见并送达"' in xml
    for internal in ("conditionExpression", "spiffworkflow:properties", "time_limit_wd", "accept_outcome"):
        assert internal not in xml, internal
    assert "<bpmndi:BPMNShape" in xml  # the layout stays, so the viewer can draw it


def test_guide_files_are_what_the_script_writes(tmp_path):
    """The committed PDFs are reproducible: rebuilding one item gives identical bytes."""
    pytest.importorskip("fpdf")
    from app.services.pdf import FontMissing, find_cjk_font

    try:
        find_cjk_font()
    except FontMissing:
        pytest.skip("no CJK font installed")
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_guide_files", ROOT / "scripts" / "make_guide_files.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    folder = tmp_path / "road_cert_reissue"
    shutil.copytree(ROOT / "processes" / "road_cert_reissue", folder, ignore=shutil.ignore_patterns("guide"))
    written = module.build(folder, ROOT / "forms")
    committed = ROOT / "processes" / "road_cert_reissue" / "guide"
    assert {p.name for p in written} == {p.name for p in committed.glob("*.pdf")}
    for path in written:
        assert path.read_bytes() == (committed / path.name).read_bytes(), path.name


def test_scripts_folder_has_the_generator():
    assert (Path(ROOT) / "scripts" / "make_guide_files.py").is_file()
