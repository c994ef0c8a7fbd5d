"""The CMS template makes, per document, the container pyHanko itself would make."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
from dataclasses import replace
from pathlib import Path

import pytest
from asn1crypto import cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from pyhanko.sign import signers

from minwon.rendering.cms_template import CmsTemplate, TemplateMismatch
from minwon.rendering.keys import KeyMaterial, init_keys, load_keys
from minwon.rendering.signing import PdfSigner

DIGEST = hashlib.sha256(b"a document's byte ranges").digest()


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> KeyMaterial:
    return load_keys(init_keys(tmp_path_factory.mktemp("keys")).directory)


def _rsa_material(material: KeyMaterial) -> KeyMaterial:
    """The same layout with an RSA signing key, as a real CA may issue for production."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "RSA 서명 (시험용)")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return replace(material, signing_key=key, signing_cert=cert, root_cert=cert)


def _pyhanko_signer(material: KeyMaterial) -> signers.Signer:
    return PdfSigner(material)._signer


def _without_signature(container: cms.ContentInfo) -> dict[str, object]:
    native = container.native
    info = native["content"]["signer_infos"][0]
    info.pop("signature")
    return dict(native)


@pytest.mark.parametrize("kind", ["ec", "rsa"])
def test_template_container_equals_pyhankos_own_but_for_the_signature_value(
    material: KeyMaterial, kind: str
) -> None:
    material = material if kind == "ec" else _rsa_material(material)
    signer = _pyhanko_signer(material)
    template = CmsTemplate.from_signer(signer, material.signing_key)
    theirs = asyncio.run(signer.async_sign(DIGEST, "sha256", use_pades=True))
    ours = template.parsed(DIGEST)
    assert _without_signature(ours) == _without_signature(theirs)
    # Byte for byte too, once the (randomised or key-dependent) signature is set aside.
    assert ours["content"]["certificates"].dump() == theirs["content"]["certificates"].dump()


@pytest.mark.parametrize("kind", ["ec", "rsa"])
def test_signature_verifies_over_the_signed_attributes_with_the_certificate_key(
    material: KeyMaterial, kind: str
) -> None:
    material = material if kind == "ec" else _rsa_material(material)
    template = CmsTemplate.from_signer(_pyhanko_signer(material), material.signing_key)
    info = template.parsed(DIGEST)["content"]["signer_infos"][0]
    signed = info["signed_attrs"].untag().dump(force=True)
    assert signed == template.signed_attributes(DIGEST)
    public = material.signing_cert.public_key()
    signature = info["signature"].native
    if isinstance(public, ec.EllipticCurvePublicKey):
        public.verify(signature, signed, ec.ECDSA(hashes.SHA256()))
        with pytest.raises(InvalidSignature):
            public.verify(
                signature, template.signed_attributes(bytes(32)), ec.ECDSA(hashes.SHA256())
            )
    else:
        assert isinstance(public, rsa.RSAPublicKey)
        public.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())


def test_message_digest_attribute_carries_each_documents_digest(material: KeyMaterial) -> None:
    template = CmsTemplate.from_signer(_pyhanko_signer(material), material.signing_key)
    for digest in (DIGEST, bytes(32), b"\xff" * 32):
        attrs = template.parsed(digest)["content"]["signer_infos"][0]["signed_attrs"].native
        found = {a["type"]: a["values"] for a in attrs}
        assert found["message_digest"] == [digest]


def test_a_digest_of_another_length_is_refused(material: KeyMaterial) -> None:
    template = CmsTemplate.from_signer(_pyhanko_signer(material), material.signing_key)
    with pytest.raises(ValueError):
        template.container(b"short")


def test_a_key_that_does_not_match_the_mechanism_is_refused(material: KeyMaterial) -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(TemplateMismatch):
        CmsTemplate.from_signer(_pyhanko_signer(material), rsa_key)


def test_fast_and_plain_signing_produce_the_same_signed_revision_shape(
    material: KeyMaterial, tmp_path: Path
) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from rendering_snapshots import example_snapshot

    from minwon.rendering.pdf import render_pdf

    pdf = render_pdf(
        example_snapshot("deungbon"), template="deungbon.yaml.j2", qr_text="x", token="MW1.x"
    )
    signer = PdfSigner(material)
    for signed in (signer.sign(pdf), signer.sign_plainly(pdf)):
        reader = PdfFileReader(io.BytesIO(signed))
        (field,) = reader.embedded_signatures
        assert field.field_name == "MinwonSignature"
        assert field.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
        assert "/Perms" in reader.root  # a certification (DocMDP) signature
