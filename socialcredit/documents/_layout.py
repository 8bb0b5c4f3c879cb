"""The page layout shared by every document: fonts (a CJK font when one is installed), headings,
fact lists, tables, wrapped text and QR codes, on A4 with fpdf2.

A document is drawn from data that is already computed (a report as JSON); nothing here reads
the ledger. :class:`Page` is the only thing the renderers use.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import segno
from fpdf import FPDF, FontFace, XPos, YPos
from fpdf.enums import WrapMode
from PIL import Image, ImageOps

__all__ = ["CJK_FONTS", "LATIN_FONTS", "FontChoice", "Page", "choose_font"]

log = logging.getLogger(__name__)

#: Fonts that cover Chinese as well as Latin text, from Debian packages, in order of preference
#: (``fonts-wqy-microhei``, ``fonts-wqy-zenhei``, ``fonts-noto-cjk``, ``fonts-droid-fallback``).
CJK_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
)
#: Fonts for Latin text when no CJK font is installed (``fonts-dejavu-core``).
LATIN_FONTS = (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),)

_FAMILY = "body"
_CJK = re.compile("[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")
_INK = (20, 20, 20)
_MUTED = (90, 90, 90)
_RULE = (160, 160, 160)
_SHADE = (236, 236, 236)
_MASK = 0
_GREY = bytes([255, 0, *range(2, 256)])  # a module 1 (dark) is black, 0 is white


@dataclass(frozen=True, slots=True)
class FontChoice:
    """The font a document is set in.

    Attributes:
        path: the font file, or None for the PDF core font Helvetica (Latin-1 only).
        cjk: whether it covers Chinese; if not, Chinese characters are printed as ``?``.
        note: one sentence saying which font and what is lost, for the PDF's metadata.
    """

    path: Path | None
    cjk: bool
    note: str


def choose_font(
    cjk_fonts: Iterable[Path] = CJK_FONTS, latin_fonts: Iterable[Path] = LATIN_FONTS
) -> FontChoice:
    """The first installed CJK font, else the first Latin one, else Helvetica; never raises.

    Anything short of a CJK font is logged as a warning, since Chinese names and document
    numbers are then shown as ``?``.
    """
    for path in cjk_fonts:
        if path.is_file():
            return FontChoice(path, True, f"font: {path.name} (covers Chinese)")
    lost = "no CJK font found (install fonts-wqy-microhei): Chinese text is shown as ?"
    for path in latin_fonts:
        if path.is_file():
            log.warning("documents: %s; using %s", lost, path.name)
            return FontChoice(path, False, f"font: {path.name}; {lost}")
    log.warning("documents: %s; using the core font Helvetica", lost)
    return FontChoice(None, False, f"font: Helvetica (Latin-1 only); {lost}")


class Page:
    """An A4 document being drawn, top to bottom, in one font.

    Every text passes through :meth:`clean`, so a font that lacks a character prints ``?``
    instead of failing.
    """

    WIDTH = 210.0
    MARGIN = 15.0

    def __init__(self, title: str, font: FontChoice, footer: str) -> None:
        self.font = font
        self.pdf = _Pdf(self, footer)
        self.pdf.set_margins(self.MARGIN, self.MARGIN, self.MARGIN)
        self.pdf.set_auto_page_break(True, margin=18)
        self.family = _FAMILY if font.path is not None else "helvetica"
        if font.path is not None:
            self.pdf.add_font(_FAMILY, "", str(font.path))
        self.pdf.set_title(self.clean(title))
        self.pdf.set_creator("socialcredit")
        self.pdf.add_page()

    @property
    def usable(self) -> float:
        """The width between the margins, in mm."""
        return self.WIDTH - 2 * self.MARGIN

    def metadata(self, subject: str, keywords: Sequence[str], created: datetime) -> None:
        """Set the PDF's subject, keywords (the font note is always one) and creation date."""
        self.pdf.set_subject(self.clean(subject))
        self.pdf.set_keywords([self.clean(k) for k in (*keywords, self.font.note)])
        self.pdf.set_creation_date(created)

    def clean(self, text: object) -> str:
        """``text`` as the font can print it: Chinese as ``?`` without a CJK font, and
        anything outside Latin-1 as ``?`` in the core font."""
        out = "" if text is None else str(text)
        if not self.font.cjk:
            out = _CJK.sub("?", out)
        if self.font.path is None:
            out = out.encode("latin-1", "replace").decode("latin-1")
        return out

    def both(self, english: str, chinese: str) -> str:
        """A name in English, and in Chinese beside it when the font can show it."""
        if self.font.cjk and chinese and chinese != english:
            return f"{english} {chinese}"
        return english

    def _set(self, size: float, colour: tuple[int, int, int] = _INK) -> None:
        self.pdf.set_font(self.family, size=size)
        self.pdf.set_text_color(*colour)

    def title(self, text: str, subtitle: str = "") -> None:
        """The document's title, and a line under it."""
        self._set(18)
        self.pdf.multi_cell(0, 9, self.clean(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if subtitle:
            self.paragraph(subtitle, muted=True)
        self.rule()

    def heading(self, text: str, level: int = 1) -> None:
        """A section heading; a level-1 heading never sits alone at the foot of a page."""
        if level == 1 and self.pdf.will_page_break(24):
            self.pdf.add_page()
        self.pdf.ln(3 if level == 1 else 1)
        self._set(13 if level == 1 else 11)
        self.pdf.multi_cell(0, 7, self.clean(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if level == 1:
            self.rule()

    def rule(self) -> None:
        """A thin line across the page."""
        self.pdf.set_draw_color(*_RULE)
        y = self.pdf.get_y() + 1
        self.pdf.line(self.MARGIN, y, self.WIDTH - self.MARGIN, y)
        self.pdf.set_y(y + 2)

    def paragraph(self, text: str, *, muted: bool = False, size: float = 9.5) -> None:
        """Wrapped text across the page."""
        self._set(size, _MUTED if muted else _INK)
        self.pdf.multi_cell(
            0, size * 0.5, self.clean(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )

    def code(self, words: Sequence[str], width: float = 0) -> None:
        """Hashes and signatures in small fixed-width type (Courier: ASCII), packed into lines
        at the spaces between ``words`` (a word wider than a line is broken anywhere)."""
        self.pdf.set_font("courier", size=6.5)
        self.pdf.set_text_color(*_INK)
        width = width or self.usable
        space = self.pdf.get_string_width(" ")
        line: list[str] = []
        used = 0.0
        for word in (w.encode("latin-1", "replace").decode("latin-1") for w in words):
            wide = self.pdf.get_string_width(word)
            if line and used + space + wide > width:
                self._line(" ".join(line), width)
                line, used = [], 0.0
            used += (space if line else 0) + wide
            line.append(word)
        if line:
            self._line(" ".join(line), width)

    def _line(self, text: str, width: float) -> None:
        if self.pdf.get_string_width(text) <= width:
            self.pdf.cell(width, 3.6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        else:  # one long word: rare, so the slow general wrapping is fine here
            self.pdf.multi_cell(
                width, 3.6, text, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT
            )

    def facts(
        self, rows: Iterable[tuple[str, object]], width: float = 0, label: float = 42
    ) -> None:
        """Label and value pairs, one a row, values wrapped (in a column ``width`` mm wide from
        the left margin; 0 for the whole page); a row is never split across pages."""
        width = width or self.usable
        left = self.pdf.get_x()
        for name, value in rows:
            text = self.clean(value)
            self._set(9)
            lines = max(1, math.ceil(self.pdf.get_string_width(text) / (width - label - 2)))
            self.room(lines * 4.6 + 1)
            self._set(9, _MUTED)
            self.pdf.set_x(left)
            name = self.clean(name)
            if self.pdf.get_string_width(name) > label - 1:  # a long label gets its own line
                self.pdf.cell(width, 4.6, name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                self.pdf.set_x(left)
                name = ""
            self.pdf.cell(label, 4.6, name)
            self._set(9)
            self.pdf.multi_cell(
                width - label, 4.6, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
            )

    def table(
        self, headings: Sequence[str], rows: Iterable[Sequence[object]], widths: Sequence[float]
    ) -> None:
        """A table with a shaded heading row repeated on every page; cells wrap."""
        self._set(8.5)
        style = FontFace(emphasis="", fill_color=_SHADE)
        with self.pdf.table(
            col_widths=tuple(widths), headings_style=style, line_height=4.4,
            text_align="LEFT", borders_layout="HORIZONTAL_LINES",
        ) as table:  # fmt: skip
            top = table.row()
            for name in headings:
                top.cell(self.clean(name))
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(self.clean(value))
        self.pdf.ln(2)

    def qr(
        self, payload: bytes, size: float, x: float | None = None, y: float | None = None
    ) -> None:
        """A QR code of ``payload`` (bytes, error correction L or better), ``size`` mm wide, at
        ``x``, ``y`` (default: the current position, which it then moves below)."""
        # A fixed mask: segno's search for the best of eight takes longer than the rest of
        # the encoding for a large symbol, and every mask gives a valid code.
        symbol = segno.make(payload, error="L", micro=False, mask=_MASK, mode="byte")
        dark = b"".join(bytes(row) for row in symbol.matrix).translate(_GREY)
        side = len(symbol.matrix)
        modules = Image.frombytes("L", (side, side), dark)
        image = ImageOps.expand(modules, border=4, fill=255)  # the quiet zone
        at_x = self.pdf.get_x() if x is None else x
        at_y = self.pdf.get_y() if y is None else y
        self.pdf.image(image, x=at_x, y=at_y, w=size, h=size)
        if y is None:
            self.pdf.set_y(at_y + size + 1)

    def room(self, height: float) -> None:
        """Start a new page unless ``height`` mm are left on this one."""
        if self.pdf.will_page_break(height):
            self.pdf.add_page()

    def output(self) -> bytes:
        """The finished PDF."""
        return bytes(self.pdf.output())


class _Pdf(FPDF):
    """FPDF with a footer: the document's footer text and the page number."""

    def __init__(self, page: Page, footer: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self._page = page
        self._footer = footer

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self._page.family, size=7.5)
        self.set_text_color(*_MUTED)
        text = f"{self._footer} · page {self.page_no()}/{{nb}}"
        self.cell(0, 5, self._page.clean(text), align="C")
