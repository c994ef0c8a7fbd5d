"""MINWON_OFFICE_SEAL_IMAGE: a PNG that opens, or the start stops naming the variable."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from minwon.bootstrap import bootstrap
from minwon.config import Settings, SettingsError
from minwon.rendering.seals import MAX_SEAL_PX

VARIABLE = "MINWON_OFFICE_SEAL_IMAGE"


def _png(path: Path, size: tuple[int, int] = (96, 96)) -> Path:
    Image.new("RGBA", size, (180, 20, 20, 255)).save(path, format="PNG")
    return path


def test_unset_or_empty_means_the_drawn_seal(tmp_path: Path) -> None:
    assert Settings.from_env({}, data_dir=tmp_path).office_seal_image is None
    assert Settings.from_env({VARIABLE: ""}, data_dir=tmp_path).office_seal_image is None
    assert bootstrap(Settings.from_env({}, data_dir=tmp_path)).office_seal is None


def test_a_png_is_read_and_handed_to_the_renderer(tmp_path: Path) -> None:
    path = _png(tmp_path / "seal.png")
    settings = Settings.from_env({VARIABLE: str(path)}, data_dir=tmp_path)
    assert settings.office_seal_image == path.resolve()
    assert bootstrap(settings).office_seal == path.read_bytes()


def test_a_large_png_reaches_documents_scaled_down(tmp_path: Path) -> None:
    path = _png(tmp_path / "scan.png", (2000, 2000))
    seal = bootstrap(Settings.from_env({VARIABLE: str(path)}, data_dir=tmp_path)).office_seal
    assert seal is not None
    with Image.open(io.BytesIO(seal)) as image:
        assert image.size == (MAX_SEAL_PX, MAX_SEAL_PX)


def _bad_files(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "folder").mkdir()
    (tmp_path / "notes.png").write_text("직인 파일이 아닙니다")
    jpeg = tmp_path / "seal.jpg"
    Image.new("RGB", (64, 64), (200, 0, 0)).save(jpeg, format="JPEG")
    cut = tmp_path / "cut.png"
    cut.write_bytes(_png(tmp_path / "whole.png").read_bytes()[:60])
    return {
        "missing": tmp_path / "nowhere.png",
        "folder": tmp_path / "folder",
        "text": tmp_path / "notes.png",
        "jpeg": jpeg,
        "truncated": cut,
        # Unreadable for anyone, root included (a mode-000 file is not, for root).
        "unreadable": tmp_path / "notes.png" / "seal.png",
    }


@pytest.mark.parametrize("kind", ["missing", "folder", "text", "jpeg", "truncated", "unreadable"])
def test_a_bad_image_stops_the_start_naming_the_variable(tmp_path: Path, kind: str) -> None:
    path = _bad_files(tmp_path)[kind]
    with pytest.raises(SettingsError) as err:
        Settings.from_env({VARIABLE: str(path)}, data_dir=tmp_path)
    assert err.value.code == "settings.invalid"
    assert VARIABLE in err.value.detail and err.value.extra["variable"] == VARIABLE


def test_an_image_gone_bad_after_the_settings_were_read_still_stops_bootstrap(
    tmp_path: Path,
) -> None:
    path = _png(tmp_path / "seal.png")
    settings = Settings.from_env({VARIABLE: str(path)}, data_dir=tmp_path)
    path.write_bytes(b"overwritten")
    with pytest.raises(SettingsError) as err:
        bootstrap(settings)
    assert err.value.code == "settings.invalid" and err.value.extra["variable"] == VARIABLE
