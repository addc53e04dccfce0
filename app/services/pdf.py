"""PDF rendering, one home: the CJK font lookup and an A4 document with that font loaded.

Statutory documents (app.services.documents) and supervision reports (app.services.reports) both
render here. A CJK font is needed: Noto CJK (Debian fonts-noto-cjk) or WenQuanYi (fonts-wqy-*), or a
.ttf/.ttc/.otf named by TONGBAN_CJK_FONT. Without one, rendering raises :class:`FontMissing` (503)
and the caller keeps the document's content without its PDF.
"""

from __future__ import annotations

import os
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
