"""What a release does on one app host (``minwon release host ...``, run over SSH).

A host keeps its builds under ``releases/<build id>/`` (``builds.prepare``: own code,
own venv, the host's installed libraries) and runs the one a symlink ``current`` points
at: the app's systemd unit starts ``current/venv/bin/python``. Installing a build leaves
the running one untouched; switching replaces the symlink in one rename, so a restart
starts either the old build or the new one, never a mix.
"""

from __future__ import annotations

import io
import os
import shutil
import tarfile
from pathlib import Path

from minwon.operations.release import builds
from minwon.operations.release.builds import Build, BuildError

MAX_TAR_BYTES = 64 * 1024 * 1024  # the package is about 2 MB


def pack(build_folder: Path) -> bytes:
    """Returns the build's code (``src/minwon``) as a tar stream for another host."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        tar.add(
            build_folder / "src" / builds.PACKAGE,
            arcname=f"src/{builds.PACKAGE}",
            filter=lambda info: None if "__pycache__" in info.name else info,
        )
    return out.getvalue()


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = []
    for info in tar.getmembers():
        parts = Path(info.name).parts
        inside = parts[:2] == ("src", builds.PACKAGE) or parts == ("src",)
        if info.name.startswith("/") or ".." in parts or not inside:
            raise BuildError(f"빌드 묶음에 허용되지 않는 경로가 있습니다: {info.name!r}")
        if not (info.isfile() or info.isdir()):
            raise BuildError(f"빌드 묶음에 파일·폴더가 아닌 항목이 있습니다: {info.name!r}")
        info.mode = 0o755 if info.isdir() else 0o644
        members.append(info)
    return members


def install(packed: bytes, releases: Path) -> Build:
    """Prepares the code in `packed` (``pack``) as a build under `releases`, beside
    whatever runs; returns it (the existing build if the same code is already there)."""
    if len(packed) > MAX_TAR_BYTES:
        raise BuildError(f"빌드 묶음이 너무 큽니다 ({len(packed)} 바이트).")
    releases = Path(releases).absolute()
    releases.mkdir(parents=True, exist_ok=True)
    incoming = releases / f".incoming.{os.getpid()}"
    shutil.rmtree(incoming, ignore_errors=True)
    try:
        with tarfile.open(fileobj=io.BytesIO(packed), mode="r:*") as tar:
            tar.extractall(incoming, members=_safe_members(tar))
        return builds.prepare(incoming, releases)
    except (tarfile.TarError, EOFError) as exc:
        raise BuildError(f"빌드 묶음을 풀 수 없습니다: {exc}") from exc
    finally:
        shutil.rmtree(incoming, ignore_errors=True)


def switch(build_id: str, releases: Path, current: Path) -> Build:
    """Points `current` at the installed build `build_id` (one rename); returns it."""
    if "/" in build_id or build_id.startswith("."):
        raise BuildError(f"빌드 이름이 올바르지 않습니다: {build_id!r}")
    folder = Path(releases).absolute() / build_id
    build = builds.load(folder)  # BuildError if it was never installed here
    link = Path(current)
    staged = link.with_name(f".{link.name}.{os.getpid()}")
    staged.unlink(missing_ok=True)
    staged.symlink_to(folder)
    os.replace(staged, link)
    return build


def current(current_link: Path) -> Build:
    """Returns the build `current` points at; BuildError if none."""
    link = Path(current_link)
    if not link.is_symlink():
        raise BuildError(f"{link}이(가) 빌드를 가리키지 않습니다 (아직 설치 전).")
    return builds.load(link.resolve())
