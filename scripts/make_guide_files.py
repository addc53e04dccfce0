"""Blank forms and samples of every material in the service guides, as small real PDFs (fpdf2).

    .venv/bin/python scripts/make_guide_files.py          # writes processes/<slug>/guide/*.pdf

For each material of each item: ``<code>-sample.pdf`` (what a complete submission looks like,
marked 样例), and, where item.yaml's ``guide.materials.<code>.blank`` is true, ``<code>-blank.pdf``
(the form to fill in). The application form's blank lists the fields of forms/<slug>/application.json;
its sample fills them from the item's first scenario. Output is deterministic (fixed creation date),
so re-running changes nothing unless the catalogue changed. The files are committed.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import yaml
from fpdf import FPDF

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.services.pdf import find_cjk_font  # noqa: E402

FIXED = datetime(2026, 12, 1, tzinfo=UTC)
PAPER = {"original": "原件", "copy": "复印件", "original_and_copy": "原件和复印件", "electronic": "电子件"}
FORM_CODES = ("application_form", "application_letter")


def _pdf(title: str) -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_creation_date(FIXED)
    pdf.set_title(title)
    pdf.set_creator("Tongban scripts/make_guide_files.py")
    pdf.add_font("cjk", "", find_cjk_font(), collection_font_number=0)
    pdf.set_margins(20, 20, 20)
    pdf.add_page()
    return pdf


def _heading(pdf: FPDF, item: dict, title: str, sample: bool) -> None:
    pdf.set_font("cjk", size=10)
    pdf.cell(0, 6, f"{item['guide']['authority']['zh']} · {item['name']['zh']}（{item['code']}）", align="C")
    pdf.ln(9)
    pdf.set_font("cjk", size=18)
    pdf.cell(0, 12, title + ("（样例）" if sample else ""), align="C")
    pdf.ln(14)


def _stamp(pdf: FPDF) -> None:
    pdf.set_text_color(200, 40, 40)
    pdf.set_font("cjk", size=16)
    pdf.set_xy(135, 22)
    pdf.cell(55, 12, "样例 SAMPLE", border=1, align="C")
    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(pdf.l_margin, 48)


def _requirements(pdf: FPDF, item: dict, material: dict) -> None:
    more = item["guide"]["materials"][material["code"]]
    pdf.ln(12)
    pdf.set_font("cjk", size=10)
    lines = [
        f"材料名称：{material['name']['zh']}",
        f"是否必需：{'必需' if material.get('required') else '按情形提交'}",
        f"材料形式：{PAPER.get(more.get('paper', 'original'), more.get('paper'))}，{more.get('copies', 1)} 份",
        f"网上提交格式：{'、'.join(f.upper() for f in material.get('formats') or [])}",
        f"设定依据：{more.get('basis', '')}",
    ]
    if more.get("note"):
        lines.append(f"说明：{more['note']['zh']}")
    pdf.multi_cell(0, 6, "\n".join(lines), border=1, padding=2)


def _field_rows(item: dict, form: dict, values: dict) -> list[tuple[str, str]]:
    schema = form.get("schema") or {}
    props = schema.get("properties") or {}
    ui = (form.get("ui") or {}).get("fields") or {}
    rows = []
    for key in (form.get("ui") or {}).get("order") or list(props):
        if key == "submitted_materials" or key not in props:
            continue
        label = ((ui.get(key) or {}).get("label") or {}).get("zh") or props[key].get("title") or key
        value = values.get(key, "")
        options = (ui.get(key) or {}).get("options") or {}
        if isinstance(value, str) and value in options:
            value = options[value]["zh"]
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = "、".join(options[v]["zh"] if v in options else v for v in value)
        rows.append((label, "" if value is None else str(value)))
    return rows


def _table(pdf: FPDF, rows: list[tuple[str, str]]) -> None:
    pdf.set_font("cjk", size=10)
    for label, value in rows:
        y = pdf.get_y()
        if y > 260:
            pdf.add_page()
        pdf.multi_cell(55, 9, label, border=1, new_x="RIGHT", new_y="TOP", max_line_height=5)
        pdf.multi_cell(0, 9, value, border=1, new_x="LMARGIN", new_y="NEXT", max_line_height=5)


def _signature(pdf: FPDF, sample: bool, applicant: str) -> None:
    pdf.ln(8)
    pdf.set_font("cjk", size=11)
    pdf.multi_cell(0, 7, "本人（单位）承诺所提交材料真实、完整、有效，并对其真实性负责。")
    pdf.ln(6)
    who = applicant if sample else "________________"
    when = "2026年11月24日" if sample else "______年____月____日"
    pdf.cell(0, 8, f"申请人（签名或盖章）：{who}", align="R")
    pdf.ln(9)
    pdf.cell(0, 8, f"日期：{when}", align="R")


def build(folder: Path, forms_dir: Path) -> list[Path]:
    item = yaml.safe_load((folder / "item.yaml").read_text(encoding="utf-8"))
    slug = item["slug"]
    form_path = forms_dir / slug / "application.json"
    form = json.loads(form_path.read_text(encoding="utf-8")) if form_path.is_file() else {}
    scenarios = sorted((folder / "scenarios").glob("*.yaml"))
    example = yaml.safe_load(scenarios[0].read_text(encoding="utf-8"))["application"] if scenarios else {}
    applicant = example.get("applicant_name", "厦门示例科技有限公司")
    out_dir = folder / "guide"
    out_dir.mkdir(exist_ok=True)
    written = []
    for material in item["materials"]:
        more = item["guide"]["materials"][material["code"]]
        kinds = ["sample"] + (["blank"] if more.get("blank") else [])
        for kind in kinds:
            sample = kind == "sample"
            pdf = _pdf(f"{material['name']['zh']}（{'样例' if sample else '空白表'}）")
            if sample:
                _stamp(pdf)
            _heading(pdf, item, material["name"]["zh"], sample)
            if material["code"] in FORM_CODES and form:
                _table(pdf, _field_rows(item, form, example if sample else {}))
                _signature(pdf, sample, applicant)
            elif more.get("blank"):
                _table(
                    pdf,
                    [
                        ("申请人", applicant if sample else ""),
                        ("证件号码", example.get("applicant_id_number", "") if sample else ""),
                    ],
                )
                pdf.ln(4)
                pdf.set_font("cjk", size=11)
                body = (
                    f"（样例正文）{applicant}就“{item['name']['zh']}”事项提交本材料，内容按“{material['name']['zh']}”的要求逐项填写。"
                    if sample
                    else "正文：\n" + "\n" * 10
                )
                pdf.multi_cell(0, 8, body, border=1, padding=2)
                _signature(pdf, sample, applicant)
            else:
                pdf.set_font("cjk", size=11)
                pdf.multi_cell(
                    0,
                    8,
                    f"此处为“{material['name']['zh']}”的清晰扫描件或照片：证件须在有效期内，"
                    "内容完整、四角齐全、无遮挡；复印件须注明“与原件一致”并签名或盖章。",
                    border=1,
                    padding=4,
                )
            _requirements(pdf, item, material)
            path = out_dir / f"{material['code']}-{kind}.pdf"
            data = bytes(pdf.output())
            if not path.exists() or path.read_bytes() != data:
                path.write_bytes(data)
            written.append(path)
    return written


def main() -> None:
    total = 0
    for folder in sorted(p for p in (ROOT / "processes").iterdir() if (p / "item.yaml").is_file()):
        files = build(folder, ROOT / "forms")
        size = sum(f.stat().st_size for f in files)
        total += size
        print(f"{folder.name}: {len(files)} files, {size / 1024:.0f} KB")
    print(f"total {total / 1024:.0f} KB")


if __name__ == "__main__":
    main()
