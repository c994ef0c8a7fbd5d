"""What of a node's configuration should be the same on every node.

The rendered files (``patroni.yml``, ``pgbackrest.conf``) differ between nodes only in
the node's own name, addresses and folders: those are replaced by placeholders before
comparing, so what remains is what drifted. PostgreSQL's effective settings leave out
the ones that belong to one node or one role (its port, folders, the primary's
``synchronous_standby_names``, a standby's ``primary_conninfo``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from minwon.operations.cluster.spec import ClusterSpec, PatroniNode
from minwon.operations.inspection.ports import NodeConfig

# pg_settings that are the node's own or its role's (leader or replica), never drift.
NODE_SETTINGS = frozenset(
    {
        "port",
        "listen_addresses",
        "unix_socket_directories",
        "data_directory",
        "config_file",
        "hba_file",
        "ident_file",
        "archive_command",
        "restore_command",
        "primary_conninfo",
        "primary_slot_name",
        "recovery_target_timeline",
        "synchronous_standby_names",
        "transaction_read_only",
        "default_transaction_read_only",
        "in_hot_standby",
        "application_name",
        "cluster_name",
        "hot_standby_feedback",
        "TimeZone",
        "DateStyle",
        "client_encoding",
        "lc_messages",
        "lc_monetary",
        "lc_numeric",
        "lc_time",
        "default_text_search_config",
        "log_timezone",
        "statement_timeout",  # the inspection's own session sets it
        "search_path",
    }
)
# Settings Patroni writes for a replica's recovery only (recovery_target_*, ...).
ROLE_PREFIXES = ("recovery_",)
# Keys of patroni.yml that name the node itself.
NODE_KEYS = ("name",)


def _placeholders(spec: ClusterSpec, node: PatroniNode) -> list[tuple[str, str]]:
    pairs = [
        (node.data_dir, "<data_dir>"),
        (node.socket_dir, "<socket_dir>"),
        (node.config_file, "<config_file>"),
        (node.env_file, "<env_file>"),
        (node.post_bootstrap, "<post_bootstrap>"),
        (node.pgpass, "<pgpass>"),
        (node.backup_config, "<backup_config>"),
        (node.node_dir, "<node_dir>"),
        (f"{node.host}:{node.rest_port}", "<rest_address>"),
        (f"{node.host}:{node.pg_port}", "<pg_address>"),
        (f"={node.pg_port}", "=<pg_port>"),
    ]
    return sorted((p for p in pairs if p[0]), key=lambda p: -len(p[0]))


def normalised(text: str, spec: ClusterSpec, node: PatroniNode) -> str:
    """Returns `text` with `node`'s own values replaced by placeholders."""
    for value, placeholder in _placeholders(spec, node):
        text = text.replace(value, placeholder)
    return text


def _patroni_yml(text: str) -> str:
    data: Any = yaml.safe_load(text)
    if isinstance(data, dict):
        for key in NODE_KEYS:
            data.pop(key, None)
    return yaml.safe_dump(data, sort_keys=True, allow_unicode=True)


def node_config(
    spec: ClusterSpec,
    node: PatroniNode,
    settings: dict[str, str] | None,
    dcs: dict[str, Any] | None,
) -> NodeConfig:
    """Returns `node`'s configuration with what is its own taken out."""
    files: dict[str, str] = {}
    sources = {"patroni.yml": node.config_file, "pgbackrest.conf": node.backup_config}
    for name, path in sources.items():
        if not path:
            continue
        try:
            text = normalised(Path(path).read_text(encoding="utf-8"), spec, node)
        except OSError as exc:
            text = f"(읽을 수 없음: {type(exc).__name__})"
        files[name] = _patroni_yml(text) if name == "patroni.yml" and text[:1] != "(" else text
    kept = (
        None
        if settings is None
        else {
            k: v
            for k, v in settings.items()
            if k not in NODE_SETTINGS and not k.startswith(ROLE_PREFIXES)
        }
    )
    return NodeConfig(node.name, files=files, settings=kept, dcs=dcs)
