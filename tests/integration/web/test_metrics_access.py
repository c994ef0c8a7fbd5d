"""/metrics is for operators: as an outsider would try to read it.

The exposition names routes, instances and volumes. Only a client address in the operator
networks (loopback by default), after trusted proxies, or a request with the operator
token may read it; a forged X-Forwarded-For from an untrusted peer, a wrong or partial
token, or another scheme gets a 403 problem and not a byte of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import ip_network
from typing import Any

import pytest
from fastapi.testclient import TestClient

from minwon.bootstrap import Container, bootstrap
from minwon.config import Settings, SettingsError
from minwon.web.app import create_app
from support.world import World

TOKEN = "operator-metrics-token-0123456789abcdef"
OUTSIDER = ("203.0.113.50", 40000)


def _container(world: World, **changes: Any) -> Container:
    return bootstrap(world.container.settings.with_changes(**changes), clock=world.clock)


@pytest.fixture
def guarded(world: World) -> Iterator[Container]:
    container = _container(
        world,
        metrics_token=TOKEN,
        metrics_networks=(ip_network("10.20.0.0/16"),),
        trusted_proxies=(ip_network("10.99.0.1/32"),),
    )
    try:
        yield container
    finally:
        container.close()


def _refused(response: Any) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "metrics_forbidden"
    assert "minwon_" not in response.text and "# HELP" not in response.text


def test_loopback_reads_metrics_by_default_and_an_outsider_does_not(world: World) -> None:
    app = create_app(world.container)
    with TestClient(app, client=("127.0.0.1", 1)) as local:
        shown = local.get("/metrics")
        assert shown.status_code == 200 and "# HELP" in shown.text
    with TestClient(app, client=("::1", 1)) as local6:
        assert local6.get("/metrics").status_code == 200
    with TestClient(app, client=OUTSIDER) as outsider:
        _refused(outsider.get("/metrics"))
        # Without a configured token no token opens it, not even an empty one.
        _refused(outsider.get("/metrics", headers={"Authorization": "Bearer "}))
        _refused(outsider.get("/metrics", headers={"Authorization": "Bearer x" * 3}))


def test_operator_networks_and_the_token(guarded: Container) -> None:
    app = create_app(guarded)
    with TestClient(app, client=("10.20.3.4", 1)) as operator:
        assert operator.get("/metrics").status_code == 200
    with TestClient(app, client=("127.0.0.1", 1)) as local:  # loopback no longer listed
        _refused(local.get("/metrics"))
    with TestClient(app, client=OUTSIDER) as outsider:
        assert (
            outsider.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code
            == 200
        )
        assert (
            outsider.get("/metrics", headers={"Authorization": f"bearer {TOKEN}"}).status_code
            == 200
        )
        for wrong in (TOKEN[:-1], TOKEN + "x", TOKEN.upper(), f"{TOKEN} {TOKEN}"):
            _refused(outsider.get("/metrics", headers={"Authorization": f"Bearer {wrong}"}))
        _refused(outsider.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}))
        _refused(outsider.get("/metrics", headers={"X-Metrics-Token": TOKEN}))
        _refused(outsider.get(f"/metrics?token={TOKEN}"))


def test_a_forged_forwarded_for_does_not_make_an_operator(guarded: Container) -> None:
    app = create_app(guarded)
    with TestClient(app, client=OUTSIDER) as outsider:  # not a trusted proxy
        _refused(outsider.get("/metrics", headers={"X-Forwarded-For": "10.20.0.5"}))
    with TestClient(app, client=("10.99.0.1", 1)) as proxy:  # the trusted proxy
        forwarded = {"X-Forwarded-For": "10.20.0.5, 198.51.100.7"}
        _refused(proxy.get("/metrics", headers=forwarded))  # the real client is outside
        assert proxy.get("/metrics", headers={"X-Forwarded-For": "10.20.0.5"}).status_code == 200


@pytest.mark.parametrize("bad", ["short", "a" * 23, "with space" * 4, "tab\there" * 4])
def test_a_weak_token_is_refused_at_start_without_echoing_it(bad: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"MINWON_METRICS_TOKEN": bad})
    assert bad not in str(raised.value) and "MINWON_METRICS_TOKEN" in str(raised.value)


def test_operator_networks_are_read_from_the_environment() -> None:
    web = Settings.from_env({"MINWON_METRICS_NETWORKS": "10.0.0.5, 192.168.0.0/24"}).web
    assert [str(n) for n in web.metrics_networks] == ["10.0.0.5/32", "192.168.0.0/24"]
    with pytest.raises(SettingsError):
        Settings.from_env({"MINWON_METRICS_NETWORKS": "not-a-network"})
