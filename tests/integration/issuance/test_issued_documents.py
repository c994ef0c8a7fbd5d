"""One issuance, one set of bytes: the signed PDF is made once, at issuance, dated at the
issuance, stored with its SHA-256, and every download or replay returns exactly it.

Real SQLite and PostgreSQL, real rendering and signing. What is faked is only what cannot
be had otherwise: a store that fails once (the process dying between two commits), and
rows changed behind the service's back (an old issuance, a tampered file).
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
import structlog
from pyhanko.pdf_utils.generic import parse_pdf_date
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import delete, select, update

from minwon.adapters import tables as t
from minwon.adapters.issuance_store import IssuanceStore
from minwon.errors import Unavailable
from minwon.issuance.commands import CounterRequester, IssueDocument
from minwon.issuance.documents import DocumentCorrupt, document_pdf
from minwon.issuance.ports import DocumentMaker
from minwon.issuance.records import IssuanceRecord, StoredPdf
from minwon.issuance.services import IssueOutcome, issue_document
from minwon.rendering.signing import asn1_certificate
from support.world import World


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _issue(world: World, key: str, document_type: str = "deungbon") -> IssueOutcome:
    cmd = IssueDocument(idempotency_key=key, document_type=document_type)
    return issue_document(world.container.issuance, principal=world.citizen(), cmd=cmd)


def _download(world: World, record: IssuanceRecord) -> bytes:
    return document_pdf(world.container.issuance, record)


def _fresh(world: World, record: IssuanceRecord) -> IssuanceRecord:
    with world.container.uows(readonly=True) as uow:
        found = uow.issuances.by_id(record.id)
    assert found is not None
    return found


def _stored(world: World, issuance_id: str) -> StoredPdf:
    with world.container.uows(readonly=True) as uow:
        stored = uow.issuances.stored_pdf(issuance_id)
    assert stored is not None
    return stored


def _execute(world: World, statement: Any) -> None:
    with world.container.engine.begin() as conn:
        conn.execute(statement)


def _as_if_never_stored(world: World, record: IssuanceRecord) -> None:
    """What an issuance from before stored PDFs (or a process that died between the two
    commits) leaves behind: no stored bytes, no SHA-256 on the record."""
    _execute(world, delete(t.issued_documents).where(t.issued_documents.c.issuance_id == record.id))
    _execute(
        world, update(t.issuances).where(t.issuances.c.id == record.id).values(pdf_sha256=None)
    )


def _signed_at(pdf: bytes) -> tuple[datetime, dict[str, datetime]]:
    """Returns the signature's own signing time (/M, as pyHanko's validator reads it) and
    every date in the document information of the signed revision."""
    reader = PdfFileReader(io.BytesIO(pdf))
    (embedded,) = reader.embedded_signatures
    signed = embedded.self_reported_timestamp
    assert signed is not None
    info = reader.trailer["/Info"]
    dates = {key: parse_pdf_date(str(info[key])) for key in ("/CreationDate", "/ModDate")}
    return signed, dates


def _whole_seconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)  # a PDF date has no fractions of a second


def test_issuance_stores_one_pdf_whose_sha256_the_record_keeps(world: World) -> None:
    outcome = _issue(world, "doc-once-0001")
    record = outcome.record
    assert record.pdf_sha256 is not None and len(record.pdf_sha256) == 64
    assert _fresh(world, record).pdf_sha256 == record.pdf_sha256  # committed, not just returned
    assert world.count(t.issued_documents) == 1
    served = _download(world, record)
    assert served.startswith(b"%PDF-") and _sha(served) == record.pdf_sha256


def test_downloads_and_a_replay_return_the_identical_bytes(world: World) -> None:
    first = _issue(world, "doc-same-0001")
    one, two = _download(world, first.record), _download(world, first.record)
    replay = _issue(world, "doc-same-0001")
    assert replay.replayed and replay.record.pdf_sha256 == first.record.pdf_sha256
    assert _download(world, replay.record) == one == two
    assert world.count(t.issued_documents) == 1


def test_the_signature_is_dated_at_the_issuance_not_at_the_download(world: World) -> None:
    # Issued days ago by the service's clock; pyHanko and reportlab would read the
    # machine's, which says now.
    world.clock.advance(-timedelta(days=3, hours=5))
    outcome = _issue(world, "doc-time-0001")
    world.clock.advance(timedelta(days=3, hours=5))
    pdf = _download(world, outcome.record)
    signed, info = _signed_at(pdf)
    issued = _whole_seconds(outcome.record.issued_at)
    assert signed == issued
    assert info == {"/CreationDate": issued, "/ModDate": issued}
    # And still a valid certification signature over the whole file.
    reader = PdfFileReader(io.BytesIO(pdf))
    root = asn1_certificate(world.container.keys.root_cert)
    status = validate_pdf_signature(
        reader.embedded_signatures[0], ValidationContext(trust_roots=[root], allow_fetching=False)
    )
    assert status.intact and status.valid and status.trusted


def test_an_issuance_without_a_stored_pdf_gets_one_at_its_first_download_then_keeps_it(
    world: World,
) -> None:
    world.clock.advance(-timedelta(days=30))
    outcome = _issue(world, "doc-late-0001")
    _as_if_never_stored(world, outcome.record)
    old = _fresh(world, outcome.record)
    assert old.pdf_sha256 is None and world.count(t.issued_documents) == 0
    world.clock.advance(timedelta(days=30))
    first = _download(world, old)
    assert _fresh(world, old).pdf_sha256 == _sha(first)
    assert _download(world, old) == first and _download(world, _fresh(world, old)) == first
    assert world.count(t.issued_documents) == 1
    signed, _ = _signed_at(first)
    assert signed == _whole_seconds(old.issued_at)  # made late, dated at the issuance


class _Rendezvous:
    """The real renderer, entered by all racers together: each has read "no PDF yet"
    before any stores one, so the race is run every time, not by luck."""

    def __init__(self, real: DocumentMaker, racers: int) -> None:
        self._real = real
        self._all_here = threading.Barrier(racers)
        self.made = 0

    def pdf_for(self, record: IssuanceRecord) -> bytes:
        self._all_here.wait(timeout=30)
        self.made += 1
        return self._real.pdf_for(record)


def test_concurrent_first_downloads_return_the_same_bytes(world: World) -> None:
    outcome = _issue(world, "doc-race-0001")
    _as_if_never_stored(world, outcome.record)
    record = _fresh(world, outcome.record)
    racers = 4
    makers = _Rendezvous(world.container.renderer, racers)
    ctx = replace(world.container.issuance, documents=makers)
    results: list[bytes] = []
    errors: list[BaseException] = []

    def download() -> None:
        try:
            results.append(document_pdf(ctx, record))
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=download) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert makers.made == racers  # every one of them signed its own PDF…
    assert len(results) == racers and len(set(results)) == 1  # …and all got the first stored
    assert world.count(t.issued_documents) == 1
    assert _fresh(world, record).pdf_sha256 == _sha(results[0])
    assert _download(world, record) == results[0]


def _failing_once(monkeypatch: pytest.MonkeyPatch, error: Callable[[], BaseException]) -> list[int]:
    """Makes the first store of a PDF fail; returns the list of calls (one entry each)."""
    real = IssuanceStore.store_pdf
    calls: list[int] = []

    def store_pdf(self: IssuanceStore, *args: Any, **kwargs: Any) -> StoredPdf:
        calls.append(1)
        if len(calls) == 1:
            raise error()
        return real(self, *args, **kwargs)

    monkeypatch.setattr(IssuanceStore, "store_pdf", store_pdf)
    return calls


def test_a_crash_between_the_issuance_and_the_pdf_leaves_an_issuance_that_downloads(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _failing_once(monkeypatch, lambda: RuntimeError("the process died here"))
    outcome = _issue(world, "doc-crash-0001")
    assert not outcome.replayed and outcome.record.pdf_sha256 is None  # issued all the same
    assert world.count(t.issuances) == 1 and world.count(t.fees) == 1
    assert world.count(t.issued_documents) == 0
    first = _download(world, outcome.record)
    assert _fresh(world, outcome.record).pdf_sha256 == _sha(first)
    replay = _issue(world, "doc-crash-0001")
    assert replay.replayed and replay.record.pdf_sha256 == _sha(first)
    assert _download(world, replay.record) == first
    assert len(calls) == 2 and world.count(t.issued_documents) == 1


def test_a_replay_after_such_a_crash_makes_the_pdf(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _failing_once(monkeypatch, lambda: RuntimeError("the process died here"))
    first = _issue(world, "doc-crash-0002")
    replay = _issue(world, "doc-crash-0002")  # the client retries with the same key
    assert first.record.pdf_sha256 is None and replay.record.pdf_sha256 is not None
    assert _sha(_download(world, replay.record)) == replay.record.pdf_sha256


def test_a_lost_connection_while_storing_is_retried_at_issuance(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _failing_once(
        monkeypatch, lambda: Unavailable("database.unavailable", "데이터베이스 전환 중입니다.")
    )
    outcome = _issue(world, "doc-retry-0001")
    assert len(calls) == 2 and outcome.record.pdf_sha256 is not None
    assert _sha(_download(world, outcome.record)) == outcome.record.pdf_sha256


def _flip_a_byte(world: World, record: IssuanceRecord) -> None:
    pdf = bytearray(_stored(world, record.id).pdf or b"")
    pdf[len(pdf) // 2] ^= 0x01
    _execute(
        world,
        update(t.issued_documents)
        .where(t.issued_documents.c.issuance_id == record.id)
        .values(pdf=bytes(pdf)),
    )


def _other_sha(world: World, record: IssuanceRecord) -> None:
    _execute(
        world,
        update(t.issuances).where(t.issuances.c.id == record.id).values(pdf_sha256="0" * 64),
    )


def _drop_the_bytes(world: World, record: IssuanceRecord) -> None:
    _execute(world, delete(t.issued_documents).where(t.issued_documents.c.issuance_id == record.id))


def _drop_the_sha(world: World, record: IssuanceRecord) -> None:
    _execute(
        world, update(t.issuances).where(t.issuances.c.id == record.id).values(pdf_sha256=None)
    )


@pytest.mark.parametrize(
    "tamper",
    [_flip_a_byte, _other_sha, _drop_the_bytes, _drop_the_sha],
    ids=["bytes changed", "sha256 changed", "bytes deleted", "sha256 deleted"],
)
def test_stored_bytes_that_do_not_match_the_record_are_refused_and_logged(
    world: World, tamper: Callable[[World, IssuanceRecord], None]
) -> None:
    outcome = _issue(world, "doc-tamper-01")
    before = _stored(world, outcome.record.id)
    tamper(world, outcome.record)
    with structlog.testing.capture_logs() as logs, pytest.raises(DocumentCorrupt) as err:
        _download(world, outcome.record)
    assert err.value.code == "document.corrupt" and err.value.status == 500
    assert "발급 기관" in err.value.detail
    (entry,) = [e for e in logs if e["event"] == "document.corrupt"]
    assert entry["log_level"] == "error" and entry["issuance_id"] == outcome.record.id
    # Nothing of the document itself in the log line: ids and a reason only.
    assert set(entry) <= {"event", "log_level", "issuance_id", "reason"}
    # Refused, not silently re-made: a deleted file with a recorded hash stays missing.
    assert world.count(t.issued_documents) == (0 if tamper is _drop_the_bytes else 1)
    if tamper is _drop_the_bytes:
        assert _stored(world, outcome.record.id) == StoredPdf(None, before.sha256)


def test_every_document_type_is_stored_and_dated_at_its_issuance(world: World) -> None:
    world.clock.advance(-timedelta(hours=7))  # the service's clock is not the machine's
    seal_holder = world.adult_with_seal()
    counter = CounterRequester(seal_holder.name, seal_holder.rrn, True)
    issued = [_issue(world, f"doc-all-{code}") for code in ("deungbon", "chobon", "napse")] + [
        issue_document(
            world.container.issuance,
            principal=world.citizen("citizen2"),
            cmd=IssueDocument("doc-all-geonchuk", "geonchuk", building_number=world.a_building()),
        ),
        issue_document(
            world.container.issuance,
            principal=world.clerk(),
            cmd=IssueDocument("doc-all-ingam", "ingam", requester=counter),
        ),
    ]
    for outcome in issued:
        code = outcome.record.document_type
        pdf = _download(world, outcome.record)
        assert _sha(pdf) == outcome.record.pdf_sha256, code
        signed, _ = _signed_at(pdf)
        assert signed == _whole_seconds(outcome.record.issued_at), code
    with world.container.engine.connect() as conn:
        stored = conn.execute(select(t.issued_documents.c.issuance_id)).scalars().all()
    assert sorted(stored) == sorted(o.record.id for o in issued)
