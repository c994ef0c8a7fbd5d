"""Synthetic seal impressions (인영) for the demo registry's 인감 registrations.

Each is drawn from the person's name and a ``random.Random`` seeded with the resident's id
(itself drawn from the demo seed), so a seed gives the same pictures without taking a draw
from the generator's own stream: every other row stays what it was.
"""

from __future__ import annotations

import random

from minwon.rendering.seals import SealStyle, seal_png

IMPRESSION_PX = 160  # ~170 dpi at the 24 mm the 인감증명서 prints; ~2 KB as a 16-shade PNG


def seal_text(name: str) -> str:
    """Returns what a personal seal reads: the name and 인, or 지인 after a two-syllable
    name, so the characters fill a 2 × 2 grid (김민준 → 김민준인, 이준 → 이준지인)."""
    return name + ("지인" if len(name) <= 2 else "인")


# A few cuts, not a continuum: the glyphs scaled for each are drawn once and reused, which
# keeps a picture at ~0.5 ms (a million-resident registry has ~400,000 of them).
STYLES = (
    SealStyle(shape="round", border=0.04, inset=0.03),
    SealStyle(shape="round", border=0.055, inset=0.045),
    SealStyle(shape="square", border=0.05, inset=0.04),
)
STYLE_WEIGHTS = (45, 30, 25)


def impression(name: str, resident_id: str) -> bytes:
    """Returns the PNG impression of ``name``'s registered seal (the same for the same id)."""
    style = random.Random(resident_id).choices(STYLES, STYLE_WEIGHTS)[0]
    return seal_png(
        seal_text(name), size=IMPRESSION_PX, style=style, transparent=False, wear=resident_id
    )
