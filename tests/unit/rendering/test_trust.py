"""The trust bundle and token-key rotation, tried as a forger would."""

from __future__ import annotations

import base64
import json
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from minwon.rendering.keys import KeyPaths, init_keys, load_keys, rotate_token_key
from minwon.rendering.qr_token import (
    LEGACY_PREFIX,
    InvalidToken,
    TokenClaims,
    _b64encode,
    decode_token,
    encode_token,
)
from minwon.rendering.token_keys import MANIFEST, KeyringInvalid, key_id
from minwon.rendering.trust import (
    BundleInvalid,
    TrustBundle,
    bundle_from_keys_dir,
    bundle_of,
    install_bundle,
)

# Keys are made "now" by init_keys; documents are dated after that, rotation a day later.
NOW = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
WINDOW = timedelta(days=90)


def _claims(issued: datetime, number: str = "1234567890123452") -> TokenClaims:
    return TokenClaims(
        number=number, content_hash="ab" * 32, issued_at=issued, expires_at=issued + WINDOW
    )


@pytest.fixture
def keys_dir(tmp_path: Path) -> Path:
    return init_keys(tmp_path / "keys").directory


def test_bundle_round_trips_and_carries_no_secret(keys_dir: Path) -> None:
    bundle = bundle_of(load_keys(keys_dir), now=NOW)
    text = bundle.dumps()
    assert "PRIVATE" not in text
    for secret in ("data.key", "pepper"):
        assert secret not in text
    again = TrustBundle.loads(text)
    assert again.fingerprints == bundle.fingerprints
    assert [k.kid for k in again.token_keys] == [k.kid for k in bundle.token_keys]


def test_bundle_from_public_files_alone(keys_dir: Path) -> None:
    paths = KeyPaths(keys_dir)
    material = load_keys(keys_dir)
    for private in (paths.root_key, paths.signing_key, paths.token_key, paths.data_key):
        private.unlink()
    paths.pepper.unlink()
    bundle = bundle_from_keys_dir(keys_dir, now=NOW)
    token = encode_token(_claims(NOW), material.token_private)
    assert decode_token(token, bundle.token_keys).number == "1234567890123452"


def test_a_bundle_whose_key_id_was_edited_is_refused(keys_dir: Path) -> None:
    data = bundle_of(load_keys(keys_dir), now=NOW).to_json()
    data["token_keys"][0]["kid"] = "00" * 8
    with pytest.raises(BundleInvalid) as caught:
        TrustBundle.loads(json.dumps(data))
    assert caught.value.code == "trust.token_keys"


def test_a_bundle_whose_root_was_swapped_but_not_its_fingerprint_is_refused(
    keys_dir: Path, tmp_path: Path
) -> None:
    data = bundle_of(load_keys(keys_dir), now=NOW).to_json()
    other = bundle_of(load_keys(init_keys(tmp_path / "other").directory), now=NOW).to_json()
    data["roots"][0]["pem"] = other["roots"][0]["pem"]
    with pytest.raises(BundleInvalid, match="지문"):
        TrustBundle.loads(json.dumps(data))


def test_a_leaf_certificate_cannot_pose_as_a_root(keys_dir: Path) -> None:
    data = bundle_of(load_keys(keys_dir), now=NOW).to_json()
    data["roots"][0] = {"pem": KeyPaths(keys_dir).signing_cert.read_text()}
    with pytest.raises(BundleInvalid, match="CA"):
        TrustBundle.loads(json.dumps(data))


def test_install_checks_the_announced_fingerprint(keys_dir: Path, tmp_path: Path) -> None:
    published = tmp_path / "published.json"
    published.write_text(bundle_of(load_keys(keys_dir), now=NOW).dumps())
    target = tmp_path / "config" / "trust-bundle.json"
    with pytest.raises(BundleInvalid) as caught:
        install_bundle(published, target, expected="AA:" * 31 + "AA")
    assert caught.value.code == "trust.fingerprint_mismatch"
    assert not target.exists()
    announced = TrustBundle.loads(published.read_text()).fingerprints[0]
    installed = install_bundle(published, target, expected=announced.lower().replace(":", ""))
    assert TrustBundle.loads(target.read_text()).fingerprints == installed.fingerprints


def test_rotation_keeps_old_documents_verifiable(keys_dir: Path) -> None:
    old = load_keys(keys_dir)
    old_token = encode_token(_claims(NOW - timedelta(hours=3)), old.token_private)
    new_key = rotate_token_key(keys_dir, window=WINDOW, now=NOW)
    rotated = load_keys(keys_dir)
    assert rotated.token_public.public_bytes_raw() == new_key.public.public_bytes_raw()
    bundle = bundle_of(rotated, now=NOW + timedelta(days=1))
    assert len(bundle.token_keys.keys) == 2
    assert decode_token(old_token, bundle.token_keys).kid == old.token_keyring.keys[0].kid
    new_token = encode_token(_claims(NOW + timedelta(hours=1)), rotated.token_private)
    assert decode_token(new_token, bundle.token_keys).kid == new_key.kid


def test_a_retired_key_cannot_sign_documents_dated_after_its_retirement(
    keys_dir: Path,
) -> None:
    leaked = load_keys(keys_dir).token_private
    rotate_token_key(keys_dir, window=WINDOW, now=NOW)
    bundle = bundle_of(load_keys(keys_dir), now=NOW + timedelta(days=2))
    forged = encode_token(_claims(NOW + timedelta(days=1)), leaked)
    with pytest.raises(InvalidToken) as caught:
        decode_token(forged, bundle.token_keys)
    assert caught.value.code == "token.key_out_of_period"


def test_a_retired_key_leaves_the_bundle_when_its_documents_can_no_longer_be_verified(
    keys_dir: Path,
) -> None:
    old = load_keys(keys_dir)
    token = encode_token(_claims(NOW - timedelta(hours=1)), old.token_private)
    rotate_token_key(keys_dir, window=WINDOW, now=NOW)
    later = bundle_of(load_keys(keys_dir), now=NOW + WINDOW + timedelta(days=1))
    assert len(later.token_keys.keys) == 1
    with pytest.raises(InvalidToken) as caught:
        decode_token(token, later.token_keys)
    assert caught.value.code == "token.unknown_key"


def test_a_token_signed_by_an_unknown_key_names_the_problem(keys_dir: Path) -> None:
    bundle = bundle_of(load_keys(keys_dir), now=NOW)
    stranger = ed25519.Ed25519PrivateKey.generate()
    with pytest.raises(InvalidToken) as caught:
        decode_token(encode_token(_claims(NOW), stranger), bundle.token_keys)
    assert caught.value.code == "token.unknown_key"


def test_a_token_claiming_a_known_key_id_but_signed_by_another_fails(keys_dir: Path) -> None:
    material = load_keys(keys_dir)
    bundle = bundle_of(material, now=NOW)
    genuine = encode_token(_claims(NOW), material.token_private)
    stranger = ed25519.Ed25519PrivateKey.generate()
    raw = base64.urlsafe_b64decode(genuine[4:] + "==")
    body = bytearray(raw[:-64])
    body[-40] ^= 1  # change a digest byte, keep the genuine key id
    forged = "MW2." + _b64encode(bytes(body) + stranger.sign(bytes(body)))
    with pytest.raises(InvalidToken) as caught:
        decode_token(forged, bundle.token_keys)
    assert caught.value.code == "token.bad_signature"


def test_version_one_tokens_from_before_rotation_still_verify(keys_dir: Path) -> None:
    material = load_keys(keys_dir)
    issued = NOW - timedelta(hours=1)
    body = struct.pack(
        ">B7s32sII",
        1,
        int("1234567890123452").to_bytes(7, "big"),
        b"\xab" * 32,
        int(issued.timestamp()),
        int((issued + WINDOW).timestamp()),
    )
    legacy = LEGACY_PREFIX + _b64encode(body + material.token_private.sign(body))
    claims = decode_token(legacy, bundle_of(material, now=NOW).token_keys)
    assert claims.kid is None and claims.number == "1234567890123452"


def test_an_interrupted_rotation_is_refused_then_completed_by_running_it_again(
    keys_dir: Path,
) -> None:
    manifest = keys_dir / MANIFEST
    before = load_keys(keys_dir)
    rotate_token_key(keys_dir, window=WINDOW, now=NOW)
    rotated = json.loads(manifest.read_text())
    # Put the old key files back: the manifest names the new key, the old one still signs.
    paths = KeyPaths(keys_dir)
    from minwon.rendering.keys import _pem_key, _write_token_key

    _write_token_key(paths, before.token_private)
    assert _pem_key(before.token_private) == paths.token_key.read_bytes()
    assert rotated["keys"][0]["retired_at"] is not None
    with pytest.raises(KeyringInvalid, match="다시 실행"):
        load_keys(keys_dir)
    rotate_token_key(keys_dir, window=WINDOW, now=NOW + timedelta(minutes=1))
    material = load_keys(keys_dir)
    active = [k for k in material.token_keyring if k.retired_at is None]
    assert [k.kid for k in active] == [key_id(material.token_public)]
    assert len(material.token_keyring.keys) == 2  # the dangling half-made key is gone


def test_a_document_made_late_by_the_key_of_the_day_still_verifies(keys_dir: Path) -> None:
    # Its PDF was made at the first download, after a rotation: the new key signs a token
    # dated at the original issuance, which predates the key.
    issued = NOW - timedelta(hours=2)
    rotate_token_key(keys_dir, window=WINDOW, now=NOW)
    rotated = load_keys(keys_dir)
    late = encode_token(_claims(issued), rotated.token_private)
    claims = decode_token(late, bundle_of(rotated, now=NOW).token_keys)
    assert claims.issued_at == issued and claims.kid == key_id(rotated.token_public)
