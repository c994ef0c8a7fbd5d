"""Checking for external programs: skip locally, fail in CI (CI=true) when one is missing."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

EXTRA_PATHS = ("/usr/lib/postgresql/15/bin", "/usr/sbin", str(Path(sys.executable).parent))


def find(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for directory in EXTRA_PATHS:
        candidate = Path(directory) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def require_binaries(*names: str) -> None:
    missing = [n for n in names if find(n) is None]
    if missing:
        unavailable(f"missing programs: {', '.join(missing)} (install with `make setup` as root)")


def unavailable(message: str) -> None:
    """Skips locally; in CI (CI=true) a missing dependency fails the run instead."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"in CI a missing dependency is a failure: {message}", pytrace=False)
    pytest.skip(f"{message}; in CI (CI=true) this fails instead")


def require_root(why: str) -> None:
    """Fails in CI, skips locally, unless this runs as root (namespaces, database user)."""
    if os.geteuid() != 0:
        unavailable(f"{why} need root")


def require(name: str) -> str:
    """Returns the path of program ``name``; skips locally, fails in CI, if it is missing."""
    require_binaries(name)
    path = find(name)
    assert path is not None
    return path
