"""Turns an issuance record into its signed PDF: token, QR, page, PAdES signature."""

from __future__ import annotations

import threading

from minwon.catalog.loader import Catalog
from minwon.issuance.records import IssuanceRecord, public_digest
from minwon.rendering.keys import KeyMaterial
from minwon.rendering.pdf import render_pdf
from minwon.rendering.qr_token import TokenClaims, encode_token, qr_url
from minwon.rendering.signing import PdfSigner


class DocumentRenderer:
    """Renders from the frozen snapshot only, never from live registry rows."""

    def __init__(
        self,
        *,
        keys: KeyMaterial,
        catalog: Catalog,
        public_base_url: str,
        digest_key: bytes,
        office_seal: bytes | None = None,
    ) -> None:
        """``office_seal``: the city's 직인 as a checked PNG (rendering.seals); None prints
        one drawn from each office head's title."""
        self._keys = keys
        self._office_seal = office_seal
        self._digest_key = digest_key
        self._catalog = catalog
        self._base_url = public_base_url.rstrip("/")
        self._signer = PdfSigner(keys)
        # Rendering is pure-Python CPU work, so a process's threads can only take turns at
        # it. One render at a time per process: other requests' short turns (lookups, and
        # transactions that hold SQLite's write lock) then wait behind one render, not four.
        self._slot = threading.Lock()

    def token_for(self, record: IssuanceRecord) -> str:
        """Returns the compact signed token the QR code carries."""
        claims = TokenClaims(
            number=record.number,
            content_hash=public_digest(self._digest_key, record.content_hash),
            issued_at=record.issued_at,
            expires_at=record.expires_at,
        )
        return encode_token(claims, self._keys.token_private)

    def pdf_for(self, record: IssuanceRecord) -> bytes:
        """Returns the signed PDF of an issuance, dated and signed at its ``issued_at``.

        Made once per issuance (issuance/documents.py stores it; downloads return those
        bytes): a signature has random parts, so two calls never give the same bytes."""
        document = self._catalog.get(record.document_type)
        if document is None:
            raise LookupError(record.document_type)
        token = self.token_for(record)
        with self._slot:
            unsigned = render_pdf(
                record.snapshot_data(),
                template=document.template,
                qr_text=qr_url(self._base_url, token),
                token=token,
                template_dir=self._catalog.templates,
                issued_at=record.issued_at,
                seal=self._office_seal,
            )
            return self._signer.sign(unsigned, at=record.issued_at)
