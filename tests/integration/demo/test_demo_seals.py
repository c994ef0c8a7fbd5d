"""Every demo 인감 registration has a small, synthetic impression drawn from the name."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from PIL import Image
from sqlalchemy import Engine, create_engine, select

from minwon.adapters import tables as t
from minwon.demo import generate_registry
from minwon.demo.seals import impression, seal_text
from minwon.registry.vault import RrnVault
from minwon.rendering.seals import INK

TODAY = date(2025, 6, 1)


def _load(path: Path, seed: int) -> Engine:
    engine = create_engine(f"sqlite:///{path}")
    t.metadata.create_all(engine)
    vault = RrnVault(b"d" * 32, b"pepper-for-tests")
    generate_registry(engine, residents=300, seed=seed, vault=vault, today=TODAY)
    return engine


def _seals(engine: Engine) -> dict[str, tuple[str, bytes]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                t.seal_registrations.c.resident_id,
                t.residents.c.name,
                t.seal_registrations.c.impression_png,
            ).join(t.residents, t.residents.c.id == t.seal_registrations.c.resident_id)
        ).all()
    return {r.resident_id: (r.name, bytes(r.impression_png)) for r in rows}


def test_every_registration_has_a_small_red_png_of_its_own_name(tmp_path: Path) -> None:
    seals = _seals(_load(tmp_path / "a.db", seed=4))
    assert len(seals) > 20
    sizes = []
    for resident_id, (name, png) in seals.items():
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        sizes.append(len(png))
        with Image.open(io.BytesIO(png)) as image:
            assert image.format == "PNG" and image.size == (160, 160)
            colours = {c for _, c in image.convert("RGB").getcolors(maxcolors=256) or []}
        assert (255, 255, 255) in colours and INK in colours  # paper and full ink
        assert all(r >= g and r >= b for r, g, b in colours)  # only reds, no other ink
        assert png == impression(name, resident_id)  # drawn from this person's name
    assert max(sizes) < 4_000 and sum(sizes) / len(sizes) < 3_000
    pictures = {png for _, png in seals.values()}
    assert len(pictures) == len(seals)  # no two people share an impression


def test_the_same_seed_draws_the_same_impressions(tmp_path: Path) -> None:
    first = _seals(_load(tmp_path / "a.db", seed=9))
    again = _seals(_load(tmp_path / "b.db", seed=9))
    other = _seals(_load(tmp_path / "c.db", seed=10))
    assert first == again
    assert not set(first.values()) & set(other.values())


def test_a_personal_seal_reads_the_name_and_in() -> None:
    assert seal_text("김민준") == "김민준인"
    assert seal_text("이준") == "이준지인"
    assert impression("김민준", "a" * 32) != impression("김민중", "a" * 32)
