"""The digest a document shows the world cannot be recomputed from the paper.

Given a 등본 with full 주민등록번호 printed, and a copy of it with the back half of one
number blacked out, a forger or a curious stranger knows everything in the snapshot but
those digits, and reads the QR code. With a plain SHA-256 of the snapshot in the QR, the
blacked-out digits fell out of a brute force in seconds. The QR, the API and the page now
carry an HMAC under a server-only key: the same brute force finds nothing.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from minwon.issuance.commands import IssueDocument
from minwon.issuance.records import canonical_json
from minwon.issuance.services import issue_document
from minwon.registry.rrn import CHECKSUM_ABOLISHED, check_digit, format_rrn
from minwon.rendering.qr_token import decode_token
from minwon.web.app import create_app
from support.world import World


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the digest is computed above the database


@pytest.fixture
def api(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.container)) as client:
        yield client


def _blacked_out_copy(world: World) -> tuple[str, str, str]:
    """Issues citizen1's 등본 with every number in full; returns (canonical snapshot as
    the paper shows it, the subject's number, the document number)."""
    citizen = world.citizen()
    outcome = issue_document(
        world.container.issuance,
        principal=citizen,
        cmd=IssueDocument(idempotency_key="k-digest-0001", document_type="deungbon"),
    )
    record = outcome.record
    assert citizen.resident_id is not None
    subject = world.resident(citizen.resident_id)
    canonical = canonical_json(record.snapshot_data())
    printed = format_rrn(subject.rrn)
    assert printed in canonical, "the 등본 prints the subject's number in full"
    assert subject.birth_date < CHECKSUM_ABOLISHED  # a check digit: 10⁵ candidates, not 10⁶
    return canonical, printed, record.number


def _brute_force(canonical: str, number: str, target: str) -> str | None:
    """What the attacker runs: every back half of ``number`` that its check digit allows,
    hashed into the otherwise known snapshot; returns the candidate whose hash is
    ``target``, or None."""
    parts = canonical.split(number)
    front = number[:8]  # YYMMDD-G: printed; the six digits after it are blacked out
    for guess in range(100_000):
        body = f"{front}{guess:05d}"
        candidate = body + str(check_digit(body.replace("-", "")))
        text = candidate.join(parts)
        if hashlib.sha256(text.encode("utf-8")).hexdigest() == target:
            return candidate
    return None


def test_the_qr_of_a_blacked_out_copy_no_longer_gives_the_number_away(
    world: World, api: TestClient
) -> None:
    canonical, number, document = _blacked_out_copy(world)
    plain = hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    # The attack itself works: against a plain hash it finds the number.
    started = time.perf_counter()
    assert _brute_force(canonical, number, plain) == number
    attack_seconds = time.perf_counter() - started

    # What the world sees: the QR token, the API's answer, the verify page.
    c = world.container
    with c.uows(readonly=True) as uow:
        record = uow.issuances.by_number(document)
    assert record is not None
    token = c.renderer.token_for(record)
    published = decode_token(token, c.keys.token_public).content_hash
    answer = api.get(f"/api/v1/verify/{document}")
    page = api.get(f"/verify?number={document}")
    assert answer.json()["content_hash"] == published
    assert published in page.text
    for public in (token, answer.text, page.text, published):
        assert plain not in public

    # The same attack against what is published finds nothing.
    assert _brute_force(canonical, number, published) is None
    print(f"\nbrute force over 10^5 candidates: {attack_seconds:.2f} s; keyed digest: no match")


def test_the_published_digest_depends_on_a_key_the_public_does_not_have(world: World) -> None:
    from minwon.issuance.records import public_digest

    content = hashlib.sha256(b"a snapshot").hexdigest()
    key = world.container.issuance.digest_key
    assert len(key) * 8 >= 128
    assert public_digest(key, content) != public_digest(b"x" * 32, content)
    assert public_digest(key, content) != content
    with pytest.raises(ValueError):
        public_digest(b"short", content)
