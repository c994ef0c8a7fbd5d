"""PAdES signing of rendered documents with the city's document-signing certificate."""

from __future__ import annotations

import io
from datetime import datetime
from typing import IO, cast

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_signer import PdfSigningSession, PdfTBSDocument
from pyhanko_certvalidator.registry import SimpleCertificateStore

from minwon.clock import KST
from minwon.rendering.cms_template import CmsTemplate
from minwon.rendering.coroutines import run
from minwon.rendering.keys import KeyMaterial

FIELD_NAME = "MinwonSignature"
REASON = "민원문서 발급"


def asn1_certificate(cert: x509.Certificate) -> asn1_x509.Certificate:
    """Returns the asn1crypto form of a cryptography certificate (what pyHanko speaks)."""
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _organisation(cert: x509.Certificate) -> str | None:
    names = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return str(names[0].value) if names else None


class _DatedPdfSigner(signers.PdfSigner):
    """pyHanko's signer with the signing time given (the signature dictionary's /M),
    instead of the clock's: a document is signed at its issuance, whenever it is made."""

    def __init__(
        self, meta: signers.PdfSignatureMetadata, *, signer: signers.Signer, at: datetime
    ) -> None:
        super().__init__(meta, signer=signer)
        self._at = at

    def init_signing_session(
        self, pdf_out: BasePdfFileWriter, existing_fields_only: bool = False
    ) -> PdfSigningSession:
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        # Read by everything the session stamps (/M, an appearance, a CAdES signing-time);
        # pyHanko 0.38 sets it to "now" in the session's constructor and offers no option.
        session.system_time = self._at
        return session


class _DatedWriter(IncrementalPdfFileWriter):
    """An incremental writer that dates the document info's /ModDate ``at`` (pyHanko sets
    it to "now" on every write, with no option)."""

    def __init__(self, stream: IO[bytes], *, at: datetime) -> None:
        super().__init__(stream)
        self._at = at.astimezone(KST)

    def _update_meta(self) -> None:
        super()._update_meta()  # type: ignore[no-untyped-call]
        if self._info is not None:
            info = self._info.get_object()  # type: ignore[no-untyped-call]
            if "/ModDate" in info:
                info["/ModDate"] = generic.pdf_date(self._at)
                self.mark_update(self._info)


def _writer(pdf: bytes, at: datetime | None) -> IncrementalPdfFileWriter:
    stream = io.BytesIO(pdf)
    return IncrementalPdfFileWriter(stream) if at is None else _DatedWriter(stream, at=at)


class PdfSigner:
    """Signs PDFs as certification signatures (DocMDP: no changes) with PAdES baseline CMS."""

    def __init__(self, material: KeyMaterial, *, location: str | None = None) -> None:
        key_der = material.signing_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        signing_cert = asn1_certificate(material.signing_cert)
        # The chain goes into the CMS so validators need only the root as a trust anchor.
        chain = SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
            [signing_cert, asn1_certificate(material.root_cert)]
        )
        self._signer = signers.SimpleSigner(
            signing_cert=signing_cert,
            signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
            cert_registry=chain,
        )
        self._location = location or _organisation(material.signing_cert)
        # Done once per process, not per document: the container's constant parts, and the
        # room it needs in the file (pyHanko otherwise signs a dummy document to find out).
        self._template = CmsTemplate.from_signer(self._signer, material.signing_key)
        self._reserved = _room_for(len(self._template.container(bytes(32))))

    def _pdf_signer(self, location: str | None, at: datetime | None) -> signers.PdfSigner:
        meta = signers.PdfSignatureMetadata(
            field_name=FIELD_NAME,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            certify=True,
            # Any later revision, even an annotation, then breaks the document's status.
            docmdp_permissions=fields.MDPPerm.NO_CHANGES,
            reason=REASON,
            location=location or self._location,
            # No timestamp server and no OCSP/CRL fetch: signing must work offline.
            embed_validation_info=False,
            use_pades_lta=False,
        )
        if at is None:
            return signers.PdfSigner(meta, signer=self._signer)
        return _DatedPdfSigner(meta, signer=self._signer, at=at.astimezone(KST))

    def sign(self, pdf: bytes, *, location: str | None = None, at: datetime | None = None) -> bytes:
        """Returns ``pdf`` with an invisible certification signature appended, signed
        ``at`` (an aware time: the issuance's; the clock's when None)."""
        return run(self._sign(pdf, location, at))

    async def _sign(self, pdf: bytes, location: str | None, at: datetime | None) -> bytes:
        writer = _writer(pdf, at)
        # pyHanko's interrupted-signing API: it prepares the revision and the byte-range
        # digest; the container comes from the template (same structure, built once).
        prepared, _, output = await self._pdf_signer(location, at).async_digest_doc_for_signing(
            writer, bytes_reserved=self._reserved
        )
        container = self._template.container(prepared.document_digest)
        await PdfTBSDocument.async_finish_signing(output, prepared, container)
        return bytes(cast(io.BytesIO, output).getvalue())

    def sign_plainly(
        self, pdf: bytes, *, location: str | None = None, at: datetime | None = None
    ) -> bytes:
        """Returns ``pdf`` signed by pyHanko alone (size estimate and container per document).

        The same signature as :meth:`sign`, at the libraries' own cost: the benchmark's
        baseline and the tests' reference.
        """
        writer = _writer(pdf, at)
        out = self._pdf_signer(location, at).sign_pdf(writer, in_place=False)
        return bytes(out.getvalue())


def _room_for(container_size: int) -> int:
    """Returns the room to reserve for a container, in hex digits as pyHanko counts it: an
    ECDSA signature varies by a few bytes and an RSA one not at all, so 64 bytes suffice."""
    return 2 * (container_size + 64)
