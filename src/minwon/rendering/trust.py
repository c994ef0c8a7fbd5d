"""The published trust bundle: what a verifier trusts, installed once, never fetched.

A bundle names the city's root certificate(s), which a document's PDF signature must chain
to, and the QR-token public keys with their ids and the periods they signed in. The city
publishes it (``minwon trust export``, ``GET /api/v1/trust-bundle``) and announces the
root's fingerprint through another channel; a verifier installs it once
(``minwon trust install``) after comparing that fingerprint. Verification then never
takes a key from the server it asks for a document's status: a look-alike server can
lie about a status, but cannot make a forged document's signature chain to the city.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from minwon.rendering.keys import KeyMaterial, KeyPaths
from minwon.rendering.token_keys import KeyringInvalid, TokenKeyring, keyring_for

FORMAT = "minwon-trust-bundle/1"


class BundleInvalid(ValueError):
    """A trust bundle that cannot be used; ``code`` is stable, the message Korean."""

    def __init__(self, code: str, detail_ko: str) -> None:
        super().__init__(detail_ko)
        self.code = code
        self.detail_ko = detail_ko


def fingerprint(cert: x509.Certificate) -> str:
    """Returns the SHA-256 fingerprint of a certificate as colon-separated hex pairs."""
    digest = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _normal(text: str) -> str:
    return text.replace(":", "").replace(" ", "").lower()


@dataclass(frozen=True, slots=True)
class TrustBundle:
    """Root certificates and token keys a verifier trusts."""

    issuer: str
    roots: tuple[x509.Certificate, ...]
    token_keys: TokenKeyring
    published_at: datetime

    @property
    def fingerprints(self) -> tuple[str, ...]:
        return tuple(fingerprint(root) for root in self.roots)

    def matches(self, expected: str) -> bool:
        """Whether ``expected`` (hex, colons optional) is one of the roots' fingerprints."""
        return _normal(expected) in {_normal(f) for f in self.fingerprints}

    def to_json(self) -> dict[str, Any]:
        pem = serialization.Encoding.PEM
        return {
            "format": FORMAT,
            "issuer": self.issuer,
            "published_at": self.published_at.isoformat(),
            "roots": [
                {
                    "subject": root.subject.rfc4514_string(),
                    "sha256": fingerprint(root),
                    "not_before": root.not_valid_before_utc.isoformat(),
                    "not_after": root.not_valid_after_utc.isoformat(),
                    "pem": root.public_bytes(pem).decode("ascii"),
                }
                for root in self.roots
            ],
            "token_keys": self.token_keys.to_json(),
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def loads(cls, text: str | bytes) -> TrustBundle:
        """Parses and checks a bundle; raises BundleInvalid with what is wrong."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise BundleInvalid("trust.unreadable", "신뢰 묶음이 JSON이 아닙니다.") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise BundleInvalid("trust.format", f"신뢰 묶음 형식이 아닙니다 ({FORMAT}).")
        roots = tuple(_root(item) for item in _list(data.get("roots"), "roots"))
        if not roots:
            raise BundleInvalid("trust.no_root", "신뢰 묶음에 루트 인증서가 없습니다.")
        try:
            keys = TokenKeyring.from_json(_list(data.get("token_keys"), "token_keys"))
            published = datetime.fromisoformat(str(data.get("published_at")))
        except (KeyringInvalid, ValueError) as exc:
            raise BundleInvalid(
                "trust.token_keys", f"토큰 키 목록이 잘못되었습니다: {exc}"
            ) from exc
        if not keys.keys:
            raise BundleInvalid("trust.no_token_key", "신뢰 묶음에 QR 토큰 키가 없습니다.")
        return cls(str(data.get("issuer", "")), roots, keys, published)


def _list(value: object, what: str) -> list[object]:
    if not isinstance(value, list):
        raise BundleInvalid("trust.format", f"신뢰 묶음의 {what} 항목이 목록이 아닙니다.")
    return value


def _root(item: object) -> x509.Certificate:
    if not isinstance(item, dict):
        raise BundleInvalid("trust.root", "루트 인증서 항목이 객체가 아닙니다.")
    try:
        cert = x509.load_pem_x509_certificate(str(item.get("pem", "")).encode("ascii"))
    except ValueError as exc:
        raise BundleInvalid("trust.root", "루트 인증서를 읽을 수 없습니다.") from exc
    if item.get("sha256") is not None and _normal(str(item["sha256"])) != _normal(
        fingerprint(cert)
    ):
        raise BundleInvalid("trust.root", "루트 인증서의 지문이 적힌 값과 다릅니다.")
    try:
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        raise BundleInvalid("trust.root", "루트 항목이 인증기관(CA) 인증서가 아닙니다.")
    return cert


def _issuer(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return str(names[0].value) if names else ""


def bundle_of(
    material: KeyMaterial, *, now: datetime, extra_roots: Iterable[x509.Certificate] = ()
) -> TrustBundle:
    """Returns the bundle a server publishes: its root(s) and every still-verifiable key."""
    return TrustBundle(
        issuer=_issuer(material.root_cert),
        roots=(material.root_cert, *extra_roots),
        token_keys=TokenKeyring(material.token_keyring.current(now)),
        published_at=now,
    )


def bundle_from_keys_dir(keys_dir: Path, *, now: datetime | None = None) -> TrustBundle:
    """Returns the bundle from a keys folder's public files only (no private key read)."""
    from cryptography.hazmat.primitives.asymmetric import ed25519

    paths = KeyPaths(keys_dir)
    missing = [p.name for p in (paths.root_cert, paths.token_public) if not p.is_file()]
    if missing:
        raise BundleInvalid("trust.keys_missing", f"키 폴더에 공개 파일이 없습니다: {missing}")
    root = x509.load_pem_x509_certificate(paths.root_cert.read_bytes())
    public = serialization.load_pem_public_key(paths.token_public.read_bytes())
    if not isinstance(public, ed25519.Ed25519PublicKey):
        raise BundleInvalid("trust.token_keys", f"{paths.TOKEN_PUBLIC}: Ed25519 공개키가 아닙니다.")
    moment = now or datetime.now(UTC)
    keyring = keyring_for(keys_dir, public, root.not_valid_before_utc)
    return TrustBundle(_issuer(root), (root,), TokenKeyring(keyring.current(moment)), moment)


def read_bundle(path: Path) -> TrustBundle:
    """Reads an installed or downloaded bundle file."""
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise BundleInvalid(
            "trust.not_installed",
            f"신뢰 묶음을 읽을 수 없습니다: {path}. `minwon trust install 파일`로 설치하세요.",
        ) from exc
    return TrustBundle.loads(text)


def install_bundle(source: Path, destination: Path, *, expected: str | None) -> TrustBundle:
    """Checks ``source`` and installs it at ``destination``; with ``expected``, only if a
    root's fingerprint is that one (the value the city announces elsewhere)."""
    bundle = read_bundle(source)
    if expected is not None and not bundle.matches(expected):
        raise BundleInvalid(
            "trust.fingerprint_mismatch",
            "루트 인증서 지문이 기대한 값과 다릅니다. 이 신뢰 묶음을 설치하지 않았습니다.",
        )
    destination.parent.mkdir(parents=True, exist_ok=True)
    temp = destination.with_suffix(".tmp")
    temp.write_text(bundle.dumps(), encoding="utf-8")
    temp.replace(destination)
    return bundle
