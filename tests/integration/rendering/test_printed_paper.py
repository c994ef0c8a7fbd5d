"""The paper a bank clerk accepts: the registered 인감 impression, the city's 직인 as an
image, the 납세증명서's validity and, on every document, until when it can be verified.

Documents are issued through the services on the demo registry and read back from the
signed PDF with poppler (pdfimages, pdftotext), as anyone holding the paper would.
"""

from __future__ import annotations

import io
import random
import subprocess
from dataclasses import dataclass, replace
from datetime import time, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select, update

from minwon.adapters import tables as t
from minwon.bootstrap import bootstrap
from minwon.catalog.loader import Catalog, default_catalog
from minwon.clock import KST
from minwon.config import Settings
from minwon.issuance.commands import CounterRequester, IssueDocument
from minwon.issuance.records import IssuanceRecord
from minwon.issuance.services import issue_document
from minwon.rendering.documents import DocumentRenderer
from minwon.rendering.seals import office_seal
from minwon.rendering.templating import kdate
from support.binaries import require
from support.world import World

MISSING = "인영 없음 (등록 창구에 문의)"


@pytest.fixture
def backend() -> str:
    """SQLite: what is printed does not depend on the database (the picture's round trip
    through PostgreSQL's bytea is checked once, below)."""
    return "sqlite"


@dataclass(frozen=True)
class PdfImage:
    kind: str  # image | smask
    pixels: Image.Image


def _images(pdf: bytes, tmp_path: Path) -> list[PdfImage]:
    """Every image of the PDF as pdfimages extracts it, soft masks as their own entries."""
    path = tmp_path / "paper.pdf"
    path.write_bytes(pdf)
    listing = subprocess.run(
        [require("pdfimages"), "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    out = tmp_path / "img"
    out.mkdir(exist_ok=True)
    subprocess.run([require("pdfimages"), "-png", str(path), str(out / "i")], check=True)
    files = sorted(out.glob("i-*.png"))
    assert len(files) == len(listing)
    images = []
    for line, file in zip(listing, files, strict=True):
        with Image.open(file) as image:
            images.append(PdfImage(line.split()[2], image.copy()))
    return images


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "paper.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        [require("pdftotext"), "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _rgb(png: bytes) -> bytes:
    with Image.open(io.BytesIO(png)) as image:
        return image.convert("RGB").tobytes()


def _alpha(png: bytes) -> bytes:
    with Image.open(io.BytesIO(png)) as image:
        return image.convert("RGBA").getchannel("A").tobytes()


def _at_counter(world: World, code: str, key: str, subject_id: str | None = None) -> IssuanceRecord:
    """Issues ``code`` at the counter to the subject in person (or to citizen1 for a
    building), the clerk having seen their ID."""
    person = world.resident(subject_id or world.citizen().resident_id or "")
    cmd = IssueDocument(
        idempotency_key=key,
        document_type=code,
        subject_resident_id=person.id if code != "geonchuk" else None,
        building_number=world.a_building() if code == "geonchuk" else None,
        requester=CounterRequester(person.name, person.rrn, True),
    )
    return issue_document(world.container.issuance, principal=world.clerk(), cmd=cmd).record


def _taxpayer(world: World) -> str:
    """A resident with tax records and no arrears (the 납세증명서 is refused otherwise)."""
    with world.container.engine.connect() as conn:
        owing = select(t.tax_records.c.resident_id).where(
            t.tax_records.c.paid < t.tax_records.c.assessed
        )
        row = conn.execute(
            select(t.tax_records.c.resident_id)
            .where(t.tax_records.c.resident_id.not_in(owing))
            .order_by(t.tax_records.c.resident_id)
            .limit(1)
        ).one()
    return str(row.resident_id)


def _impression(world: World, resident_id: str) -> bytes | None:
    with world.container.engine.connect() as conn:
        value = conn.execute(
            select(t.seal_registrations.c.impression_png).where(
                t.seal_registrations.c.resident_id == resident_id
            )
        ).scalar_one()
    return bytes(value) if value is not None else None


def _set_impression(world: World, resident_id: str, png: bytes | None) -> None:
    with world.container.engine.begin() as conn:
        conn.execute(
            update(t.seal_registrations)
            .where(t.seal_registrations.c.resident_id == resident_id)
            .values(impression_png=png)
        )


# -- 1. the registered impression ------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_the_seal_certificate_prints_the_registered_impression(
    world: World, tmp_path: Path
) -> None:
    subject = world.adult_with_seal()
    registered = _impression(world, subject.id)
    assert registered is not None and registered.startswith(b"\x89PNG")
    assert len(registered) < 6_000  # a small picture, not a scan
    record = _at_counter(world, "ingam", "k-ingam-img-1", subject.id)
    pdf = world.container.renderer.pdf_for(record)
    images = _images(pdf, tmp_path)
    # The impression and the office's 직인 (with its soft mask), nothing else.
    assert [i.kind for i in images] == ["image", "image", "smask"]
    # Pixel for pixel the registered picture, and not anyone else's.
    printed = [i for i in images if i.pixels.convert("RGB").tobytes() == _rgb(registered)]
    assert len(printed) == 1
    with world.container.engine.connect() as conn:
        other_id = conn.execute(
            select(t.seal_registrations.c.resident_id)
            .where(t.seal_registrations.c.resident_id != subject.id)
            .order_by(t.seal_registrations.c.resident_id)
            .limit(1)
        ).scalar_one()
    other = _impression(world, other_id)
    assert other is not None and _rgb(other) != _rgb(registered)
    text = _text(pdf, tmp_path)
    assert "인감" in text and MISSING not in " ".join(text.split())


def test_the_impression_is_frozen_at_issuance(world: World, tmp_path: Path) -> None:
    subject = world.adult_with_seal()
    registered = _impression(world, subject.id)
    assert registered is not None
    record = _at_counter(world, "ingam", "k-ingam-img-2", subject.id)
    _set_impression(world, subject.id, None)  # the registry changes after issuance
    images = _images(world.container.renderer.pdf_for(record), tmp_path)
    assert any(i.pixels.convert("RGB").tobytes() == _rgb(registered) for i in images)


@pytest.mark.parametrize("kind", ["none", "header_only", "cut_short", "gif"])
def test_a_registration_without_a_usable_impression_says_so(
    world: World, tmp_path: Path, kind: str
) -> None:
    subject = world.adult_with_seal()
    registered = _impression(world, subject.id)
    assert registered is not None
    stored = {
        "none": None,
        "header_only": b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
        "cut_short": registered[: len(registered) // 2],  # reads as a PNG until decoded
        "gif": b"GIF89a not a png",
    }[kind]
    _set_impression(world, subject.id, stored)
    record = _at_counter(world, "ingam", "k-ingam-none", subject.id)
    pdf = world.container.renderer.pdf_for(record)
    assert MISSING in " ".join(_text(pdf, tmp_path).split())  # wrapped inside the box
    # Only the office's 직인 (an image and its soft mask) is on the page.
    assert [i.kind for i in _images(pdf, tmp_path)] == ["image", "smask"]


# -- 2. the office's 직인 -------------------------------------------------------------------------


def test_the_default_office_seal_is_drawn_from_the_head_title(world: World, tmp_path: Path) -> None:
    record = _at_counter(world, "deungbon", "k-seal-default")
    pdf = world.container.renderer.pdf_for(record)
    assert "(직인)" not in _text(pdf, tmp_path)
    head_title = record.snapshot_data()["office"]["head_title"]
    drawn = office_seal(head_title)
    masks = [i for i in _images(pdf, tmp_path) if i.kind == "smask"]
    assert [m.pixels.tobytes() for m in masks] == [_alpha(drawn)]
    # Another office head's seal reads differently.
    assert _alpha(office_seal("전주시장")) != _alpha(drawn)


def _city_seal(path: Path, size: int = 72) -> bytes:
    """A synthetic city seal: a seeded pattern of blue-ish pixels with some transparency."""
    r = random.Random(20261203)
    image = Image.new("RGBA", (size, size))
    image.putdata(
        [
            (r.randrange(40), r.randrange(60, 120), r.randrange(150, 256), r.choice((0, 255, 255)))
            for _ in range(size * size)
        ]
    )
    image.save(path, format="PNG")
    return path.read_bytes()


def test_a_configured_office_seal_replaces_the_drawn_one(world: World, tmp_path: Path) -> None:
    png = _city_seal(tmp_path / "city-seal.png")
    settings = world.container.settings.with_changes()
    configured = Settings.from_env(
        {"MINWON_OFFICE_SEAL_IMAGE": str(tmp_path / "city-seal.png")},
        data_dir=settings.data_dir,
        keys_dir=settings.keys_dir,
        database_url=settings.database.url,
    )
    container = bootstrap(configured, clock=world.clock)
    try:
        record = _at_counter(world, "chobon", "k-seal-city")
        pdf = container.renderer.pdf_for(record)
    finally:
        container.close()
    images = _images(pdf, tmp_path)
    assert [i.kind for i in images] == ["image", "smask"]
    assert images[0].pixels.convert("RGB").tobytes() == _rgb(png)
    assert images[1].pixels.tobytes() == _alpha(png)
    drawn = office_seal(record.snapshot_data()["office"]["head_title"])
    assert images[1].pixels.tobytes() != _alpha(drawn)


# -- 3. and 4. validity and verification deadline -----------------------------------------------


@pytest.mark.parametrize("code", [d.code for d in default_catalog().all()])
def test_every_document_prints_until_when_it_can_be_verified(
    world: World, tmp_path: Path, code: str
) -> None:
    subject = {
        "ingam": lambda: world.adult_with_seal().id,
        "napse": lambda: _taxpayer(world),
    }.get(code, lambda: None)()
    record = _at_counter(world, code, f"k-until-{code}", subject)
    document = default_catalog().get(code)
    assert document is not None
    # Verifiable through the whole last day: the window ends at the midnight after it.
    ends = record.expires_at.astimezone(KST)
    last_day = record.issued_at.astimezone(KST).date() + timedelta(days=document.valid_days)
    assert (ends.date(), ends.time()) == (last_day + timedelta(days=1), time(0))
    text = _text(world.container.renderer.pdf_for(record), tmp_path)
    assert f"진위 확인 가능 기한: {kdate(last_day)}까지" in text


def test_the_tax_certificate_prints_its_frozen_validity(world: World, tmp_path: Path) -> None:
    record = _at_counter(world, "napse", "k-napse-valid", _taxpayer(world))
    issued_day = record.issued_at.astimezone(KST).date()
    valid_until = issued_day + timedelta(days=30)  # 발급일 다음 날부터 30일 (민법 제157조)
    assert record.snapshot_data()["valid_until"] == valid_until.isoformat()
    line = f"유효기간: {kdate(valid_until)}까지"
    # A bank checking online on the last afternoon is told "valid", as the paper says.
    assert record.expires_at.astimezone(KST).date() == valid_until + timedelta(days=1)
    assert line in _text(world.container.renderer.pdf_for(record), tmp_path)
    # The catalog changing later does not change a paper already issued.
    catalog = default_catalog()
    napse = catalog.get("napse")
    assert napse is not None
    changed = Catalog(
        [replace(napse, valid_days=60), *(d for d in catalog.all() if d.code != "napse")]
    )
    container = world.container
    renderer = DocumentRenderer(
        keys=container.keys,
        catalog=changed,
        public_base_url=container.settings.public_base_url,
        digest_key=b"k" * 32,
    )
    assert line in _text(renderer.pdf_for(record), tmp_path)
