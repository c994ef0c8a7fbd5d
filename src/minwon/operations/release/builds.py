"""Builds: a Minwon version installed beside the running one, never over it.

A build is a folder ``<releases>/<id>/`` with its own copy of the ``minwon`` package
(``src/``) and its own virtual environment (``venv/``) whose Python finds that copy first
and the third-party libraries of the environment that prepared it second (a ``.pth``
file: the libraries are shared read-only, the code never is). Its id is the version and a
digest of its code, so two builds of the same version number with different code differ.
Preparing a build touches nothing that runs; starting an instance from it is the fleet's
job (``operations/cluster/fleet.py``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "minwon"
BUILD_FILE = "build.json"
_VERSION = re.compile(r'^__version__\s*=\s*"([^"]+)"', re.MULTILINE)


class BuildError(Exception):
    """A source tree cannot be made into a build; the message says why, in Korean."""


@dataclass(frozen=True)
class Build:
    """One build: its id, version, code digest, and the Python that runs its code."""

    id: str
    version: str
    digest: str
    python: str

    def to_dict(self) -> dict[str, str]:
        """Returns the build as JSON-ready values (``build.json``)."""
        return {"id": self.id, "version": self.version, "digest": self.digest}


def package_dir(source: Path) -> Path:
    """Returns the ``minwon`` package inside `source` (a checkout, or its ``src``)."""
    for candidate in (source / "src" / PACKAGE, source / PACKAGE):
        if (candidate / "__init__.py").is_file():
            return candidate
    raise BuildError(f"{source}에 minwon 패키지(src/minwon)가 없습니다.")


def code_digest(package: Path) -> str:
    """Returns a SHA-256 over every file of the package (paths and contents), caches
    left out: the same code gives the same digest wherever it lies."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def version_of(package: Path) -> str:
    """Returns ``__version__`` of the package; BuildError if it has none."""
    found = _VERSION.search((package / "__init__.py").read_text(encoding="utf-8"))
    if found is None:
        raise BuildError(f"{package}/__init__.py에 __version__이 없습니다.")
    return found.group(1)


def prepare(source: Path, releases: Path, *, python: str = sys.executable) -> Build:
    """Installs the code in `source` as a build under `releases` and checks that its
    Python imports that code; returns the existing build if the same code is there."""
    package = package_dir(Path(source))
    version, digest = version_of(package), code_digest(package)
    build_id = f"{version}+{digest[:10]}"
    folder = Path(releases).absolute() / build_id
    build = Build(build_id, version, digest, python_of(folder))
    if (folder / BUILD_FILE).is_file():
        check(build)
        return build
    staging = folder.with_name(f".{build_id}.{os.getpid()}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        shutil.copytree(
            package, staging / "src" / PACKAGE, ignore=shutil.ignore_patterns("__pycache__")
        )
        _make_venv(staging, python, final=folder)
        if code_digest(staging / "src" / PACKAGE) != digest:
            raise BuildError("복사한 코드가 원본과 다릅니다 (복사 중에 바뀌었습니다).")
        (staging / BUILD_FILE).write_text(json.dumps(build.to_dict(), indent=2))
        staging.rename(folder)  # a build appears whole or not at all
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    check(build)
    return build


def _make_venv(folder: Path, python: str, *, final: Path) -> None:
    venv = folder / "venv"
    subprocess.run(
        [python, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True
    )
    ask = "import sysconfig; print(sysconfig.get_path('purelib'))"
    site = subprocess.run(
        [str(venv / "bin" / "python"), "-c", ask], check=True, capture_output=True, text=True
    ).stdout.strip()
    # The build's own code first (where it will lie once staging is renamed), then the
    # third-party libraries of the environment preparing it. A path line goes last in
    # sys.path; an import line can put the build's code first.
    first = f"import sys; sys.path.insert(0, {str(final / 'src')!r})"
    libraries = sysconfig.get_path("purelib")
    Path(site, "minwon-build.pth").write_text(f"{first}\n{libraries}\n")


def check(build: Build) -> None:
    """Runs the build's Python once: it must import the build's own code and report the
    build's version; BuildError with what it printed otherwise."""
    done = subprocess.run(
        [build.python, "-c", f"import {PACKAGE} as m; print(m.__version__); print(m.__file__)"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    lines = done.stdout.split()
    folder = folder_of(build.python)
    expected = str(folder / "src" / PACKAGE / "__init__.py")
    if done.returncode != 0 or lines != [build.version, expected]:
        raise BuildError(
            f"빌드 {build.id}가 자기 코드를 불러오지 못합니다: {done.stdout}{done.stderr}".strip()
        )


def python_of(folder: Path) -> str:
    """Returns the Python of the build prepared in `folder` (its own venv)."""
    return str(folder / "venv" / "bin" / "python")


def folder_of(python: str) -> Path:
    """Returns the build folder whose Python is `python` (``python_of`` backwards)."""
    return Path(python).parents[2]


def load(folder: Path) -> Build:
    """Returns the build prepared in `folder`; BuildError if there is none."""
    try:
        data = json.loads((Path(folder) / BUILD_FILE).read_text())
        python = python_of(Path(folder).absolute())
        return Build(str(data["id"]), str(data["version"]), str(data["digest"]), python)
    except (OSError, ValueError, KeyError) as exc:
        raise BuildError(f"{folder}에 준비된 빌드가 없습니다: {exc}") from exc


def running(python: str = sys.executable) -> Build:
    """Returns the code this process runs, as a build run by `python`."""
    package = Path(__file__).resolve().parents[2]
    digest = code_digest(package)
    version = version_of(package)
    return Build(f"{version}+{digest[:10]}", version, digest, python)
