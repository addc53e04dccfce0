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
        raise FontMissing(f"TONGBAN_CJK_FONT 指定的字体文件不存在：{override}")
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
        "生成 PDF 需要中文字体：请安装 Debian 软件包 fonts-noto-cjk（或 fonts-wqy-microhei），"
        "或用 TONGBAN_CJK_FONT 指定 .ttf/.ttc 文件"
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
