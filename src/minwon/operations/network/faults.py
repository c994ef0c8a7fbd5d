"""Faults on a link, as a broken router or cable shows them: real nftables rules.

``drop_large_packets`` is the 2023 router (DESIGN.md F4): packets of 1,400 bytes and more
vanish in both directions while small ones pass, so a small health check stays green
while real requests hang. ``cut`` takes the link down (a cable pulled). ``isolate`` cuts
off the host behind one end without a sign on the link (a partition upstream): every
packet in or out over it vanishes. Each packet fault is one nftables table per end, in
that end's namespace, removed by ``lift`` (``lift_end`` for one end).
"""

from __future__ import annotations

import time

from minwon.operations.network.netns import End, Link, NetworkError

LARGE_PACKET_BYTES = 1400  # the 2023 router dropped packets of 1,500 bytes; 1,400 is safe
TABLE = "minwon_fault"


def drop_large_packets(link: Link, min_bytes: int = LARGE_PACKET_BYTES) -> None:
    """Drops every IP packet of `min_bytes` or more arriving over `link`, both ways.

    The rule sits on the input hook of each end, as if a router between them dropped
    the packet: the sender sees no error, only silence (TCP retransmits, then waits).
    """
    if min_bytes < 100:
        raise NetworkError("a large-packet drop below 100 bytes would cut TCP handshakes too")
    for end in link.ends:
        _install(end, input_rule=f"meta length >= {min_bytes} counter drop")


def dropped_packets(link: Link) -> int:
    """Returns how many packets the large-packet rule dropped so far on both ends."""
    total = 0
    for end in link.ends:
        try:
            text = end.namespace.run("nft", "list", "table", "inet", TABLE)
        except NetworkError:
            continue
        for line in text.splitlines():
            words = line.split()
            if "counter" in words and "packets" in words:
                total += int(words[words.index("packets") + 1])
    return total


def cut(link: Link) -> None:
    """Takes both ends of `link` down: nothing crosses it until ``restore``."""
    for end in link.ends:
        end.namespace.run("ip", "link", "set", end.interface, "down")


RESTORE_SECONDS = 5.0


def restore(link: Link, timeout: float = RESTORE_SECONDS) -> None:
    """Brings both ends of `link` up again and returns once both carry packets: ``ip link
    set up`` returns before the kernel has the link operational (its link watch runs up
    to a second later, dropping what is sent meanwhile). NetworkError if not in time."""
    for end in link.ends:
        end.namespace.run("ip", "link", "set", end.interface, "up")
    deadline = time.monotonic() + timeout
    while True:
        shown = [e.namespace.run("ip", "-o", "link", "show", "dev", e.interface) for e in link.ends]
        if all("state UP" in line for line in shown):
            return
        if time.monotonic() > deadline:
            raise NetworkError(f"link {link.name} not up {timeout:g} s after restore: {shown}")
        time.sleep(0.05)


def isolate(end: End) -> None:
    """Drops every IP packet that arrives or leaves over `end`'s interface, in its
    namespace: the host there is partitioned from everything beyond that interface,
    while its own processes still talk to each other (its loopback and own address).

    The link stays up and nothing answers with an error: a sender's packets vanish,
    as behind a dead switch upstream, so peers learn of the partition only by their
    timeouts (the harder case for Patroni and etcd than a link that goes down).
    """
    _install(end, input_rule="counter drop", output_rule="counter drop")


def _install(end: End, *, input_rule: str, output_rule: str | None = None) -> None:
    """Loads the fault's table into `end`'s namespace: `input_rule` for packets arriving
    over its interface, `output_rule` (if any) for packets leaving over it."""
    chains = [("input", "iifname", input_rule)]
    if output_rule is not None:
        chains.append(("output", "oifname", output_rule))
    body = "".join(
        f"  chain {hook} {{\n"
        f"    type filter hook {hook} priority 0; policy accept;\n"
        f'    {match} "{end.interface}" {rule}\n'
        "  }\n"
        for hook, match, rule in chains
    )
    end.namespace.run("nft", "-f", "-", stdin=f"table inet {TABLE} {{\n{body}}}\n")


def lift(link: Link) -> None:
    """Removes the packet rules from both ends (nothing if there are none)."""
    for end in link.ends:
        lift_end(end)


def lift_end(end: End) -> None:
    """Removes the packet rules from one end's namespace (nothing if there are none)."""
    try:
        end.namespace.run("nft", "delete", "table", "inet", TABLE)
    except NetworkError as exc:
        if "No such file" not in str(exc):
            raise
