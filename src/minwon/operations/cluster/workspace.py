"""The folders and files of a local cluster: spec, secrets, configuration, app data.

``prepare`` lays out a fresh run folder and returns the new state; ``prepare_app_data``
creates the app's schema and demo registry through the cluster; ``remove_data`` undoes
``prepare``. Data lives where the unprivileged database user can reach it.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

from minwon.operations.cluster import render
from minwon.operations.cluster.errors import ClusterError
from minwon.operations.cluster.host import (
    PortAllocator,
    own_dir,
    traversable,
    write_file,
    write_private,
)
from minwon.operations.cluster.kinds import KindContext
from minwon.operations.cluster.render import RenderedFile
from minwon.operations.cluster.spec import ClusterSpec, Credentials
from minwon.operations.cluster.state import ClusterState
from minwon.operations.cluster.supervise import log_tail
from minwon.operations.cluster.topology import Placement, SiteShape, local_spec
from minwon.operations.processes import OsUser

SECRETS_FILE = "secrets.json"


def prepare(
    root: Path,
    *,
    binaries: dict[str, str],
    user: OsUser,
    apps: int,
    placement: Placement | None = None,
    shape: SiteShape | None = None,
    credentials: Credentials | None = None,
) -> tuple[ClusterState, Credentials]:
    """Makes the run folder, spec, passwords and every configuration file of a new cluster
    (its hosts in network namespaces with a `placement`; a standby site of `shape`, with
    the primary site's `credentials`: its databases are copies of the primary's)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "logs").mkdir(exist_ok=True)
    run_dir = root / "run"
    if not traversable(root, user):
        run_dir = Path("/var/tmp") / f"minwon-cluster-{secrets.token_hex(4)}"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(mode=0o755, parents=True)
    try:
        spec = local_spec(
            run_dir=str(run_dir),
            config_dir=str(run_dir / "config"),
            app_data_dir=str(root / "app"),
            apps=apps,
            next_port=PortAllocator().next,
            pg_bindir=binaries["pg_bindir"],
            patroni_bin=binaries["patroni"],
            etcd_bin=binaries["etcd"],
            minwon_bin=str(Path(sys.executable).parent / "minwon"),
            db_os_user=user.name,
            placement=placement,
            pgbackrest_bin=binaries["pgbackrest"],
            shape=shape,
        )
        credentials = credentials or Credentials.generate()
        write_private(root / SECRETS_FILE, json.dumps(credentials.to_dict(), indent=2))
        state = ClusterState(
            root=str(root),
            run_dir=str(run_dir),
            os_user=user.name,
            haproxy_bin=binaries["haproxy"],
            python=sys.executable,
            started_at=time.time(),
            spec=spec,
        )
        for member in spec.etcd:
            own_dir(Path(member.data_dir).parent, user)
        for node in spec.nodes:
            own_dir(Path(node.node_dir), user)
        if spec.backup_repo:  # pgBackRest runs as the database user too
            for folder in (spec.backup_repo, spec.backup_lock_dir):
                own_dir(Path(folder), user)
            for node in spec.nodes:
                for folder in (node.backup_spool, node.backup_log):
                    own_dir(Path(folder), user)
        for proxy in spec.haproxies:  # HAProxy runs as the database user: its socket's folder
            if proxy.admin_socket:
                own_dir(Path(proxy.admin_socket).parent, user)
        for rendered in config_files(spec, credentials):
            path = Path(rendered.path)
            path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
            write_file(path, rendered.text, rendered.mode)
            if path.name == "patroni.env" and os.geteuid() == 0:
                os.chown(path, user.uid, user.gid)  # read by Patroni, like on a real host
        Path(spec.app_data_dir).mkdir(parents=True, exist_ok=True)
    except BaseException:
        shutil.rmtree(run_dir, ignore_errors=True)  # nothing records it yet: undo here
        raise
    return state, credentials


def config_files(spec: ClusterSpec, credentials: Credentials) -> list[RenderedFile]:
    """Returns every configuration file of the cluster, rendered from the templates."""
    files = [render.etcd_env(spec, m) for m in spec.etcd]
    for node in spec.nodes:
        files += [
            render.patroni_yml(spec, node),
            render.patroni_env(spec, node, credentials),
            render.post_bootstrap(spec, node),
        ]
        if spec.backup_repo and node.backup_config:
            files.append(render.pgbackrest_conf(spec, node))
    files += [render.haproxy_cfg(spec, p) for p in spec.haproxies]
    files += [render.app_env(spec, a, credentials) for a in spec.apps]
    return files


PROBE_SECRET_FILE = "probe.secret"


def prepare_app_data(context: KindContext, *, logs: Path, demo_residents: int, seed: int) -> None:
    """Runs ``minwon init``, ``minwon demo-data --if-empty`` and ``minwon probe setup``
    (the release probe's account; its password in ``<root>/probe.secret``, 0600)."""
    env = context.app_env()
    probe_secret = logs.parent / PROBE_SECRET_FILE
    for step, args in (
        ("minwon-init", ["init"]),
        (
            "minwon-demo-data",
            ["demo-data", "--residents", str(demo_residents), "--seed", str(seed), "--if-empty"],
        ),
        ("minwon-probe-setup", ["probe", "setup", "--password-file", str(probe_secret)]),
    ):
        log = logs / f"{step}.log"
        with open(log, "ab") as out:
            result = subprocess.run(
                context.minwon_argv(*args),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=context.spec.app_data_dir,
                timeout=900,
                check=False,
            )
        if result.returncode != 0:
            raise ClusterError(
                f"`minwon {' '.join(args)}` failed (exit {result.returncode}):\n" + log_tail(log)
            )


def copy_app_keys(source_data_dir: str, spec: ClusterSpec) -> None:
    """Gives a standby site's apps the primary site's keys (signing, data, pepper): the
    documents either site issues verify the same, and the registry it takes over decrypts
    (on real hosts the same secret store serves both sites)."""
    source = Path(source_data_dir) / "keys"
    if not source.is_dir():
        raise ClusterError(f"the primary site has no keys at {source}")
    target = Path(spec.app_data_dir) / "keys"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    os.chmod(target, 0o700)


def remove_data(root: Path, state: ClusterState) -> None:
    """Deletes the run folder (only one this launcher made) and the app's data folder."""
    run_dir = Path(state.run_dir)
    if run_dir.name == "run" or run_dir.name.startswith("minwon-cluster-"):
        shutil.rmtree(run_dir, ignore_errors=True)
    shutil.rmtree(root / "app", ignore_errors=True)
