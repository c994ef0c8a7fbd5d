"""Three hosts on one switch in namespaces (``network/hosts.py``): the partition test bed.

The network is made once for the module (root only) and deleted at the end, even when a
test fails. Each host serves a TCP greeting on its own address; the app tier reaches
every host, hosts reach each other, and an isolated host reaches nothing beyond its
cable (silently: connections time out) while it still reaches itself. Only addresses
inside those namespaces are used.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from minwon.operations.network.hosts import SUBNET, HostNetwork
from minwon.operations.network.netns import Namespace, call_in
from support.binaries import require_binaries, require_root
from support.namespace_servers import serve_in

PORT = 9100


@pytest.fixture(scope="module")
def network() -> Iterator[HostNetwork]:
    require_root("network namespaces")
    require_binaries("ip", "nft", "ethtool")
    hosts = HostNetwork()
    hosts.up()
    try:
        for host in hosts.hosts:
            _greet(host.namespace, host.address)
        yield hosts
    finally:
        names = [h.namespace for h in hosts.hosts] + [hosts.lan]
        hosts.down()
        assert not any(n.exists() for n in names)


def _greet(namespace: Namespace, address: str) -> None:
    serve_in(namespace, address, PORT, lambda conn: conn.sendall(address.encode()))


def _hello(address: str, timeout: float = 1.0) -> str | None:
    try:
        with socket.create_connection((address, PORT), timeout=timeout) as conn:
            return conn.recv(64).decode()
    except OSError:
        return None


def test_the_placement_puts_each_host_on_its_own_address_and_namespace(
    network: HostNetwork,
) -> None:
    placement = network.placement()
    assert [h.address for h in placement.hosts] == [f"{SUBNET}.{n}" for n in (11, 12, 13)]
    assert [h.netns for h in placement.hosts] == [h.namespace.name for h in network.hosts]
    assert placement.app_tier == network.lan.name and placement.subnet == f"{SUBNET}.0/24"


def test_the_app_tier_reaches_every_host_and_the_thread_goes_back_where_it_was(
    network: HostNetwork,
) -> None:
    addresses = [h.address for h in network.hosts]
    assert _hello(addresses[0], 0.2) is None  # from the host's own network: not there
    with network.entered():
        assert network.lan.is_current()
        assert [_hello(a) for a in addresses] == addresses
        # A thread started inside is born inside.
        seen: list[bool] = []
        thread = threading.Thread(target=lambda: seen.append(network.lan.is_current()))
        thread.start()
        thread.join()
        assert seen == [True]
    assert not network.lan.is_current()


def test_an_isolated_host_reaches_only_itself_until_healed(network: HostNetwork) -> None:
    first, second, third = network.hosts
    network.isolate(first.namespace.name)
    try:
        with network.entered():
            assert _hello(first.address, 0.5) is None  # silence, not a refusal
            assert _hello(second.address) == second.address
        assert call_in(first.namespace, lambda: _hello(third.address, 0.5)) is None
        assert call_in(first.namespace, lambda: _hello(first.address)) == first.address
        assert call_in(second.namespace, lambda: _hello(third.address)) == third.address
    finally:
        network.heal(first.namespace.name)
    with network.entered():
        assert _hello(first.address) == first.address
    network.heal(first.namespace.name)  # healing twice is harmless
