"""The inspection's host port: disks, fonts, the catalog and key material, from files.

Certificates and keys are read with ``cryptography``; a private key is checked to be the
certificate's (same public key) and readable by its owner only; the signing certificate
is checked to be issued by the root (its signature verified, not just the names).
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from minwon.catalog.loader import load_catalog
from minwon.operations.inspection.ports import CertFacts, DiskUsage, FontFacts
from minwon.rendering.keys import KeyPaths

# The first bytes of a TrueType/OpenType font or collection.
FONT_MAGIC = (b"\x00\x01\x00\x00", b"true", b"OTTO", b"ttcf")


def _public(obj: object) -> bytes:
    key = obj.public_key()  # type: ignore[attr-defined]
    return bytes(
        key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def read_certificate(role: str, cert_path: Path, key_path: Path | None) -> CertFacts:
    """Returns what `cert_path` (PEM) and its private key at `key_path` say; raises
    OSError or ValueError when the certificate cannot be read."""
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    present = key_path is not None and key_path.is_file()
    matches = private = False
    problems: list[str] = []
    if key_path is not None and present:
        private = os.stat(key_path).st_mode & 0o077 == 0
        try:
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            matches = _public(key) == _public(cert)
        except (ValueError, TypeError) as exc:
            problems.append(f"개인키를 읽을 수 없음 ({type(exc).__name__})")
    return CertFacts(
        role=role,
        path=str(cert_path),
        subject=cert.subject.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        key_path=str(key_path) if key_path is not None else None,
        key_present=present,
        key_matches=matches,
        key_private=private,
        problems=tuple(problems),
    )


def _issued_by(child: Path, parent: Path) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(child.read_bytes())
        issuer = x509.load_pem_x509_certificate(parent.read_bytes())
        cert.verify_directly_issued_by(issuer)
        return True
    except Exception:  # unreadable, another key type, or InvalidSignature
        return False


class HostFiles:
    """HostView over this machine's files: `roots` are the folders whose file systems are
    checked (role -> path), `keys_dir` the signing material, `catalog_dir` the catalog."""

    def __init__(
        self, *, roots: dict[str, str], keys_dir: Path | None, catalog_dir: Path | None
    ) -> None:
        self.roots = roots
        self.keys_dir = keys_dir
        self.catalog_dir = catalog_dir

    def disks(self) -> tuple[DiskUsage, ...]:
        """Returns one reading per file system among the roots (the first role names it)."""
        seen: dict[int, DiskUsage] = {}
        for role, path in self.roots.items():
            if not path or not os.path.exists(path):
                continue
            device = os.stat(path).st_dev
            if device in seen:
                continue
            st = os.statvfs(path)
            free = 100.0 * st.f_bavail / st.f_blocks if st.f_blocks else 0.0
            inodes = 100.0 * st.f_favail / st.f_files if st.f_files else None
            seen[device] = DiskUsage(path, role, free, inodes, st.f_bavail * st.f_frsize)
        return tuple(seen.values())

    def fonts(self, paths: tuple[str, ...]) -> tuple[FontFacts, ...]:
        """Returns each font file: there, readable, and a TrueType/OpenType font."""
        found = []
        for path in paths:
            try:
                with open(path, "rb") as fh:
                    head = fh.read(4)
                good = head in FONT_MAGIC
                found.append(FontFacts(path, good, "" if good else "글꼴 파일이 아님"))
            except OSError as exc:
                found.append(FontFacts(path, False, exc.strerror or type(exc).__name__))
        return tuple(found)

    def catalog(self) -> int:
        """Returns the number of document types; raises CatalogError (a ValueError)."""
        return len(load_catalog(self.catalog_dir).all())

    def signing_material(self) -> tuple[CertFacts, ...] | None:
        """Returns the root and signing certificates with their keys (None: no folder)."""
        if self.keys_dir is None or not self.keys_dir.is_dir():
            return None
        paths = KeyPaths(self.keys_dir)
        found = []
        for role, cert, key in (
            ("root", paths.root_cert, paths.root_key),
            ("signing", paths.signing_cert, paths.signing_key),
        ):
            if not cert.is_file():
                continue
            facts = read_certificate(role, cert, key)
            if role == "signing" and not _issued_by(cert, paths.root_cert):
                facts = _with_problem(facts, "루트 인증서가 서명한 인증서가 아님")
            found.append(facts)
        return tuple(found)

    def tls(self, paths: tuple[str, ...]) -> tuple[CertFacts, ...]:
        """Returns each TLS certificate; an entry ``CERT:KEY`` names its key as well."""
        return tuple(_tls_one(entry) for entry in paths)


def _with_problem(facts: CertFacts, problem: str) -> CertFacts:
    return replace(facts, problems=(*facts.problems, problem))


def _tls_one(entry: str) -> CertFacts:
    cert, _, key = entry.partition(":")
    return read_certificate(f"TLS {Path(cert).name}", Path(cert), Path(key) if key else None)
