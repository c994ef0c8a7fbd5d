"""What a local cluster's callers read and set besides its processes: addresses, the
app's environment, pgBackRest, the second site's settings, and the site-loss fault.

``LocalCluster`` (``local.py``) inherits these; they need only the saved state.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from minwon.operations.backup.pgbackrest import PgBackRest
from minwon.operations.cluster import render
from minwon.operations.cluster.backups import node_pgbackrest, primary_member
from minwon.operations.cluster.control import ProcessControl
from minwon.operations.cluster.host import write_file
from minwon.operations.cluster.site_loss import kill_site
from minwon.operations.processes import ensure_os_user


class SiteControl(ProcessControl):
    """Addresses, environment, backups and site-wide settings of one local site."""

    def app_urls(self) -> list[str]:
        """Returns the base URL of every app instance."""
        return [app.url for app in self.spec.apps]

    def balancer_urls(self) -> list[str]:
        """Returns the app instances' base URL through every HAProxy path."""
        return [proxy.app_url for proxy in self.spec.haproxies if proxy.app_port]

    def haproxy_ports(self) -> list[int]:
        """Returns the port of every HAProxy path."""
        return [proxy.port for proxy in self.spec.haproxies]

    def database_url(self) -> str:
        """Returns the app's multi-host URL (both HAProxy paths, read-write only)."""
        return self.spec.database_url(self.credentials.app_password)

    def app_environment(self, *, over_sockets: bool = False) -> dict[str, str]:
        """Returns the environment app instances run with; `over_sockets` reaches the
        database over the nodes' Unix sockets (an app in another network namespace)."""
        env = self._context().app_env()
        if over_sockets:
            env["MINWON_DATABASE_URL"] = self.spec.socket_database_url(
                self.credentials.app_password
            )
        return env

    def programs(self) -> tuple[str, str]:
        """Returns the Python that runs ``minwon`` and the HAProxy binary, as started."""
        state = self._require_state()
        return state.python, state.haproxy_bin

    def pgbackrest(self, member: str | None = None) -> PgBackRest:
        """Returns pgBackRest with `member`'s configuration (the primary's by default),
        run as the database user (``backups.py``)."""
        user = ensure_os_user(self._require_state().os_user)
        spec = self.spec
        return node_pgbackrest(spec, member or primary_member(spec), user)

    def set_dr_policy(self, policy: dict[str, float]) -> None:
        """Saves a second site's promotion policy; its supervisor reads it every round."""
        with self._update() as state:
            state.dr_policy = dict(policy)

    def set_second_repo(self, path: str) -> None:
        """Makes every node archive to the second site's repository `path` too (and back
        up into it with ``--repo=2``); "" stops that. Rewrites each ``pgbackrest.conf``:
        archive-push reads it afresh for every segment, so nothing restarts."""
        with self._update() as state:
            state.spec = replace(state.spec, second_repo=path)
        spec = self.spec
        for node in spec.nodes:
            if node.backup_config:
                rendered = render.pgbackrest_conf(spec, node)
                write_file(Path(rendered.path), rendered.text, rendered.mode)

    def member_url(self, member: str) -> str:
        """Returns a SQLAlchemy URL straight to `member`'s PostgreSQL, as the app user."""
        return self.spec.member_url(member, self.credentials.app_password)

    def rest_url(self, member: str) -> str:
        """Returns the base URL of `member`'s Patroni REST API."""
        return self.spec.node(member).rest_url

    def ports(self) -> list[int]:
        """Returns every port the cluster listens on."""
        spec = self.spec
        return sorted(
            [p for m in spec.etcd for p in (m.client_port, m.peer_port)]
            + [p for n in spec.nodes for p in (n.pg_port, n.rest_port)]
            + [p for h in spec.haproxies for p in (h.port, h.stats_port, h.app_port) if p]
            + [a.port for a in spec.apps]
        )

    def kill_site(self) -> list[int]:
        """F5: SIGKILLs every process of this site at once (``site_loss.py``); the
        supervisor is among them, so nothing starts again. Returns the PIDs."""
        with self._update() as state:
            return kill_site(state)
