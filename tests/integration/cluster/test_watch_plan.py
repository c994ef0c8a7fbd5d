"""The incident watcher on real hosts: ``minwon cluster plan`` gives the first app host
its systemd unit, env file and root, and the watcher's own code reads that root as the
cluster it watches (nothing contacted: the hosts are not this machine)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from minwon.operations.cluster import render
from minwon.operations.cluster.control import STATE_FILE, read_credentials
from minwon.operations.cluster.plan import plan_files, write_plan
from minwon.operations.cluster.spec import Credentials
from minwon.operations.cluster.state import StateStore
from minwon.operations.cluster.topology import hosts_spec
from minwon.operations.cluster.watch_plan import WATCH_ENV, WATCH_ROOT
from minwon.operations.incidents.local import cluster_engine
from minwon.operations.release.fleet_plan import CURRENT
from support.binaries import require

HOSTS = ["10.0.0.11", "10.0.0.12", "10.0.0.13"]
WATCH_FILES = {
    "systemd/minwon-watch.service",
    "watch.env",
    "watch/state.json",
    "watch/secrets.json",
}


def test_one_watcher_runs_on_the_first_app_host_with_its_unit_env_and_root(
    tmp_path: Path,
) -> None:
    spec = hosts_spec(HOSTS)
    files = plan_files(spec)
    with_watch = {h for h, named in files.items() if WATCH_FILES & {n for n, _ in named}}
    assert with_watch == {spec.apps[0].host}  # two watchers would record each fault twice
    written = write_plan(spec, tmp_path)
    host = tmp_path / spec.apps[0].host
    unit = (host / "systemd/minwon-watch.service").read_text()
    assert f"ExecStart={CURRENT}/venv/bin/python -m minwon.cli.main ops watch --root " in unit
    assert f"--root {WATCH_ROOT}\n" in unit and f"EnvironmentFile={WATCH_ENV}\n" in unit
    assert "Restart=always" in unit and f"User={spec.app_os_user}\n" in unit
    env = render.parse_env((host / "watch.env").read_text())
    assert env == {"MINWON_METRICS_TOKEN": "${MINWON_METRICS_TOKEN}"}
    for name in ("watch.env", "watch/secrets.json"):
        assert (host / name).stat().st_mode & 0o777 == 0o600, name
    install = (tmp_path / "INSTALL.txt").read_text()
    assert f"{spec.apps[0].host}/systemd/minwon-watch.service -> " in install
    assert "systemctl enable --now minwon-watch.service" in install
    secret = Credentials.generate()
    assert not any(secret.app_password in p.read_text() for p in written)


def test_the_watchers_root_is_the_cluster_as_the_watcher_reads_it(tmp_path: Path) -> None:
    """The watcher's code reads the planned root: the hosts' spec, no process of its own
    (exits and hangs are each host's), the passwords once filled in, and the database
    over every HAProxy path, where it stores incidents and reads issuance times."""
    spec = hosts_spec(HOSTS)
    write_plan(spec, tmp_path)
    root = tmp_path / spec.apps[0].host / "watch"
    state = StateStore(root / STATE_FILE).read()
    assert state is not None and state.spec == spec and state.processes == {}
    assert read_credentials(root) == Credentials.placeholders()
    filled = Credentials.generate()
    (root / "secrets.json").write_text(json.dumps(filled.to_dict()))  # as envsubst would
    engine = cluster_engine(root)  # no connection yet
    try:
        url = make_url(engine.url.render_as_string(hide_password=False))
        assert url.password == filled.app_password and url.database == spec.app_database
        assert url.query["host"] == tuple(f"{p.host}:{p.port}" for p in spec.haproxies)
    finally:
        engine.dispose()


def test_systemd_accepts_the_watcher_unit_of_the_plan(tmp_path: Path) -> None:
    """``systemd-analyze verify`` reads the unit as systemd would (its Python pointed at
    one that exists here); a unit with no ExecStart is refused the same way."""
    analyze = require("systemd-analyze")
    write_plan(hosts_spec(HOSTS), tmp_path / "plan")
    current = tmp_path / "current"
    (current / "venv" / "bin").mkdir(parents=True)
    (current / "venv" / "bin" / "python").symlink_to(sys.executable)
    text = (tmp_path / "plan" / HOSTS[0] / "systemd/minwon-watch.service").read_text()
    unit = tmp_path / "units" / "minwon-watch.service"
    unit.parent.mkdir()
    unit.write_text(text.replace(CURRENT, str(current)))
    verified = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True)
    assert verified.returncode == 0, verified.stderr
    unit.write_text("\n".join(line for line in text.splitlines() if "ExecStart" not in line))
    refused = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True)
    assert refused.returncode != 0
