"""Real keys, real rendering, real PAdES signing, checked by pyHanko, poppler and verify_pdf."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko.stamp import TextStamp, TextStampStyle
from pyhanko_certvalidator import ValidationContext
from rendering_snapshots import example_snapshot

from minwon.catalog.loader import default_catalog
from minwon.rendering.keys import KeyMaterial, init_keys, load_keys
from minwon.rendering.pdf import render_pdf
from minwon.rendering.qr_token import TokenClaims, encode_token, qr_url
from minwon.rendering.signing import PdfSigner, asn1_certificate
from minwon.rendering.templating import docnumber
from minwon.rendering.verify_pdf import PdfVerdict, verify_pdf
from support.binaries import require

TYPES = [t.code for t in default_catalog().all()]


@dataclass(frozen=True)
class Issued:
    snapshot: dict[str, Any]
    token: str
    pdf: bytes


def _issue(
    code: str, material: KeyMaterial, signer: PdfSigner, *, token_number: str | None = None
) -> Issued:
    snapshot = example_snapshot(code)
    content_hash = hashlib.sha256(
        json.dumps(snapshot, ensure_ascii=False, sort_keys=True).encode()
    ).hexdigest()
    claims = TokenClaims(
        number=token_number or snapshot["number"],
        content_hash=content_hash,
        issued_at=datetime.fromisoformat(str(snapshot["issued_at"])),
        expires_at=datetime.fromisoformat(str(snapshot["expires_at"])),
    )
    token = encode_token(claims, material.token_private)
    doc_type = default_catalog().get(code)
    assert doc_type is not None
    pdf = render_pdf(
        snapshot,
        template=doc_type.template,
        qr_text=qr_url("http://127.0.0.1:8000", token),
        token=token,
    )
    return Issued(snapshot, token, signer.sign(pdf, location=snapshot["office"]["name"]))


@pytest.fixture(scope="module", params=TYPES)
def issued(request: pytest.FixtureRequest, material: KeyMaterial, signer: PdfSigner) -> Issued:
    return _issue(request.param, material, signer)


@pytest.fixture(scope="module")
def nss_db(tmp_path_factory: pytest.TempPathFactory, material: KeyMaterial) -> str:
    certutil = require("certutil")
    directory = tmp_path_factory.mktemp("nss")
    root_pem = directory / "root.pem"
    root_pem.write_bytes(asn1_certificate(material.root_cert).dump())
    db = f"sql:{directory}"
    subprocess.run([certutil, "-N", "--empty-password", "-d", db], check=True)
    subprocess.run(
        [certutil, "-A", "-n", "minwon-root", "-t", "CT,C,C", "-i", str(root_pem), "-d", db],
        check=True,
    )
    return db


def _verify(data: bytes, material: KeyMaterial) -> PdfVerdict:
    return verify_pdf(data, trust_root=material.root_cert, token_public_key=material.token_public)


def test_pyhanko_finds_the_signature_intact_valid_trusted_and_covering_the_file(
    issued: Issued, material: KeyMaterial
) -> None:
    reader = PdfFileReader(io.BytesIO(issued.pdf))
    (embedded,) = reader.embedded_signatures
    context = ValidationContext(
        trust_roots=[asn1_certificate(material.root_cert)], allow_fetching=False
    )
    status = validate_pdf_signature(embedded, context)
    assert status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert embedded.field_name == "MinwonSignature"
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"


def test_poppler_pdfsig_accepts_signature_and_certificate(
    issued: Issued, nss_db: str, tmp_path: Path
) -> None:
    pdfsig = require("pdfsig")
    path = tmp_path / "document.pdf"
    path.write_bytes(issued.pdf)
    result = subprocess.run(
        [pdfsig, "-nssdir", nss_db, str(path)], capture_output=True, text=True, check=False
    )
    assert "Signature Validation: Signature is Valid." in result.stdout, result.stdout
    assert "Certificate Validation: Certificate is Trusted." in result.stdout, result.stdout
    assert "Total document signed" in result.stdout


def test_text_layer_shows_korean_title_and_formatted_number(issued: Issued, tmp_path: Path) -> None:
    pdftotext = require("pdftotext")
    path = tmp_path / "document.pdf"
    path.write_bytes(issued.pdf)
    text = subprocess.run(
        [pdftotext, "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert issued.snapshot["title"] in text
    assert docnumber(issued.snapshot["number"]) in text
    assert "전주시 완산구 중앙동장" in text
    assert "2026-11-25 13:45 (KST)" in text


def test_verify_pdf_accepts_the_document_and_reads_its_token(
    issued: Issued, material: KeyMaterial
) -> None:
    verdict = _verify(issued.pdf, material)
    assert verdict.ok, verdict.problems
    assert verdict.signature_valid and verdict.intact and verdict.coverage_entire
    assert verdict.number == issued.snapshot["number"]
    assert verdict.claims is not None and verdict.claims.number == verdict.number
    assert verdict.signer is not None and "전주시" in verdict.signer


def test_one_byte_edit_inside_the_signed_range_breaks_the_signature(
    issued: Issued, material: KeyMaterial
) -> None:
    data = bytearray(issued.pdf)
    # A byte inside the first stream: the file still parses, only the digest changes.
    at = data.index(b"stream") + 40
    assert at < data.index(b"/ByteRange")
    data[at] ^= 0x01
    verdict = _verify(bytes(data), material)
    assert not verdict.ok
    assert "pdf.signature_invalid" in {code for code, _ in verdict.problems}


def test_stamp_added_in_a_later_revision_is_flagged(issued: Issued, material: KeyMaterial) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(issued.pdf))
    TextStamp(writer, TextStampStyle(stamp_text="위조")).apply(dest_page=0, x=200, y=500)
    out = io.BytesIO()
    writer.write(out)
    forged = out.getvalue()
    assert forged.startswith(issued.pdf)  # the original signed bytes are untouched
    verdict = _verify(forged, material)
    assert "pdf.modified_after_signing" in {code for code, _ in verdict.problems}
    assert not verdict.ok


def test_freetext_annotation_added_later_is_flagged(issued: Issued, material: KeyMaterial) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(issued.pdf))
    page_ref = writer.root["/Pages"]["/Kids"][0]
    annot = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/FreeText"),
            generic.NameObject("/Rect"): generic.ArrayObject(
                [generic.FloatObject(v) for v in (100, 600, 300, 640)]
            ),
            generic.NameObject("/Contents"): generic.TextStringObject("위조"),
            generic.NameObject("/DA"): generic.pdf_string("/Helv 12 Tf 0 g"),
        }
    )
    page = page_ref.get_object()
    annots = generic.ArrayObject([writer.add_object(annot)])
    page[generic.NameObject("/Annots")] = annots
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    verdict = _verify(out.getvalue(), material)
    assert "pdf.modified_after_signing" in {code for code, _ in verdict.problems}


def test_document_signed_under_another_root_is_untrusted(
    issued: Issued, tmp_path: Path, material: KeyMaterial
) -> None:
    other = load_keys(init_keys(tmp_path / "other").directory)
    verdict = verify_pdf(
        issued.pdf, trust_root=other.root_cert, token_public_key=material.token_public
    )
    assert "pdf.untrusted_signer" in {code for code, _ in verdict.problems}


def test_token_checked_with_the_wrong_key_is_a_bad_signature(
    issued: Issued, tmp_path: Path, material: KeyMaterial
) -> None:
    other = load_keys(init_keys(tmp_path / "other").directory)
    verdict = verify_pdf(
        issued.pdf, trust_root=material.root_cert, token_public_key=other.token_public
    )
    assert [code for code, _ in verdict.problems] == ["token.unknown_key"]


def test_unsigned_and_unreadable_files_are_reported(material: KeyMaterial) -> None:
    snapshot = example_snapshot("napse")
    unsigned = render_pdf(snapshot, template="napse.yaml.j2", qr_text="x", token="MW1.x")
    assert _verify(unsigned, material).problems[0][0] == "pdf.unsigned"
    assert _verify(b"not a pdf at all", material).problems[0][0] == "pdf.unreadable"


def test_token_for_another_number_is_a_mismatch(material: KeyMaterial, signer: PdfSigner) -> None:
    forged = _issue("chobon", material, signer, token_number="1111222233334444")
    codes = [code for code, _ in _verify(forged.pdf, material).problems]
    assert codes == ["pdf.number_mismatch"]
