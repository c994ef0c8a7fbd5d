"""Three database hosts on one data-centre network, for real: the partition test bed.

Namespace ``<prefix>-lan`` holds the switch (a bridge, ``10.232.0.1/24``) and the app
tier (HAProxy, the apps, the operator's tools: a test thread enters it with
``entered``); ``<prefix>-h1`` … ``-h3`` are the three hosts, each plugged into the switch
by a veth pair (offloads off) at ``10.232.0.11`` … ``.13``. ``placement()`` tells the
local cluster to run etcd ``e<i>``, Patroni ``pg<i>`` and its guard on host `i`, on that
address. ``isolate(host)`` partitions a host from everything beyond its cable, silently
(``faults.isolate``); ``heal`` lifts it. Only namespaces created here are ever touched:
nothing is added to the host's own network.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass

from minwon.operations.cluster.topology import HOSTS, HostPlace, Placement
from minwon.operations.network import faults
from minwon.operations.network.netns import (
    End,
    Namespace,
    NetworkError,
    create_namespace,
    delete_namespace,
    entered,
    run,
)

SUBNET = "10.232.0"
PREFIX_LENGTH = 24
SWITCH = "mwswitch"  # the bridge, inside the lan namespace
SWITCH_ADDRESS = f"{SUBNET}.1"
FIRST_HOST = 11  # host i is SUBNET.(10 + i)


@dataclass(frozen=True)
class Host:
    """One database host: its namespace, and its end of the cable to the switch."""

    number: int
    uplink: End

    @property
    def namespace(self) -> Namespace:
        """Returns the host's network namespace."""
        return self.uplink.namespace

    @property
    def address(self) -> str:
        """Returns the host's address on the data-centre network."""
        return self.uplink.address


class HostNetwork:
    """The lan (switch and app tier) and three hosts plugged into it."""

    def __init__(self) -> None:
        self.prefix = f"mh{os.getpid() % 100000}"
        self.lan = Namespace(f"{self.prefix}-lan")
        self.hosts: list[Host] = []

    def up(self) -> None:
        """Creates the namespaces, the switch and the cables; on failure removes them."""
        try:
            self.lan = create_namespace(self.lan.name)
            self.lan.run("ip", "link", "add", SWITCH, "type", "bridge")
            self.lan.run("ip", "addr", "add", f"{SWITCH_ADDRESS}/{PREFIX_LENGTH}", "dev", SWITCH)
            self.lan.run("ip", "link", "set", SWITCH, "up")
            for number in range(1, HOSTS + 1):
                self.hosts.append(self._plug(number))
        except BaseException:
            self.down()
            raise

    def _plug(self, number: int) -> Host:
        namespace = create_namespace(f"{self.prefix}-h{number}")
        host_side, switch_side = f"{self.prefix}h{number}", f"{self.prefix}h{number}s"
        address = f"{SUBNET}.{FIRST_HOST + number - 1}"
        # Both ends are made inside their namespaces: the host's own network never sees them.
        host_end = ["name", host_side, "netns", namespace.name]
        switch_end = ["name", switch_side, "netns", self.lan.name]
        run(["ip", "link", "add", *host_end, "type", "veth", "peer", *switch_end])
        namespace.run("ip", "addr", "add", f"{address}/{PREFIX_LENGTH}", "dev", host_side)
        self.lan.run("ip", "link", "set", switch_side, "master", SWITCH)
        for where, interface in ((namespace, host_side), (self.lan, switch_side)):
            where.run("ethtool", "-K", interface, "tso", "off", "gso", "off", "gro", "off")
            where.run("ip", "link", "set", interface, "up")
        return Host(number, End(namespace, host_side, address))

    def down(self) -> None:
        """Deletes every namespace made here (their cables and switch go with them)."""
        for namespace in [h.namespace for h in self.hosts] + [self.lan]:
            with contextlib.suppress(NetworkError):
                delete_namespace(namespace)
        self.hosts.clear()

    def placement(self) -> Placement:
        """Returns where the local cluster runs: host `i` its ``e<i>`` and ``pg<i>``."""
        return Placement(
            hosts=tuple(HostPlace(h.address, h.namespace.name) for h in self.hosts),
            app_tier=self.lan.name,
            subnet=f"{SUBNET}.0/{PREFIX_LENGTH}",
        )

    @contextlib.contextmanager
    def entered(self) -> Iterator[None]:
        """Keeps the calling thread in the app tier for the block (threads it starts are
        born there), then moves it back."""
        with entered(self.lan):
            yield

    def host(self, netns: str) -> Host:
        """Returns the host whose namespace is `netns`; NetworkError if there is none."""
        for host in self.hosts:
            if host.namespace.name == netns:
                return host
        raise NetworkError(f"no host of this network runs in namespace {netns!r}")

    def isolate(self, netns: str) -> None:
        """Partitions the host in `netns` from the switch: every packet is dropped."""
        faults.isolate(self.host(netns).uplink)

    def heal(self, netns: str) -> None:
        """Ends the partition of the host in `netns` (nothing if there is none)."""
        faults.lift_end(self.host(netns).uplink)
