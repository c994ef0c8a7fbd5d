"""Seal images (도장): a person's registered impression and an office's 직인, as small PNGs.

A seal prints its characters in columns read from the right, top to bottom, each glyph
stretched to fill its cell, inside a round or square border: "전주시장인" is a right
column 전·주·시 and a left column 장·인. Everything is drawn with Pillow from the
NanumSquare font, so the same text and options give the same bytes: no image is kept
in the repository. A city's own 직인 replaces the drawn one (``load_seal_image``).
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from PIL import Image, ImageChops, ImageDraw, ImageFont

from minwon.rendering.fonts import FONT_DIR, FontMissing

SEAL_FONT = "NanumSquareB.ttf"  # a square, heavy face: closer to a seal script than 명조
INK = (196, 30, 42)  # vermilion seal ink (인주)
GLYPH_PX = 160  # glyphs are cut once at this size, then scaled into their cells
MAX_SEAL_PX = 240  # a city's image is scaled down to this: ~380 dpi at the 16 mm it prints
MAX_SEAL_BYTES = 20_000_000  # a scan of a seal, before scaling
PRINTABLE_MODES = frozenset({"1", "L", "LA", "P", "RGB", "RGBA"})  # reportlab draws these

Shape = Literal["round", "square"]


class SealImageError(ValueError):
    """An image that cannot be printed as a seal (not a readable PNG, or empty)."""


@dataclass(frozen=True, slots=True)
class SealStyle:
    """How a seal is cut: its outline, border width and the margin inside the border."""

    shape: Shape = "square"
    border: float = 0.055  # border width, as a share of the seal's side
    inset: float = 0.05  # space between border and characters, as a share of the side


def columns(text: str) -> list[str]:
    """Returns the characters of ``text`` (spaces dropped) in columns, rightmost first.

    Columns hold at most one character more than each other, the fuller ones on the right:
    5 characters are 3 + 2, 11 are 4 + 4 + 3.
    """
    chars = [ch for ch in text if not ch.isspace()]
    if not chars:
        raise SealImageError("도장에 새길 글자가 없습니다.")
    rows = math.ceil(math.sqrt(len(chars)))
    count = math.ceil(len(chars) / rows)
    base, extra = divmod(len(chars), count)
    result, start = [], 0
    for index in range(count):
        size = base + (1 if index < extra else 0)
        result.append("".join(chars[start : start + size]))
        start += size
    return result


@lru_cache(maxsize=1)
def _font() -> ImageFont.FreeTypeFont:
    path = FONT_DIR / SEAL_FONT
    if not path.is_file():
        raise FontMissing(f"{path} 글꼴이 없습니다. fonts-nanum 패키지를 설치하세요.")
    return ImageFont.truetype(str(path), GLYPH_PX)


@lru_cache(maxsize=2048)
def _glyph(char: str) -> Image.Image:
    """Returns the coverage mask of one character, cropped to its ink."""
    font = _font()
    left, top, right, bottom = (round(v) for v in font.getbbox(char))
    mask = Image.new("L", (max(1, right - left), max(1, bottom - top)), 0)
    ImageDraw.Draw(mask).text((-left, -top), char, font=font, fill=255)
    ink = mask.getbbox()  # the font's box has room above and beside the strokes
    return mask.crop(ink) if ink else mask


@lru_cache(maxsize=4096)
def _scaled(char: str, width: int, height: int) -> Image.Image:
    return _glyph(char).resize((max(1, width), max(1, height)), Image.Resampling.LANCZOS)


def coverage(text: str, size: int, style: SealStyle) -> Image.Image:
    """Returns the seal as an ``L`` mask ``size`` pixels square: 255 where ink is."""
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    border = max(1, round(size * style.border))
    box = (border // 2, border // 2, size - 1 - border // 2, size - 1 - border // 2)
    if style.shape == "round":
        draw.ellipse(box, outline=255, width=border)
        # A little more than the square inscribed in the ring (0.71): strokes rarely reach
        # the corners of their cells.
        side = (size - 2 * border) * 0.78
    else:
        draw.rectangle(box, outline=255, width=border)
        side = size - 2 * border
    side -= 2 * size * style.inset
    origin = (size - side) / 2
    cols = columns(text)
    col_w = side / len(cols)
    gap = max(1.0, col_w * 0.06)
    for index, column in enumerate(cols):
        x = origin + side - (index + 1) * col_w
        cell_h = side / len(column)
        for row, char in enumerate(column):
            y = origin + row * cell_h
            w, h = round(col_w - gap), round(cell_h - gap)
            glyph = _scaled(char, w, h)
            mask.paste(255, (round(x + gap / 2), round(y + gap / 2)), glyph)
    return mask


LEVELS = 16
_SHADE = [round(v * (LEVELS - 1) / 255) for v in range(256)]  # coverage to 0..15
_ALPHA = [min(255, v * 255 // (LEVELS - 1)) for v in range(256)]  # 0..15 back to 0..255
_PALETTE = [
    round(255 + (ink - 255) * level / (LEVELS - 1)) for level in range(LEVELS) for ink in INK
]  # white to full ink


def _worn(mask: Image.Image, seed: str) -> Image.Image:
    """Returns ``mask`` with a few pale spots where a stamp took less ink: no two
    impressions are alike, and no ink appears where the seal has none."""
    r = random.Random(seed)
    kept = Image.new("L", mask.size, 255)  # the share of ink kept, 255 = all
    draw = ImageDraw.Draw(kept)
    size = mask.size[0]
    for _ in range(r.randint(6, 12)):
        x, y = r.uniform(0.1, 0.9) * size, r.uniform(0.1, 0.9) * size
        radius = r.uniform(0.008, 0.025) * size
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=r.randint(0, 90))
    return ImageChops.multiply(mask, kept)


def seal_png(
    text: str, *, size: int, style: SealStyle, transparent: bool, wear: str | None = None
) -> bytes:
    """Returns a PNG of the seal: red on white (an impression on paper, in 16 shades), or
    red on transparent (a 직인 printed over the office head's title). ``wear`` seeds the
    uneven ink of a stamped impression; None prints it clean.

    Sixteen levels of ink smooth the edges and compress to a third of 256 (a PDF keeps the
    pixels of a transparent image as an 8-bit soft mask, flate-compressed)."""
    mask = coverage(text, size, style)
    if wear is not None:
        mask = _worn(mask, wear)
    shades = mask.point(_SHADE)
    out = io.BytesIO()
    if transparent:
        image = Image.new("RGBA", (size, size), (*INK, 0))
        image.putalpha(shades.point(_ALPHA))
        image.save(out, format="PNG", optimize=True)
        return out.getvalue()
    image = Image.frombytes("P", shades.size, shades.tobytes())
    image.putpalette(_PALETTE)
    image.save(out, format="PNG", bits=4)  # optimize=True: 7 % smaller, 15 times slower
    return out.getvalue()


def office_seal_text(head_title: str) -> str:
    """Returns what an office's 직인 reads: the head's title and 인 (전주시장 → 전주시장인)."""
    return "".join(head_title.split()) + "인"


@lru_cache(maxsize=64)
def office_seal(head_title: str) -> bytes:
    """Returns the drawn 직인 of an office head (made once per title and process)."""
    return seal_png(
        office_seal_text(head_title),
        size=160,  # ~250 dpi at the 16 mm it prints
        style=SealStyle(shape="square", border=0.06, inset=0.035),
        transparent=True,
    )


def check_seal_image(data: bytes) -> bytes:
    """Returns ``data`` if it is a PNG that can be printed as a seal, scaled down to at most
    MAX_SEAL_PX pixels a side (re-encoded then); raises SealImageError otherwise."""
    if len(data) > MAX_SEAL_BYTES:
        raise SealImageError(f"도장 이미지는 {MAX_SEAL_BYTES // 1_000_000} MB 이하여야 합니다.")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception as exc:  # Pillow raises many kinds for a damaged file
        raise SealImageError("PNG 이미지로 읽을 수 없습니다.") from exc
    if image.format != "PNG":
        raise SealImageError("PNG 이미지가 아닙니다.")
    if min(image.size) < 8:
        raise SealImageError("도장 이미지가 너무 작습니다.")
    if max(image.size) <= MAX_SEAL_PX and image.mode in PRINTABLE_MODES:
        return data
    # 16-bit grey and the like become RGBA, which the PDF can take.
    printable = image if image.mode in PRINTABLE_MODES else image.convert("RGBA")
    printable.thumbnail((MAX_SEAL_PX, MAX_SEAL_PX), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    printable.save(out, format="PNG", optimize=True)
    return out.getvalue()


def load_seal_image(path: Path) -> bytes:
    """Returns the PNG at ``path`` checked (and scaled) as ``check_seal_image`` does."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SealImageError("파일을 읽을 수 없습니다.") from exc
    return check_seal_image(data)
