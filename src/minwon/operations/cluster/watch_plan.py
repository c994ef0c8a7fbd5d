"""The incident watcher on real hosts: ``minwon cluster plan`` writes its files.

One watcher for the cluster, on the first app host (two would record every fault twice):
``minwon ops watch --root /var/lib/minwon/watch`` under systemd. From there it reaches
everything it looks at over the network: Patroni's REST API and etcd on the database
hosts, each HAProxy path (a session through it, with ``psql``), each app's ``/readyz``
and ``/metrics`` (with the operator token of ``watch.env``), the database (the app's
own URL over every path: incidents are stored there, and each issuance's time dates the
issuance gap) and the primary's ``pg_stat_archiver`` (the superuser). Its root holds the
cluster's layout as a state without processes of its own: process exits and hangs are
each host's own (systemd restarts them); the watcher sees what they do to the cluster.
"""

from __future__ import annotations

import json

from minwon.operations.cluster import render
from minwon.operations.cluster.render import RenderedFile
from minwon.operations.cluster.spec import ClusterSpec, Credentials
from minwon.operations.cluster.state import ClusterState
from minwon.operations.release.fleet_plan import CURRENT

WATCH_ROOT = "/var/lib/minwon/watch"
WATCH_ENV = "/etc/minwon/watch.env"


def watch_host(spec: ClusterSpec) -> str:
    """Returns the host that runs the cluster's one watcher: the first app host."""
    return spec.apps[0].host


def watch_files(spec: ClusterSpec) -> list[tuple[str, RenderedFile]]:
    """Returns the watcher host's files as (name in the plan, rendered file)."""
    state = ClusterState(
        root=WATCH_ROOT,
        run_dir=WATCH_ROOT,
        os_user=spec.app_os_user,
        haproxy_bin="haproxy",
        python=f"{CURRENT}/venv/bin/python",
        started_at=0.0,
        spec=spec,
    )
    secrets = json.dumps(Credentials.placeholders().to_dict(), indent=2)
    env = (
        "# The incident watcher: the apps' operator token for /metrics (as web.metrics_token).\n"
        "MINWON_METRICS_TOKEN=${MINWON_METRICS_TOKEN}\n"
    )
    unit = render.watch_unit(spec, env_file=WATCH_ENV, root=WATCH_ROOT)
    return [
        ("systemd/minwon-watch.service", unit),
        ("watch.env", RenderedFile(WATCH_ENV, env, 0o600)),
        (
            "watch/state.json",
            RenderedFile(f"{WATCH_ROOT}/state.json", json.dumps(state.to_dict(), indent=2)),
        ),
        ("watch/secrets.json", RenderedFile(f"{WATCH_ROOT}/secrets.json", secrets + "\n", 0o600)),
    ]


WATCH_STEPS = [
    "",
    "# The incident watcher (minwon ops watch), on the first app host only:",
    f"# - mkdir {WATCH_ROOT}, owned by the app's user; fill the ${{...}} of secrets.json",
    "#   and watch.env; apt-get install postgresql-client (psql: the HAProxy path probe).",
    "# - the superuser may connect from this host (pg_hba), for pg_stat_archiver.",
    "# - systemctl enable --now minwon-watch.service; minwon ops incidents --root",
    f"#   {WATCH_ROOT} lists what it recorded.",
]
