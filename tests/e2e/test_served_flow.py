"""A real ``minwon serve`` process on SQLite, driven over HTTP and through the real CLI.

Given a data folder made by ``minwon init`` and ``minwon demo-data``, and a server started
with ``minwon serve``: a citizen's signed PDF verifies with ``minwon verify``, fails once a
byte is flipped or once a supervisor voids it, and no full 주민등록번호 ever reaches the
server's log, not even from requests that carried one and failed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from minwon.adapters import tables as t
from minwon.bootstrap import bootstrap
from minwon.config import Settings
from minwon.demo import DEMO_KIOSK_KEY
from minwon.operations.processes import free_port
from support.served import Served, serving

pytestmark = pytest.mark.slow


@dataclass
class Issued:
    number: str
    pdf: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serving(tmp_path_factory.mktemp("served") / "data", residents=300, seed=5) as city:
        yield city


@pytest.fixture(scope="module")
def issued(served: Served) -> Issued:
    """citizen1's 등본, issued with Accept: application/pdf and saved as a file."""
    auth = served.login("citizen1")
    timings = []
    for key in ("e2e-pdf-cold-0001", "e2e-pdf-warm-0001"):
        started = time.perf_counter()
        response = httpx.post(
            f"{served.base}/api/v1/issuances",
            json={"document_type": "deungbon"},
            headers={**auth, "Idempotency-Key": key, "Accept": "application/pdf"},
            timeout=30,
        )
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 201, response.text
        assert response.headers["content-type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
    print(f"issuance latency: {timings[0]:.0f} ms (first request), {timings[1]:.0f} ms (second)")
    pdf = served.data_dir.parent / "deungbon.pdf"
    pdf.write_bytes(response.content)
    return Issued(number=response.headers["Minwon-Document-Number"], pdf=pdf)


def _registered_numbers(served: Served) -> list[str]:
    """Every resident's full number, as digits, read through the vault."""
    settings = Settings.from_env(
        data_dir=served.data_dir,
        database_url=f"sqlite:///{served.data_dir / 'minwon.sqlite3'}",
        keys_dir=served.data_dir / "keys",
    )
    container = bootstrap(settings)
    try:
        with container.engine.connect() as conn:
            ciphers = conn.execute(select(t.residents.c.rrn_cipher)).scalars().all()
        return [container.vault.decrypt(c).replace("-", "") for c in ciphers]
    finally:
        container.close()


def test_issued_pdf_verifies_against_the_running_server(served: Served, issued: Issued) -> None:
    done = served.minwon("verify", str(issued.pdf), "--server", served.base)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "유효" in done.stdout
    assert issued.number[:4] in done.stdout  # the table shows the number


def test_a_pdf_with_one_flipped_byte_fails_verification(served: Served, issued: Issued) -> None:
    data = bytearray(issued.pdf.read_bytes())
    data[len(data) // 2] ^= 0xFF
    tampered = issued.pdf.with_name("tampered.pdf")
    tampered.write_bytes(bytes(data))
    done = served.minwon("verify", str(tampered), "--server", served.base)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "무효" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_a_stamp_appended_as_a_new_revision_fails_verification(
    served: Served, issued: Issued
) -> None:
    import io

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.stamp import TextStamp, TextStampStyle

    original = issued.pdf.read_bytes()
    writer = IncrementalPdfFileWriter(io.BytesIO(original))
    TextStamp(writer, TextStampStyle(stamp_text="VOID")).apply(dest_page=0, x=200, y=500)
    out = io.BytesIO()
    writer.write(out)
    assert out.getvalue().startswith(original)  # the signed bytes are untouched
    overlaid = issued.pdf.with_name("overlaid.pdf")
    overlaid.write_bytes(out.getvalue())
    done = served.minwon("verify", str(overlaid), "--server", served.base)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "pdf.modified_after_signing" in done.stdout


def test_a_voided_document_fails_verification_by_file_and_by_number(
    served: Served, issued: Issued
) -> None:
    by_number = served.minwon("verify", issued.number, "--server", served.base)
    assert by_number.returncode == 0, by_number.stdout + by_number.stderr
    assert "유효" in by_number.stdout
    # The document came from the online office (the city hall): its supervisor voids it.
    response = httpx.post(
        f"{served.base}/api/v1/issuances/{issued.number}/void",
        json={"reason": "시연: 잘못 발급하여 취소"},
        headers=served.login("supervisor-city", "clerk"),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    by_file = served.minwon("verify", str(issued.pdf))  # MINWON_PUBLIC_BASE_URL points here
    assert by_file.returncode == 1, by_file.stdout + by_file.stderr
    assert "취소" in by_file.stdout
    by_number = served.minwon("verify", issued.number)
    assert by_number.returncode == 1, by_number.stdout + by_number.stderr
    assert "취소" in by_number.stdout

    # Offline, or with the record out of reach, a voided document is never "valid": the
    # signature still holds, and the answer says the status was not confirmed.
    nobody = f"http://127.0.0.1:{free_port()}"
    for args in (("--offline",), ("--server", nobody)):
        unconfirmed = served.minwon("verify", str(issued.pdf), *args)
        output = unconfirmed.stdout + unconfirmed.stderr
        assert unconfirmed.returncode == 3, output
        assert "취소·만료 여부는 확인하지 못했습니다" in output
        assert "유효한 문서입니다" not in output


def test_no_full_resident_number_reaches_the_server_log(served: Served, issued: Issued) -> None:
    numbers = _registered_numbers(served)
    assert len(numbers) == 300 and all(len(n) == 13 for n in numbers)
    me = httpx.get(
        f"{served.base}/api/v1/auth/me", headers=served.login("citizen1"), timeout=10
    ).json()
    clerk = served.login("clerk", "clerk")
    real = numbers[0]
    hyphenated = f"{real[:6]}-{real[6:]}"
    failing = [
        # A registered number with a fingerprint that does not match it.
        httpx.post(
            f"{served.base}/api/v1/auth/kiosk",
            json={"rrn": hyphenated, "fingerprint": "0" * 64},
            headers={"X-Kiosk-Device": "kiosk-01", "X-Kiosk-Key": DEMO_KIOSK_KEY},
            timeout=10,
        ),
        # A malformed search body (an unknown field) that carries a full number.
        httpx.post(
            f"{served.base}/api/v1/residents/search",
            json={"purpose": "신청인 확인", "rrn": real, "rrn_again": hyphenated},
            headers=clerk,
            timeout=10,
        ),
        # A counter issuance whose requester number is too long to be valid.
        httpx.post(
            f"{served.base}/api/v1/issuances",
            json={
                "document_type": "deungbon",
                "requester": {"name": "홍길동", "rrn": real + "9", "id_checked": True},
            },
            headers={**clerk, "Idempotency-Key": "e2e-leak-00001"},
            timeout=10,
        ),
    ]
    assert [r.status_code for r in failing] == [401, 422, 422], [r.text for r in failing]
    for response in failing:
        assert response.headers["content-type"].startswith("application/problem+json")
        assert real not in response.text and hyphenated not in response.text
    assert me["kind"] == "citizen"
    log = served.log.read_text(errors="replace")
    assert "/auth/kiosk" in log, "the server log should record requests"
    leaked = [n for n in numbers if n in log or f"{n[:6]}-{n[6:]}" in log]
    assert leaked == [], f"{len(leaked)} full resident numbers in the server log"


def test_document_numbers_stay_out_of_the_access_log(served: Served, issued: Issued) -> None:
    # Paths carry 문서확인번호; the log names route templates, never the paths themselves.
    httpx.get(f"{served.base}/api/v1/verify/{issued.number}", timeout=10)
    log = served.log.read_text(errors="replace")
    assert "/verify/{number}" in log
    assert issued.number not in log
