"""`minwon keys init` and loading: permissions, refusal to overwrite, production layout."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from minwon.rendering.keys import (
    KeyPaths,
    KeysExist,
    KeysMissing,
    init_keys,
    load_keys,
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_creates_private_files_only_the_owner_can_read(tmp_path: Path) -> None:
    paths = init_keys(tmp_path / "keys")
    assert _mode(paths.directory) == 0o700
    for private in (paths.root_key, paths.signing_key, paths.token_key, paths.data_key):
        assert _mode(private) == 0o600
    assert _mode(paths.pepper) == 0o600
    assert len(paths.data_key.read_bytes()) == 32
    assert paths.data_key.read_bytes() != paths.pepper.read_bytes()


def test_init_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    paths = init_keys(tmp_path)
    before = paths.signing_cert.read_bytes()
    with pytest.raises(KeysExist):
        init_keys(tmp_path)
    assert paths.signing_cert.read_bytes() == before
    init_keys(tmp_path, force=True)
    assert paths.signing_cert.read_bytes() != before


def test_signing_certificate_is_issued_by_the_root(tmp_path: Path) -> None:
    material = load_keys(init_keys(tmp_path, organisation="전주시").directory)
    material.signing_cert.verify_directly_issued_by(material.root_cert)
    subject = material.signing_cert.subject.rfc4514_string()
    assert "전주시 민원문서 전자서명 (시연용)" in subject
    assert "C=KR" in subject
    assert "Minwon Demo Root CA" in material.root_cert.subject.rfc4514_string()


def test_load_works_without_the_root_key_as_in_production(tmp_path: Path) -> None:
    paths = init_keys(tmp_path)
    paths.root_key.unlink()
    material = load_keys(tmp_path)
    assert len(material.pepper) == 32


def test_missing_files_raise_a_korean_hint(tmp_path: Path) -> None:
    with pytest.raises(KeysMissing, match="minwon keys init") as caught:
        load_keys(tmp_path / "nowhere")
    assert KeyPaths.SIGNING_KEY in caught.value.missing
    assert isinstance(caught.value, ValueError)
