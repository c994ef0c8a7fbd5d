"""Real namespaces, veth links and nftables rules: what the network faults are made of.

Each test makes its own pair of namespaces (root only), serves on one end, talks from
the other, and deletes both at the end, even when it fails. Only addresses inside those
namespaces are used.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator

import pytest

from minwon.operations.network import faults
from minwon.operations.network.netns import (
    Link,
    Namespace,
    NetworkError,
    call_in,
    connect,
    create_namespace,
    delete_namespace,
)
from support.binaries import require_binaries, require_root
from support.namespace_servers import serve_in

PORT = 9000


@pytest.fixture
def link() -> Iterator[Link]:
    require_root("network namespaces")
    require_binaries("ip", "nft", "ethtool")
    tag = f"mwt{os.getpid() % 100000}"
    left = create_namespace(f"{tag}-l")
    try:
        right = create_namespace(f"{tag}-r")
    except BaseException:
        delete_namespace(left)
        raise
    try:
        pair = connect(f"{tag}x", left, right, subnet="10.231.9")
        _serve_echo(right, pair.right.address)
        yield pair
    finally:
        delete_namespace(left)
        delete_namespace(right)
    assert not left.exists() and not right.exists()


def _serve_echo(namespace: Namespace, address: str) -> None:
    """Answers `n` (ten ASCII digits) with n bytes, on a thread inside `namespace`."""

    def echo(conn: socket.socket) -> None:
        conn.settimeout(2)
        with contextlib.suppress(ValueError):
            conn.sendall(b"x" * int(conn.recv(10)))

    serve_in(namespace, address, PORT, echo)


def _fetch(link: Link, size: int) -> int:
    """Returns how many of `size` bytes came back over `link` within 1 s."""

    def ask() -> int:
        got = b""
        try:
            with socket.create_connection((link.right.address, PORT), timeout=1) as conn:
                conn.sendall(str(size).rjust(10).encode())
                while len(got) < size and (chunk := conn.recv(65536)):
                    got += chunk
        except OSError:
            pass
        return len(got)

    return call_in(link.left.namespace, ask)


def test_a_link_carries_small_and_large_answers(link: Link) -> None:
    assert _fetch(link, 100) == 100
    assert _fetch(link, 50_000) == 50_000


def test_a_large_packet_drop_lets_small_answers_through_and_stops_large_ones(link: Link) -> None:
    faults.drop_large_packets(link)
    assert _fetch(link, 100) == 100  # what a small health check sees
    assert _fetch(link, 5_000) == 0  # the first full-size segment never arrives
    assert faults.dropped_packets(link) > 0
    faults.lift(link)
    assert _fetch(link, 5_000) == 5_000
    faults.lift(link)  # lifting twice is harmless


def test_a_cut_link_carries_nothing_until_restored(link: Link) -> None:
    faults.cut(link)
    assert _fetch(link, 100) == 0
    faults.restore(link)
    assert _fetch(link, 100) == 100


def test_a_drop_so_small_it_would_cut_handshakes_is_refused(link: Link) -> None:
    with pytest.raises(NetworkError, match="100 bytes"):
        faults.drop_large_packets(link, min_bytes=60)


def test_the_host_network_is_untouched(link: Link) -> None:
    host_links = {name for _, name in socket.if_nameindex()}
    assert link.left.interface not in host_links
    assert link.right.interface not in host_links
