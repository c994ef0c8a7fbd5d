"""The Korean fonts documents are set in, with their subsets made once, not per document.

reportlab embeds in each PDF a subset of every TrueType font it used: the glyphs of the
characters that appeared, in the order they first appeared, compressed. Labels, headings
and footers are the same on every document of a type, so the bold font's subset mostly
repeats; making and compressing it again was a sixth of a page's cost. The faces here
keep the compressed subsets they made, keyed by exactly those characters in that order,
so a repeat costs a dictionary lookup and the file is byte-for-byte what it was.
"""

from __future__ import annotations

import threading
import zlib
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont, TTFontFace

FONT_DIR = Path("/usr/share/fonts/truetype/nanum")
FONT = "NanumGothic"
FONT_BOLD = "NanumGothic-Bold"
KEPT_SUBSETS = 128  # per face; a subset is ~50 KB, ~30 KB compressed


class FontMissing(RuntimeError):
    """The Korean font is not installed (Debian package fonts-nanum)."""


class _KeepingSubsets(TTFontFace):  # type: ignore[misc]
    """A font face that keeps the font programs of the subsets it made, compressed too."""

    _kept: OrderedDict[tuple[int, ...], tuple[bytes, bytes]]
    _kept_lock: threading.Lock

    @classmethod
    def adopt(cls, face: TTFontFace) -> _KeepingSubsets:
        """Returns ``face`` (already parsed: parsing is slow) turned into a keeping face."""
        face.__class__ = cls
        face._kept = OrderedDict()
        face._kept_lock = threading.Lock()
        return face  # type: ignore[no-any-return]

    def _program(self, subset: Sequence[int]) -> tuple[bytes, bytes]:
        key = tuple(subset)
        with self._kept_lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
                return kept
        raw = super().makeSubset(subset)
        kept = (raw, zlib.compress(raw))
        with self._kept_lock:
            self._kept[key] = kept
            while len(self._kept) > KEPT_SUBSETS:
                self._kept.popitem(last=False)
        return kept

    def makeSubset(self, subset: Sequence[int]) -> bytes:
        """Returns the TrueType program of ``subset`` (made once)."""
        return self._program(subset)[0]

    def addSubsetObjects(self, doc: Any, fontname: str, subset: Sequence[int]) -> Any:
        """As reportlab's, with the program's stream compressed once per subset."""
        reference = super().addSubsetObjects(doc, fontname, subset)
        if doc.compression:
            descriptor = doc.idToObject[reference.name]
            stream = doc.idToObject[descriptor.dict["FontFile2"].name]
            stream.content = self._program(subset)[1]
            stream.filters = []  # already applied: the dictionary names it
            stream.dictionary["Filter"] = pdfdoc.PDFName("FlateDecode")
        return reference


@lru_cache(maxsize=1)
def register_fonts() -> None:
    """Registers NanumGothic regular and bold with reportlab, once per process."""
    faces = {FONT: "NanumGothic.ttf", FONT_BOLD: "NanumGothicBold.ttf"}
    for name, file in faces.items():
        path = FONT_DIR / file
        if not path.is_file():
            raise FontMissing(f"{path} 글꼴이 없습니다. fonts-nanum 패키지를 설치하세요.")
        font = TTFont(name, str(path))
        _KeepingSubsets.adopt(font.face)
        pdfmetrics.registerFont(font)
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD)
