"""Key material for signing documents: demo CA, signing certificate, QR-token key, vault secrets."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from minwon.rendering.token_keys import (
    TokenKey,
    TokenKeyring,
    key_id,
    keyring_for,
    raw_public_key,
    retire,
    write_manifest,
)

__all__ = ["KeyMaterial", "KeyPaths", "KeysExist", "KeysMissing", "key_id", "raw_public_key"]

# Adobe's "Authentic Documents" EKU: marks a certificate as meant for signing documents.
_EKU_DOCUMENT_SIGNING = x509.ObjectIdentifier("1.2.840.113583.1.1.5")

# A real CA may issue production certificates for RSA keys; init_keys makes EC P-256.
SigningKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


class KeysMissing(ValueError):
    """The keys directory lacks a file the service needs."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = tuple(missing)
        super().__init__(
            "서명 키가 없습니다. `minwon keys init`을 먼저 실행하세요. (없는 파일: "
            + ", ".join(missing)
            + ")"
        )


class KeysExist(ValueError):
    """init_keys refused to overwrite keys that are already there."""


@dataclass(frozen=True, slots=True)
class KeyPaths:
    """Where each key file lives inside a keys directory."""

    ROOT_CERT = "root-ca.pem"
    ROOT_KEY = "root-ca.key.pem"
    SIGNING_CERT = "signing.pem"
    SIGNING_KEY = "signing.key.pem"
    TOKEN_KEY = "token-ed25519.pem"
    TOKEN_PUBLIC = "token-ed25519.pub.pem"
    DATA_KEY = "data.key"
    PEPPER = "pepper.key"

    directory: Path

    @property
    def root_cert(self) -> Path:
        return self.directory / self.ROOT_CERT

    @property
    def root_key(self) -> Path:
        return self.directory / self.ROOT_KEY

    @property
    def signing_cert(self) -> Path:
        return self.directory / self.SIGNING_CERT

    @property
    def signing_key(self) -> Path:
        return self.directory / self.SIGNING_KEY

    @property
    def token_key(self) -> Path:
        return self.directory / self.TOKEN_KEY

    @property
    def token_public(self) -> Path:
        return self.directory / self.TOKEN_PUBLIC

    @property
    def data_key(self) -> Path:
        return self.directory / self.DATA_KEY

    @property
    def pepper(self) -> Path:
        return self.directory / self.PEPPER

    def required(self) -> tuple[Path, ...]:
        """Returns the files load_keys needs (the root CA key is not one of them)."""
        return (
            self.root_cert,
            self.signing_cert,
            self.signing_key,
            self.token_key,
            self.token_public,
            self.data_key,
            self.pepper,
        )


@dataclass(frozen=True)
class KeyMaterial:
    """Loaded keys; the root certificate is the trust anchor for verification."""

    signing_cert: x509.Certificate
    signing_key: SigningKey
    root_cert: x509.Certificate
    token_private: ed25519.Ed25519PrivateKey
    token_public: ed25519.Ed25519PublicKey
    data_key: bytes
    pepper: bytes
    # Every token key whose documents may still be verified, the active one included.
    token_keyring: TokenKeyring


def _write(path: Path, data: bytes, *, private: bool) -> None:
    # Create with the final mode so a private key is never world-readable, even briefly.
    mode = 0o600 if private else 0o644
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(path, mode)


def _pem_key(key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _root_ca(
    key: ec.EllipticCurvePrivateKey, organisation: str, now: dt.datetime
) -> x509.Certificate:
    name = _name("Minwon Demo Root CA", organisation)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )


def _signing_cert(
    key: ec.EllipticCurvePrivateKey,
    root: x509.Certificate,
    root_key: ec.EllipticCurvePrivateKey,
    organisation: str,
    now: dt.datetime,
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(_name(f"{organisation} 민원문서 전자서명 (시연용)", organisation))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([_EKU_DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )


def init_keys(keys_dir: Path, *, organisation: str = "전주시", force: bool = False) -> KeyPaths:
    """Creates a demo root CA, a signing certificate, a QR-token key and vault secrets."""
    paths = KeyPaths(keys_dir)
    existing = [p.name for p in (*paths.required(), paths.root_key) if p.exists()]
    if existing and not force:
        raise KeysExist(f"키가 이미 있습니다 (덮어쓰려면 --force): {', '.join(existing)}")
    keys_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(keys_dir, 0o700)
    now = dt.datetime.now(dt.UTC)

    root_key = ec.generate_private_key(ec.SECP256R1())
    root = _root_ca(root_key, organisation, now)
    signing_key = ec.generate_private_key(ec.SECP256R1())
    signing = _signing_cert(signing_key, root, root_key, organisation, now)
    token_key = ed25519.Ed25519PrivateKey.generate()

    _write(paths.root_key, _pem_key(root_key), private=True)
    _write(paths.root_cert, root.public_bytes(serialization.Encoding.PEM), private=False)
    _write(paths.signing_key, _pem_key(signing_key), private=True)
    _write(paths.signing_cert, signing.public_bytes(serialization.Encoding.PEM), private=False)
    _write_token_key(paths, token_key)
    write_manifest(keys_dir, TokenKeyring((TokenKey(token_key.public_key(), now),)))
    _write(paths.data_key, secrets.token_bytes(32), private=True)
    _write(paths.pepper, secrets.token_bytes(32), private=True)
    return paths


def _write_token_key(paths: KeyPaths, key: ed25519.Ed25519PrivateKey) -> None:
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _write(paths.token_key, _pem_key(key), private=True)
    _write(paths.token_public, public_pem, private=False)


def rotate_token_key(keys_dir: Path, *, window: dt.timedelta, now: dt.datetime) -> TokenKey:
    """Retires the active QR-token key and makes a new one; returns the new key.

    The retired key's public half stays in the keyring (and the published trust bundle)
    for ``window`` after ``now``, so the documents it signed can still be verified. The
    keyring is written before the key files; if a crash comes in between, load_keys
    refuses the folder and running this again completes the rotation.
    """
    paths = KeyPaths(keys_dir)
    material = load_keys(keys_dir, allow_interrupted_rotation=True)
    active = key_id(material.token_public)
    # An interrupted rotation left a listed key whose private half was never written.
    kept = TokenKeyring(
        tuple(k for k in material.token_keyring if k.retired_at is not None or k.kid == active)
    )
    new_key = ed25519.Ed25519PrivateKey.generate()
    retired = retire(kept, at=now, window=window)
    write_manifest(keys_dir, TokenKeyring((*retired.keys, TokenKey(new_key.public_key(), now))))
    _write_token_key(paths, new_key)
    return TokenKey(new_key.public_key(), now)


def _secret(path: Path) -> bytes:
    data = path.read_bytes()
    if len(data) != 32:
        raise ValueError(f"{path.name}: 32바이트 비밀값이어야 합니다 (현재 {len(data)}바이트).")
    return data


def load_keys(keys_dir: Path, *, allow_interrupted_rotation: bool = False) -> KeyMaterial:
    """Loads the keys from ``keys_dir``; raises KeysMissing when a file is absent."""
    paths = KeyPaths(keys_dir)
    missing = [p.name for p in paths.required() if not p.is_file()]
    if missing:
        raise KeysMissing(missing)
    signing_key = serialization.load_pem_private_key(paths.signing_key.read_bytes(), None)
    if not isinstance(signing_key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValueError(f"{paths.SIGNING_KEY}: EC 또는 RSA 개인키가 아닙니다.")
    token_key = serialization.load_pem_private_key(paths.token_key.read_bytes(), None)
    if not isinstance(token_key, ed25519.Ed25519PrivateKey):
        raise ValueError(f"{paths.TOKEN_KEY}: Ed25519 개인키가 아닙니다.")
    token_public = serialization.load_pem_public_key(paths.token_public.read_bytes())
    if not isinstance(token_public, ed25519.Ed25519PublicKey):
        raise ValueError(f"{paths.TOKEN_PUBLIC}: Ed25519 공개키가 아닙니다.")
    if key_id(token_key.public_key()) != key_id(token_public):
        raise ValueError(f"{paths.TOKEN_PUBLIC}: {paths.TOKEN_KEY}의 공개키가 아닙니다.")
    root = x509.load_pem_x509_certificate(paths.root_cert.read_bytes())
    return KeyMaterial(
        signing_cert=x509.load_pem_x509_certificate(paths.signing_cert.read_bytes()),
        signing_key=signing_key,
        root_cert=root,
        token_private=token_key,
        token_public=token_public,
        data_key=_secret(paths.data_key),
        pepper=_secret(paths.pepper),
        token_keyring=keyring_for(
            keys_dir,
            token_public,
            root.not_valid_before_utc,
            allow_interrupted_rotation=allow_interrupted_rotation,
        ),
    )
