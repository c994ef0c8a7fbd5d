"""Each node's ``pgbackrest.conf`` and the PostgreSQL settings that archive to it.

Every node names the same repository (stanza ``minwon``) and itself as ``pg1``: on one
machine the nodes are local sockets and ports, on real hosts the repository is one file
system mounted at the same path on every host, so no command needs SSH. WAL is pushed
asynchronously from a spool of the node's own (``archive-async``), so a slow repository
never holds up a commit's WAL switch. ``archive-push-queue-max`` is never set: when the
queue is full it drops WAL and says so only in a log, which breaks every backup since.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

STANZA = "minwon"
TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Retention:
    """How many backups ``expire`` keeps: full ones, and differentials (the oldest
    differential goes first; a full one takes its differentials with it)."""

    full: int = 2
    diff: int = 6


@dataclass(frozen=True)
class NodeBackupConfig:
    """What one node's ``pgbackrest.conf`` says: the shared repository and lock folder,
    the node's spool and log, and how pgBackRest reaches its PostgreSQL (Unix socket)."""

    path: str
    repo_path: str
    lock_path: str
    spool_path: str
    log_path: str
    pg_path: str
    pg_port: int
    pg_socket_path: str
    pg_user: str
    retention: Retention = Retention()
    # The second site's repository (repo2): WAL goes to both, backups to either.
    second_repo_path: str = ""
    process_max: int = 2
    # lz4: a little larger than gz, several times faster on this 2-core machine kind.
    compress_type: str = "lz4"


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # configuration files, not HTML
    )


ENV = _environment()


def render_conf(config: NodeBackupConfig) -> str:
    """Returns the text of the node's ``pgbackrest.conf``."""
    return ENV.get_template("pgbackrest.conf.j2").render(c=config, stanza=STANZA)


def command(pgbackrest: str, config: str, *args: str) -> list[str]:
    """Returns the argv of a pgBackRest command on stanza ``minwon`` with `config`."""
    return [pgbackrest, f"--config={config}", f"--stanza={STANZA}", *args]


def archive_command(pgbackrest: str, config: str) -> str:
    """Returns PostgreSQL's ``archive_command``: an asynchronous ``archive-push``."""
    return " ".join(command(pgbackrest, config, "archive-push", "%p"))


def restore_command(pgbackrest: str, config: str) -> str:
    """Returns a standby's ``restore_command``: WAL it cannot stream, from the archive."""
    return " ".join(command(pgbackrest, config, "archive-get", "%f", '"%p"'))
