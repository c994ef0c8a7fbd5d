"""Behind the app balancer the apps still know who asks: real HAProxy, real ``minwon serve``.

HAProxy, configured as ``minwon cluster`` renders it for the apps, appends the client's
address to X-Forwarded-For; the app believes that header only from its balancer
(``MINWON_TRUSTED_PROXIES``, which the cluster's ``app.env`` sets to its HAProxy paths).
Without both, every citizen came from the balancer's address: one sign-in history and one
rate limit for the whole city, and operator access for anyone when the balancer sits on
an operator address. Three loopback addresses stand for three machines: the balancer
127.0.0.1, an operator's desk 127.0.0.5 (``MINWON_METRICS_NETWORKS``), a citizen 127.0.0.6.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from minwon.operations.clock import wait_until
from minwon.operations.cluster import render
from minwon.operations.cluster.render import BalancedServer, app_balancer_cfg
from minwon.operations.cluster.spec import Credentials
from minwon.operations.cluster.topology import hosts_spec
from minwon.operations.processes import free_port
from support.binaries import require
from support.served import HOST, MINWON, clean_env, start, stop

OPERATOR, CITIZEN = "127.0.0.5", "127.0.0.6"


def _from(source: str, url: str, headers: dict[str, str] | None = None) -> httpx.Response:
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(transport=transport, timeout=5) as client:
        return client.get(url, headers=headers or {})


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """Returns (balancer URL, the app's own URL): one app behind one HAProxy."""
    haproxy = require("haproxy")
    tmp = tmp_path_factory.mktemp("balanced")
    data = tmp / "data"
    data.mkdir()
    env = clean_env(data)
    done = subprocess.run(
        [MINWON, "init"], env=env, cwd=data, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    env.update(MINWON_TRUSTED_PROXIES=HOST, MINWON_METRICS_NETWORKS=OPERATOR)
    app, base = start(env, tmp / "app.log")
    balancer = None
    try:
        port = free_port(HOST)
        config = app_balancer_cfg(
            str(tmp / "balancer.cfg"),
            name="counters",
            bind=(HOST, port),
            admin_socket=str(tmp / "admin.sock"),
            servers=[BalancedServer("app1", HOST, int(base.rsplit(":", 1)[1]))],
        )
        Path(config.path).write_text(config.text)
        with (tmp / "balancer.log").open("ab") as log:
            balancer = subprocess.Popen(
                [haproxy, "-db", "-f", config.path], stdout=log, stderr=subprocess.STDOUT
            )
        url = f"http://{HOST}:{port}"

        def serves() -> bool:
            try:
                return _from(HOST, f"{url}/healthz").status_code == 200
            except httpx.HTTPError:
                return False

        assert wait_until(serves, timeout=20, interval=0.1), (tmp / "balancer.log").read_text()
        yield url, base
    finally:
        if balancer is not None:
            stop(balancer)
        stop(app)


def _refused(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "metrics_forbidden"
    assert "# HELP" not in response.text


def test_the_balancer_names_the_client_and_the_app_believes_it(sites: tuple[str, str]) -> None:
    url, _ = sites
    shown = _from(OPERATOR, f"{url}/metrics")
    assert shown.status_code == 200 and "# HELP" in shown.text
    # The balancer itself is no operator: a citizen through it is a citizen.
    _refused(_from(CITIZEN, f"{url}/metrics"))


def test_a_client_that_names_its_own_address_is_still_itself(sites: tuple[str, str]) -> None:
    url, base = sites
    for forged in (OPERATOR, f"{OPERATOR}, {OPERATOR}", f"{OPERATOR}, {HOST}", "unknown"):
        _refused(_from(CITIZEN, f"{url}/metrics", {"X-Forwarded-For": forged}))
    # Straight to the app the header names nobody: the citizen is not a balancer.
    _refused(_from(CITIZEN, f"{base}/metrics", {"X-Forwarded-For": OPERATOR}))


def test_the_clusters_app_env_trusts_its_balancers_and_only_them() -> None:
    """On real hosts each host runs a path and an app: every path's host is trusted (a
    path reaches every app), nothing else is."""
    spec = hosts_spec(["10.0.0.11", "10.0.0.12", "10.0.0.13"])
    text = render.app_env(spec, spec.apps[0], Credentials.placeholders()).text
    trusted = render.parse_env(text)["MINWON_TRUSTED_PROXIES"].split(",")
    assert trusted == ["10.0.0.11", "10.0.0.12", "10.0.0.13"]
    for proxy in spec.haproxies:
        apps = render.haproxy_cfg(spec, proxy).text.split("listen minwon_apps", 1)[1]
        assert "option forwardfor" in apps
