"""A forger's edits to a signed document, each of which verify_pdf must catch.

The signed revision is left byte for byte as issued in most of these: the forger appends
an incremental update (new page content, a swapped token in the document information,
a removed signature value) or strips the signature revision altogether, hoping a viewer
shows the last revision while the first one's signature still reads as valid.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from test_signed_documents import Issued, _issue, _verify

from minwon.rendering.keys import KeyMaterial
from minwon.rendering.signing import PdfSigner


def _append(pdf: bytes, edit: Callable[[IncrementalPdfFileWriter], None]) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    edit(writer)
    out = io.BytesIO()
    writer.write(out)
    forged = out.getvalue()
    assert forged.startswith(pdf)  # the signed bytes are untouched: only appended to
    return forged


def _codes(pdf: bytes, material: KeyMaterial) -> set[str]:
    verdict = _verify(pdf, material)
    assert not verdict.ok
    return {code for code, _ in verdict.problems}


@pytest.fixture(scope="module")
def deungbon(material: KeyMaterial, signer: PdfSigner) -> Issued:
    return _issue("deungbon", material, signer)


def test_a_later_revision_that_replaces_the_page_content_is_caught(
    deungbon: Issued, material: KeyMaterial
) -> None:
    def replace_content(writer: IncrementalPdfFileWriter) -> None:
        page = writer.root["/Pages"]["/Kids"][0].get_object()
        text = b"BT /F1 18 Tf 72 700 Td (Jeonju, Wansan-gu: altered address) Tj ET"
        stream = generic.StreamObject(stream_data=text)
        page[generic.NameObject("/Contents")] = writer.add_object(stream)
        writer.update_container(page)

    forged = _append(deungbon.pdf, replace_content)
    assert "pdf.modified_after_signing" in _codes(forged, material)


def test_a_later_revision_that_swaps_the_token_in_the_metadata_is_caught(
    deungbon: Issued, material: KeyMaterial, signer: PdfSigner
) -> None:
    other = _issue("chobon", material, signer, token_number="1111222233334444")

    def swap_token(writer: IncrementalPdfFileWriter) -> None:
        info = generic.DictionaryObject(
            {
                generic.NameObject("/MinwonToken"): generic.TextStringObject(other.token),
                generic.NameObject("/MinwonNumber"): generic.TextStringObject("1111222233334444"),
                generic.NameObject("/Title"): generic.TextStringObject("위조"),
            }
        )
        writer.set_info(writer.add_object(info))

    forged = _append(deungbon.pdf, swap_token)
    codes = _codes(forged, material)
    assert "pdf.modified_after_signing" in codes
    # The token is read as it stood when signed, never from the forger's revision.
    verdict = _verify(forged, material)
    assert verdict.claims is not None
    assert verdict.claims.number == deungbon.snapshot["number"]


def test_a_later_revision_that_removes_the_signature_value_is_caught(
    deungbon: Issued, material: KeyMaterial
) -> None:
    def unsign(writer: IncrementalPdfFileWriter) -> None:
        for ref in writer.root["/AcroForm"]["/Fields"]:
            field = ref.get_object()
            if "/V" in field:
                del field["/V"]
                writer.update_container(field)

    forged = _append(deungbon.pdf, unsign)
    codes = _codes(forged, material)
    assert codes & {"pdf.unsigned", "pdf.modified_after_signing", "pdf.signature_invalid"}


def test_the_document_with_its_signature_revision_stripped_is_unsigned(
    deungbon: Issued, material: KeyMaterial
) -> None:
    unsigned = deungbon.pdf[: deungbon.pdf.index(b"%%EOF") + len(b"%%EOF\n")]
    assert len(unsigned) < len(deungbon.pdf)
    assert _codes(unsigned, material) == {"pdf.unsigned"}


def test_the_qr_token_of_another_document_inside_a_signed_one_is_a_mismatch(
    material: KeyMaterial, signer: PdfSigner
) -> None:
    # A forger who can get the city to sign one document cannot borrow another's token.
    forged = _issue("deungbon", material, signer, token_number="1111222233334444")
    assert _codes(forged.pdf, material) == {"pdf.number_mismatch"}
