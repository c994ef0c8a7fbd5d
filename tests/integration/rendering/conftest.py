"""Makes the shared example snapshots (tests/unit/rendering) importable from this suite."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from minwon.rendering.keys import KeyMaterial, init_keys, load_keys
from minwon.rendering.signing import PdfSigner

# Test folders here are not packages (two "rendering" packages would collide), so the
# snapshot helper is reached by path rather than by a dotted import.
_UNIT = Path(__file__).resolve().parents[2] / "unit" / "rendering"
if str(_UNIT) not in sys.path:
    sys.path.insert(0, str(_UNIT))


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> KeyMaterial:
    """A demo root CA, signing certificate and token key, made once per test module."""
    return load_keys(init_keys(tmp_path_factory.mktemp("keys")).directory)


@pytest.fixture(scope="module")
def signer(material: KeyMaterial) -> PdfSigner:
    return PdfSigner(material)
