"""What the local launcher needs from this machine: programs, free ports, folders.

Programs are looked up once (etcd, haproxy, patroni, PostgreSQL's bin directory); ports
are free ones on 127.0.0.1, never a service's default; folders are made so that the
unprivileged database user can reach exactly what it must.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from minwon.operations.cluster.errors import MissingBinaryError
from minwon.operations.local_postgres import PostgresNotFoundError, find_pg_bindir
from minwon.operations.processes import OsUser, free_port

DEFAULT_PORTS = frozenset({2379, 2380, 5000, 5432, 7000, 8000, 8008})


def find_binaries() -> dict[str, str]:
    """Returns the paths of etcd, haproxy, patroni and the PostgreSQL bin directory.

    Raises MissingBinaryError naming every one that is missing and how to install it.
    """
    found: dict[str, str] = {}
    missing: list[str] = []
    venv_bin = Path(sys.executable).parent
    for name, fallbacks in (
        ("etcd", ["/usr/bin/etcd"]),
        ("haproxy", ["/usr/sbin/haproxy"]),
        ("patroni", [str(venv_bin / "patroni")]),
        ("pgbackrest", ["/usr/bin/pgbackrest"]),
    ):
        candidates = [str(venv_bin / name), *fallbacks]
        path = next((c for c in candidates if os.access(c, os.X_OK)), None) or shutil.which(name)
        if path:
            found[name] = path
        else:
            missing.append(name)
    try:
        found["pg_bindir"] = str(find_pg_bindir())
    except PostgresNotFoundError:
        missing.append("postgres")
    if missing:
        raise MissingBinaryError(
            f"missing: {', '.join(missing)} (install with `make setup`: Debian packages "
            "etcd-server haproxy postgresql-15 pgbackrest and pip extra `.[cluster]` for Patroni)"
        )
    return found


class PortAllocator:
    """Hands out distinct free ports on 127.0.0.1, never a service's default port."""

    def __init__(self) -> None:
        self.used: set[int] = set()

    def next(self) -> int:
        """Returns a port that was free a moment ago and was not handed out before."""
        while True:
            port = free_port("127.0.0.1")
            if port not in self.used and port not in DEFAULT_PORTS:
                self.used.add(port)
                return port


def traversable(path: Path, user: OsUser) -> bool:
    """Returns True if `user` can reach `path` (every parent searchable for it)."""
    for parent in [*reversed(path.parents), path]:
        try:
            st = parent.stat()
        except OSError:
            return False
        if st.st_uid == user.uid:
            allowed = bool(st.st_mode & 0o100)
        elif st.st_gid in user.groups:
            allowed = bool(st.st_mode & 0o010)
        else:
            allowed = bool(st.st_mode & 0o001)
        if not allowed:
            return False
    return True


def own_dir(path: Path, user: OsUser) -> None:
    """Creates `path` (0700) owned by `user`, who will keep its data there."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.geteuid() == 0:
        os.chown(path, user.uid, user.gid)
    os.chmod(path, 0o700)


def write_file(path: Path, text: str, mode: int) -> None:
    """Writes `text` to a new file created with `mode` (never readable by others first)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, mode)


def write_private(path: Path, text: str) -> None:
    """Writes `text` to `path` readable by its owner only (0600)."""
    write_file(path, text, 0o600)
