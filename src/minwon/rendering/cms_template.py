"""A CMS SignedData whose constant parts are encoded once per key, not once per document.

pyHanko builds a PAdES signature container with asn1crypto, which re-encodes the signer's
certificates, identifier and attributes on every signature: ~7 ms of pure Python for a
container whose only changing parts are the document digest and the raw signature. Here
pyHanko builds that container once, for a marker digest; each document then needs one
DER splice for its digest, one raw signature over the signed attributes (the key does
that, as pyHanko would) and a few length prefixes. Validators see the same structure
pyHanko makes: a test compares both, field by field.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from asn1crypto import cms
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyhanko.sign import signers

from minwon.rendering.coroutines import run
from minwon.rendering.keys import SigningKey

DIGEST_ALGORITHM = "sha256"
# A digest no real document has: it marks where each document's digest goes.
_MARKER = hashlib.sha256(b"minwon:cms-template:message-digest-marker").digest()


class TemplateMismatch(RuntimeError):
    """pyHanko produced a container this template cannot reproduce (a changed setup)."""


def _raw_signer(key: SigningKey, algorithm: str) -> Callable[[bytes], bytes]:
    """Returns a function making the raw signature pyHanko's signer would make."""
    if isinstance(key, ec.EllipticCurvePrivateKey) and algorithm == "sha256_ecdsa":
        mechanism = ec.ECDSA(hashes.SHA256())
        return lambda data: key.sign(data, mechanism)
    if isinstance(key, rsa.RSAPrivateKey) and algorithm in ("sha256_rsa", "rsassa_pkcs1v15"):
        return lambda data: key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    raise TemplateMismatch(f"unsupported signature mechanism {algorithm}")


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _length(len(content)) + content


_SEQUENCE, _SET, _OCTET_STRING, _CONTEXT_0 = 0x30, 0x31, 0x04, 0xA0


@dataclass(frozen=True, slots=True)
class CmsTemplate:
    """DER pieces of a PAdES CMS container that do not change between documents."""

    content_type: bytes  # the signedData OID, DER
    signed_data_head: bytes  # version, digest algorithms, encapsulated content, certificates
    signer_info_head: bytes  # version, signer identifier, digest algorithm
    attrs_before_digest: bytes  # signed attributes content up to the digest's octets
    attrs_after_digest: bytes  # the rest of the signed attributes content
    signature_algorithm: bytes
    raw_sign: Callable[[bytes], bytes]

    @classmethod
    def from_signer(cls, signer: signers.Signer, key: SigningKey) -> CmsTemplate:
        """Returns the template of what ``signer`` makes for PAdES signatures with ``key``
        (the same key as the signer's, already loaded: loading it is not per-document work)."""
        made = run(signer.async_sign(_MARKER, DIGEST_ALGORITHM, use_pades=True))
        signed_data = made["content"]
        infos = signed_data["signer_infos"]
        if len(infos) != 1 or infos[0]["unsigned_attrs"].native:
            raise TemplateMismatch("expected one signer without unsigned attributes")
        info = infos[0]
        # The attributes' content octets are the same under [0] IMPLICIT and under SET.
        content = info["signed_attrs"].contents
        if content.count(_MARKER) != 1:
            raise TemplateMismatch("the message digest must occur exactly once")
        before, after = content.split(_MARKER)
        head = b"".join(
            signed_data[name].dump()
            for name in ("version", "digest_algorithms", "encap_content_info", "certificates")
        )
        return cls(
            content_type=made["content_type"].dump(),
            signed_data_head=head,
            signer_info_head=b"".join(
                info[name].dump() for name in ("version", "sid", "digest_algorithm")
            ),
            attrs_before_digest=before,
            attrs_after_digest=after,
            signature_algorithm=info["signature_algorithm"].dump(),
            raw_sign=_raw_signer(key, info["signature_algorithm"]["algorithm"].native),
        )

    def signed_attributes(self, digest: bytes) -> bytes:
        """Returns the DER SET OF signed attributes for a document ``digest`` (what is signed)."""
        if len(digest) != len(_MARKER):
            raise ValueError("digest must be SHA-256")
        return _tlv(_SET, self.attrs_before_digest + digest + self.attrs_after_digest)

    def container(self, digest: bytes) -> bytes:
        """Returns the DER ContentInfo (SignedData) signing the document ``digest``."""
        attrs = self.signed_attributes(digest)
        signature = self.raw_sign(attrs)
        # In SignerInfo the attributes carry [0] IMPLICIT instead of the SET tag they are
        # signed under (RFC 5652 §5.4).
        signer_info = _tlv(
            _SEQUENCE,
            self.signer_info_head
            + bytes([_CONTEXT_0])
            + attrs[1:]
            + self.signature_algorithm
            + _tlv(_OCTET_STRING, signature),
        )
        signed_data = _tlv(_SEQUENCE, self.signed_data_head + _tlv(_SET, signer_info))
        return _tlv(_SEQUENCE, self.content_type + _tlv(_CONTEXT_0, signed_data))

    def parsed(self, digest: bytes) -> cms.ContentInfo:
        """Returns :meth:`container` parsed by asn1crypto (for checks and tests)."""
        return cms.ContentInfo.load(self.container(digest))
