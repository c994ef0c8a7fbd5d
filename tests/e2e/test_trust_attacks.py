"""Verification as a forger and a third party try it, through the real CLI and server.

Given a served city (``minwon serve`` on SQLite with demo data) and a bank clerk's
machine that holds nothing but the city's published trust bundle, installed after
comparing its root fingerprint:

- the clerk verifies a genuine PDF and its QR code offline (exit 3: signature valid,
  status not confirmed) and online (exit 0);
- a document re-signed by a home-made CA fails, even when a look-alike server publishes
  that CA as its "keys" and vouches for the document;
- a look-alike server cannot make a voided document pass: no attestation, its own key,
  or a genuine answer replayed from before the voiding all leave the status unconfirmed.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from minwon.rendering.attestation import attest
from minwon.rendering.keys import init_keys, load_keys
from minwon.rendering.signing import PdfSigner
from minwon.rendering.trust import TrustBundle, bundle_of
from support.served import Served, clean_env, serving

pytestmark = pytest.mark.slow

VALID, INVALID, UNREADABLE, UNCONFIRMED = 0, 1, 2, 3


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serving(tmp_path_factory.mktemp("city") / "data", residents=60, seed=11) as city:
        yield city


@pytest.fixture(scope="module")
def clerk(served: Served, tmp_path_factory: pytest.TempPathFactory) -> Served:
    """A bank clerk's machine: no keys folder, only the bundle the city published."""
    home = tmp_path_factory.mktemp("clerk") / "data"
    home.mkdir()
    machine = Served(base=served.base, data_dir=home, log=home / "none.log", env=clean_env(home))
    published = home / "city-trust.json"
    published.write_bytes(httpx.get(f"{served.base}/api/v1/trust-bundle", timeout=10).content)
    # The fingerprint the city announces elsewhere (a letter, its web site's notice).
    announced = bundle_of(load_keys(served.data_dir / "keys"), now=_now()).fingerprints[0]
    wrong = machine.minwon("trust", "install", str(published), "--fingerprint", "00" * 32)
    assert wrong.returncode == INVALID and "지문" in wrong.stderr, wrong.stdout + wrong.stderr
    done = machine.minwon("trust", "install", str(published), "--fingerprint", announced)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (home / "keys").exists()
    return machine


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def _issue(served: Served, key: str) -> tuple[str, bytes]:
    response = httpx.post(
        f"{served.base}/api/v1/issuances",
        json={"document_type": "deungbon"},
        headers={**served.login("citizen1"), "Idempotency-Key": key, "Accept": "application/pdf"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return response.headers["Minwon-Document-Number"], response.content


@dataclass
class LookAlike:
    """A server at another address that answers whatever the forger wants."""

    base: str = ""
    answer: dict[str, Any] = field(default_factory=dict)
    published: dict[str, Any] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)


@pytest.fixture
def look_alike() -> Iterator[LookAlike]:
    state = LookAlike()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.asked.append(self.path)
            body = state.published if "/keys" in self.path or "trust" in self.path else None
            if self.path.startswith("/api/v1/verify/"):
                body = state.answer
            data = json.dumps(body or {}).encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _output(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout + done.stderr


def test_a_third_party_with_only_the_bundle_verifies_a_pdf_and_a_qr_code(
    served: Served, clerk: Served, tmp_path: Path
) -> None:
    number, pdf = _issue(served, "trust-third-party-01")
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)

    offline = clerk.minwon("verify", str(path), "--offline")
    assert offline.returncode == UNCONFIRMED, _output(offline)
    assert "서명은 유효하나 취소·만료 여부는 확인하지 못했습니다" in offline.stdout
    assert "설치한 신뢰 묶음" in offline.stdout

    online = clerk.minwon("verify", str(path), "--server", served.base)
    assert online.returncode == VALID, _output(online)
    assert "유효한 문서입니다" in online.stdout

    # The QR code: as the URL a phone reads, and as a photo of the printed page.
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-singlefile", str(path), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    scanned = clerk.minwon("verify", str(tmp_path / "page.png"), "--offline")
    assert scanned.returncode == UNCONFIRMED, _output(scanned)
    assert number[:4] in scanned.stdout
    url = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(tmp_path / "page.png")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    by_url = clerk.minwon("verify", url, "--server", served.base)
    assert by_url.returncode == VALID, _output(by_url)


def test_no_bundle_installed_is_a_plain_refusal(tmp_path: Path, served: Served) -> None:
    home = tmp_path / "data"
    home.mkdir()
    stranger = Served(base="", data_dir=home, log=home / "x.log", env=clean_env(home))
    path = tmp_path / "doc.pdf"
    path.write_bytes(_issue(served, "trust-no-bundle-01")[1])
    done = stranger.minwon("verify", str(path), "--server", served.base)
    assert done.returncode == UNREADABLE, _output(done)
    assert "trust.not_installed" in done.stderr and "minwon trust install" in done.stderr


def test_a_document_re_signed_by_a_home_made_ca_fails_whatever_the_server_says(
    served: Served, clerk: Served, look_alike: LookAlike, tmp_path: Path
) -> None:
    number, genuine = _issue(served, "trust-resigned-01")
    # The forger keeps the city's pages and token, strips the city's signature and signs
    # with a CA of its own making, which its look-alike server publishes as "the keys".
    forger = load_keys(init_keys(tmp_path / "forger", organisation="전주시").directory)
    unsigned = genuine[: genuine.index(b"%%EOF") + len(b"%%EOF\n")]
    forged = PdfSigner(forger).sign(unsigned)
    path = tmp_path / "forged.pdf"
    path.write_bytes(forged)
    look_alike.published = bundle_of(forger, now=_now()).to_json()
    valid = httpx.get(f"{served.base}/api/v1/verify/{number}", timeout=10).json()
    look_alike.answer = valid

    done = clerk.minwon("verify", str(path), "--server", look_alike.base)
    assert done.returncode == INVALID, _output(done)
    assert "pdf.untrusted_signer" in done.stdout
    assert "유효한 문서입니다" not in done.stdout
    # The verifier never asked the look-alike for keys.
    assert not [p for p in look_alike.asked if "keys" in p or "trust" in p]


def test_a_look_alike_server_cannot_make_a_voided_document_pass(
    served: Served, clerk: Served, look_alike: LookAlike, tmp_path: Path
) -> None:
    number, pdf = _issue(served, "trust-voided-01")
    path = tmp_path / "voided.pdf"
    path.write_bytes(pdf)
    before = httpx.get(f"{served.base}/api/v1/verify/{number}", timeout=10).json()
    assert before["status"] == "valid" and before["attestation"]["signature"]
    voided = httpx.post(
        f"{served.base}/api/v1/issuances/{number}/void",
        json={"reason": "시연: 위장 서버 확인"},
        headers=served.login("supervisor-city", "clerk"),
        timeout=10,
    )
    assert voided.status_code == 200, voided.text

    honest = clerk.minwon("verify", str(path), "--server", served.base)
    assert honest.returncode == INVALID and "취소" in honest.stdout, _output(honest)

    own_key = load_keys(init_keys(tmp_path / "lookalike").directory).token_private
    unsigned = {k: v for k, v in before.items() if k != "attestation"}
    self_signed = {
        **unsigned,
        "attestation": attest(
            own_key,
            number=number,
            status="valid",
            digest=before["content_hash"],
            checked_at=_now(),
        ),
    }
    for lie in (unsigned, before, self_signed):  # none, a replayed genuine one, its own
        look_alike.answer = lie
        done = clerk.minwon("verify", str(path), "--server", look_alike.base)
        assert done.returncode == UNCONFIRMED, _output(done)
        assert "유효한 문서입니다" not in done.stdout
        assert "믿을 수 없는 응답" in done.stdout

    offline = clerk.minwon("verify", str(path), "--offline")
    assert offline.returncode == UNCONFIRMED, _output(offline)


def test_the_status_answer_is_bound_to_the_question(served: Served) -> None:
    number, _ = _issue(served, "trust-nonce-01")
    answer = httpx.get(
        f"{served.base}/api/v1/verify/{number}", params={"nonce": "abc_DEF-123"}, timeout=10
    ).json()
    assert answer["attestation"]["nonce"] == "abc_DEF-123"
    bad = httpx.get(f"{served.base}/api/v1/verify/{number}", params={"nonce": "x" * 65}, timeout=10)
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["code"] == "verify.nonce"
    bundle = TrustBundle.loads(httpx.get(f"{served.base}/api/v1/trust-bundle", timeout=10).text)
    assert bundle.token_keys.get(answer["attestation"]["kid"]) is not None
