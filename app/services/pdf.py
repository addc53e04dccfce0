"""PDF rendering, one home: the CJK font lookup and an A4 document with that font loaded.

Statutory documents (app.services.documents) and supervision reports (app.services.reports) both
render here. A CJK font is needed: Noto CJK (Debian fonts-noto-cjk) or WenQuanYi (fonts-wqy-*), or a
.ttf/.ttc/.otf named by TONGBAN_CJK_FONT. Without one, rendering raises :class:`FontMissing` (503)
and the caller keeps the document's content without its PDF.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

from app.services.errors import DomainError
from app.services.i18n import t

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
FONT_NAME = "cjk"


class FontMissing(DomainError):
    status = 503
    code = "cjk_font_missing"


def find_cjk_font() -> str:
    override = os.environ.get("TONGBAN_CJK_FONT")
    if override:
        if Path(override).is_file():
            return override
        raise FontMissing(t("TONGBAN_CJK_FONT 指定的字体文件不存在：%(override)s", override=override))
    return _system_font()


@lru_cache(maxsize=1)
def _system_font() -> str:
    for path in FONT_CANDIDATES:
        if Path(path).is_file():
            return path
    fc_list = shutil.which("fc-list")
    if fc_list:
        out = subprocess.run(  # noqa: S603 - fixed argv, no user input
            [fc_list, ":lang=zh", "file"], capture_output=True, text=True, timeout=10
        ).stdout
        for line in out.splitlines():
            path = line.split(":")[0].strip()
            if path.endswith((".ttf", ".ttc", ".otf")):
                return path
    raise FontMissing(
        t(
            "生成 PDF 需要中文字体：请安装 Debian 软件包 fonts-noto-cjk（或 fonts-wqy-microhei），"
            "或用 TONGBAN_CJK_FONT 指定 .ttf/.ttc 文件"
        )
    )


def new_pdf(title: str, *, margins: float = 25) -> Any:
    """An A4 ``FPDF`` with the CJK font registered as ``cjk`` and a first page added."""
    from fpdf import FPDF

    font = find_cjk_font()
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("Tongban")
    if font.endswith(".ttc"):
        pdf.add_font(FONT_NAME, "", font, collection_font_number=0)
    else:
        pdf.add_font(FONT_NAME, "", font)
    pdf.set_margins(margins, margins, margins)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font(FONT_NAME, size=12)
    return pdf


SEAL_RED = (204, 0, 0, 230)


def placeholder_seal(header: str, size: int = 420) -> bytes:
    """A round demo seal (PNG, transparent): ring, star, the authority along the rim, 样章 below.

    Demo data only — a real department's seal is an image its administrator uploads. Without a CJK
    font the seal is drawn without its text.
    """
    import io
    import math

    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    c = size / 2
    ring = size * 0.035
    draw.ellipse((ring, ring, size - ring, size - ring), outline=SEAL_RED, width=int(ring))
    r_star, r_inner = size * 0.15, size * 0.06
    points = []
    for k in range(10):
        r = r_star if k % 2 == 0 else r_inner
        angle = -math.pi / 2 + k * math.pi / 5
        points.append((c + r * math.cos(angle), c + r * math.sin(angle)))
    draw.polygon(points, fill=SEAL_RED)
    font: Any = None
    small: Any = None
    try:
        path = find_cjk_font()
        font = ImageFont.truetype(path, int(size * 0.11), index=0)
        small = ImageFont.truetype(path, int(size * 0.075), index=0)
    except (FontMissing, OSError):
        font = small = None
    if font is not None and header:
        chars = list(header)
        span = min(250.0, 22.0 * len(chars))  # degrees of the upper arc the text covers
        radius = size * 0.34
        for i, ch in enumerate(chars):
            deg = -90 - span / 2 + (span * (i + 0.5) / len(chars))
            rad = math.radians(deg)
            glyph = Image.new("RGBA", (int(size * 0.16), int(size * 0.16)), (0, 0, 0, 0))
            ImageDraw.Draw(glyph).text(
                (glyph.width / 2, glyph.height / 2), ch, font=font, fill=SEAL_RED, anchor="mm"
            )
            glyph = glyph.rotate(-(deg + 90), resample=Image.Resampling.BICUBIC)
            x = c + radius * math.cos(rad) - glyph.width / 2
            y = c + radius * math.sin(rad) - glyph.height / 2
            img.alpha_composite(glyph, (int(x), int(y)))
        draw.text((c, c + size * 0.27), "样章", font=small, fill=SEAL_RED, anchor="mm")
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


# -- statutory documents: laid out from paragraphs, never a line that starts with punctuation ------

# 避头 (may not start a line) and 避尾 (may not end one), as in GB/T 15834 practice.
NO_LINE_START = set("，。、；：？！）》」』】〕”’…—%·,.;:?!)]}")
NO_LINE_END = set("（《「『【〔“‘([{")
RED = (204, 0, 0)
LINE_MM = 8.0


def wrap(text: str, width: float, measure: Any) -> list[str]:
    """Lines of at most ``width`` (``measure(str) -> width``): CJK breaks anywhere, a run of Latin
    letters or digits is kept whole, closing punctuation hangs on the line before, opening
    punctuation moves to the line after."""
    tokens = re.findall(r"[A-Za-z0-9][A-Za-z0-9.\-/_%]*|\s+|.", text)
    lines: list[str] = []
    line = ""
    for tok in tokens:
        if not line and tok.isspace():
            continue
        if measure(line + tok) <= width or not line:
            line += tok
            continue
        if tok[0] in NO_LINE_START:
            line += tok  # hangs a little past the margin rather than start the next line
            continue
        carry = ""
        while line and line[-1] in NO_LINE_END:
            carry = line[-1] + carry
            line = line[:-1]
        lines.append(line.rstrip())
        line = carry + tok
    if line.strip():
        lines.append(line.rstrip())
    return lines


def render_document(content: dict[str, Any], seal_png: bytes | None = None) -> bytes:
    """A statutory document as PDF: the red authority header and rule, title, number, addressee,
    subject, body (numbered items, a form's rows, lines to sign), the authority and date with the
    seal over them."""
    import io

    authority = content.get("authority") or content.get("issuer") or ""
    pdf = new_pdf(f"{content['title']} {content['number']}")
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def text_block(text: str, *, indent: float = 0.0, size: float = 12, first_indent: float = 0.0) -> None:
        pdf.set_font(FONT_NAME, size=size)
        lines = wrap(text, width - indent - first_indent, pdf.get_string_width)
        if len(lines) > 1:  # the rest of the paragraph may use the full width again
            head = lines[0]
            rest = wrap(text[len(head) :].lstrip(), width - indent, pdf.get_string_width)
            lines = [head, *rest]
        for i, line in enumerate(lines):
            pdf.set_x(pdf.l_margin + indent + (first_indent if i == 0 else 0))
            pdf.cell(0, LINE_MM, line, new_x="LMARGIN", new_y="NEXT")

    pdf.set_text_color(*RED)
    pdf.set_font(FONT_NAME, size=22)
    pdf.cell(0, 14, authority, align="C", new_x="LMARGIN", new_y="NEXT")
    y = pdf.get_y() + 1
    pdf.set_draw_color(*RED)
    pdf.set_line_width(0.8)
    pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(6)
    pdf.set_font(FONT_NAME, size=20)
    pdf.cell(0, 12, content["title"], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT_NAME, size=12)
    pdf.cell(0, 8, content["number"], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    if content.get("kind") != "delivery_receipt":
        text_block(f"{content.get('addressee') or ''}：")
    if content.get("subject"):
        text_block(f"事由：{content['subject']}", first_indent=pdf.get_string_width("\u3000\u3000"))
    rows = content.get("rows") or []
    if rows:
        pdf.set_font(FONT_NAME, size=12)
        label_w = 32.0
        for label, value in rows:
            lines = wrap(str(value), width - label_w - 4, pdf.get_string_width) or [""]
            top = pdf.get_y()
            pdf.set_xy(pdf.l_margin, top)
            pdf.cell(label_w, LINE_MM * len(lines), str(label), border=1, align="C")
            for i, line in enumerate(lines):
                pdf.set_xy(pdf.l_margin + label_w, top + i * LINE_MM)
                pdf.cell(
                    width - label_w,
                    LINE_MM,
                    " " + line,
                    border="LR" + ("T" if i == 0 else "") + ("B" if i == len(lines) - 1 else ""),
                )
            pdf.set_xy(pdf.l_margin, top + LINE_MM * len(lines))
        pdf.ln(4)
    indent = pdf.get_string_width("\u3000\u3000")
    for para in content.get("paragraphs") or []:
        if para == "@items":
            for i, line in enumerate(content.get("items") or [], 1):
                text_block(f"{i}. {line}", indent=indent)
            continue
        text_block(para, first_indent=indent)
    for label in content.get("signatures") or []:
        pdf.ln(4)
        text_block(f"{label}：＿＿＿＿＿＿＿＿＿＿　　日期：＿＿＿＿＿＿")
    pdf.ln(14)
    pdf.set_font(FONT_NAME, size=12)
    sign_w = max(pdf.get_string_width(authority), pdf.get_string_width(content.get("issued_on_zh") or "")) + 8
    x = pdf.w - pdf.r_margin - sign_w
    top = pdf.get_y()
    if top + 2 * LINE_MM + 20 > pdf.h - pdf.b_margin:
        pdf.add_page()
        top = pdf.get_y()
    pdf.set_xy(x, top)
    pdf.cell(sign_w, LINE_MM, authority, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(x)
    pdf.cell(sign_w, LINE_MM, content.get("issued_on_zh") or "", align="C", new_x="LMARGIN", new_y="NEXT")
    if seal_png:
        size = 40.0  # mm, the usual 4 cm round seal, over the authority and the date
        pdf.image(
            io.BytesIO(seal_png), x=x + sign_w / 2 - size / 2, y=top + LINE_MM - size / 2, w=size, h=size
        )
    pdf.set_y(max(pdf.get_y(), top + 30))
    pdf.ln(4)
    pdf.set_font(FONT_NAME, size=9)
    pdf.cell(
        0,
        6,
        f"办件编号 {content.get('case_no') or ''}　事项 {content.get('item') or ''}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())
