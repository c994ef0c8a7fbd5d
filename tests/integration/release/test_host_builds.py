"""What ``minwon release host`` does on an app host, on real files: a build arrives as a
tar stream and is prepared beside the running one; ``current`` switches in one rename;
a stream that tries to write outside its folder, or to smuggle a link, is refused."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from minwon.operations.cluster.releasing import RUNNING_SOURCE
from minwon.operations.release import builds, host_side
from minwon.operations.release.builds import BuildError, package_dir


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> tuple[builds.Build, bytes]:
    """A build prepared on the operator's machine, packed as the release ships it."""
    here = builds.prepare(RUNNING_SOURCE, tmp_path_factory.mktemp("operator"))
    return here, host_side.pack(builds.folder_of(here.python))


def test_a_shipped_build_is_installed_beside_the_running_one(
    shipped: tuple[builds.Build, bytes], tmp_path: Path
) -> None:
    here, packed = shipped
    releases, link = tmp_path / "releases", tmp_path / "current"
    running = releases / "0.0.9+running"
    running.mkdir(parents=True)
    (running / "marker").write_text("untouched")
    there = host_side.install(packed, releases)
    assert (there.id, there.digest) == (here.id, here.digest)
    assert there.python == str(releases / here.id / "venv" / "bin" / "python")
    assert (running / "marker").read_text() == "untouched"
    assert [p.name for p in releases.iterdir() if p.name.startswith(".")] == []
    assert host_side.install(packed, releases) == there  # again: the same build, nothing new
    assert host_side.switch(there.id, releases, link) == there
    assert link.is_symlink() and host_side.current(link) == there
    done = subprocess.run(
        [str(link / "venv" / "bin" / "python"), "-c", "import minwon; print(minwon.__file__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == str(releases / there.id / "src" / "minwon" / "__init__.py")


def _tar(*members: tuple[tarfile.TarInfo, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for info, data in members:
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return out.getvalue()


def _file(name: str) -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), b'__version__ = "6.6.6"\n'


def _link(name: str, target: str) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    return info, b""


@pytest.mark.parametrize(
    ("members", "why"),
    [
        ((_file("src/minwon/../../../evil.py"),), "허용되지 않는 경로"),
        ((_file("/etc/cron.d/minwon"),), "허용되지 않는 경로"),
        ((_file("venv/bin/python"),), "허용되지 않는 경로"),
        ((_link("src/minwon/__init__.py", "/etc/shadow"),), "파일·폴더가 아닌"),
        ((), "minwon 패키지"),
    ],
)
def test_a_stream_that_reaches_outside_its_folder_is_refused_and_leaves_nothing(
    members: tuple[tuple[tarfile.TarInfo, bytes], ...], why: str, tmp_path: Path
) -> None:
    releases = tmp_path / "releases"
    with pytest.raises(BuildError, match=why):
        host_side.install(_tar(*members), releases)
    assert list(releases.iterdir()) == []
    assert not (tmp_path / "evil.py").exists()


def test_garbage_and_a_missing_build_are_plain_errors(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="풀 수 없습니다"):
        host_side.install(b"not a tar stream", tmp_path / "releases")
    with pytest.raises(BuildError, match="빌드 이름"):
        host_side.switch("../x", tmp_path, tmp_path / "current")
    with pytest.raises(BuildError, match="준비된 빌드가 없습니다"):
        host_side.switch("0.1.0+0123456789", tmp_path, tmp_path / "current")
    assert not (tmp_path / "current").exists()
    with pytest.raises(BuildError, match="가리키지 않습니다"):
        host_side.current(tmp_path / "current")


def test_the_cli_installs_from_standard_input_and_says_the_build_as_json(
    shipped: tuple[builds.Build, bytes], tmp_path: Path
) -> None:
    here, packed = shipped
    argv = [sys.executable, "-m", "minwon.cli.main", "release", "host"]
    done = subprocess.run(
        [*argv, "install", "--releases", str(tmp_path / "r")],
        input=packed,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert b'"id": "' + here.id.encode() + b'"' in done.stdout
    refused = subprocess.run(
        [*argv, "install", "--releases", str(tmp_path / "r")],
        input=b"junk",
        capture_output=True,
        check=False,
    )
    assert refused.returncode == 2
    assert "release.install_failed" in refused.stderr.decode()
    assert "Traceback" not in refused.stderr.decode()


def test_pack_carries_only_the_package_without_caches(tmp_path: Path) -> None:
    folder = tmp_path / "b"
    shutil.copytree(package_dir(RUNNING_SOURCE), folder / "src" / "minwon")
    (folder / "src" / "minwon" / "__pycache__").mkdir(exist_ok=True)
    (folder / "src" / "minwon" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    with tarfile.open(fileobj=io.BytesIO(host_side.pack(folder))) as tar:
        names = tar.getnames()
    assert names and all(n.startswith("src/minwon") for n in names)
    assert not any("__pycache__" in n for n in names)
