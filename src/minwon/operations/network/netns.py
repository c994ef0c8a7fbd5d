"""Network namespaces joined by veth pairs: real links that faults can act on.

A ``Namespace`` is made with iproute2 (``ip netns add``) and removed by ``delete``; a
``Link`` is a veth pair between two of them, with one address at each end and the
segmentation offloads off, so that packet-size rules see the packets a real network
carries, not 64 KB segments (DESIGN.md). Only namespaces created here are ever touched,
and only the addresses inside them: nothing is added to the host's own network.
Needs root (CAP_NET_ADMIN).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

CLONE_NEWNET = 0x40000000
NETNS_DIR = Path("/run/netns")
THIS_THREAD = Path("/proc/thread-self/ns/net")
OFFLOADS = ("tso", "gso", "gro")


class NetworkError(Exception):
    """A namespace, link or rule could not be set up; says which command and why."""


def run(argv: list[str], *, stdin: str | None = None) -> str:
    """Runs an iproute2/nft/ethtool command; NetworkError with its stderr if it fails."""
    try:
        done = subprocess.run(
            argv, input=stdin, capture_output=True, text=True, timeout=20, check=False
        )
    except FileNotFoundError as exc:
        raise NetworkError(f"{argv[0]} is not installed (scripts/setup-system.sh)") from exc
    if done.returncode != 0:
        raise NetworkError(f"{' '.join(argv)}: {done.stderr.strip() or done.returncode}")
    return done.stdout


@dataclass(frozen=True)
class Namespace:
    """One network namespace this process created (``/run/netns/<name>``)."""

    name: str

    def argv(self, *command: str) -> list[str]:
        """Returns `command` run inside this namespace (``ip netns exec``)."""
        return ["ip", "netns", "exec", self.name, *command]

    def run(self, *command: str, stdin: str | None = None) -> str:
        """Runs `command` inside this namespace and returns its output."""
        return run(self.argv(*command), stdin=stdin)

    def enter_this_thread(self) -> None:
        """Moves the calling thread (only it) into this namespace: sockets it opens
        afterwards live here, and threads and processes it starts are born here. For
        worker threads that exist for that purpose (else ``entered``)."""
        fd = os.open(NETNS_DIR / self.name, os.O_RDONLY | os.O_CLOEXEC)
        try:
            _setns(fd, self.name)
        finally:
            os.close(fd)

    def is_current(self) -> bool:
        """Returns True if the calling thread is inside this namespace."""
        try:
            here, there = THIS_THREAD.stat(), (NETNS_DIR / self.name).stat()
        except OSError:
            return False
        return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)

    def holds(self, pid: int) -> bool:
        """Returns True if process `pid` runs inside this namespace."""
        try:
            theirs, this = Path(f"/proc/{pid}/ns/net").stat(), (NETNS_DIR / self.name).stat()
        except OSError:
            return False
        return (theirs.st_dev, theirs.st_ino) == (this.st_dev, this.st_ino)

    def exists(self) -> bool:
        """Returns True while the namespace exists."""
        return (NETNS_DIR / self.name).exists()


def _setns(fd: int, name: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise NetworkError(f"setns({name}): {os.strerror(err)}")


@contextlib.contextmanager
def entered(namespace: Namespace) -> Iterator[None]:
    """Keeps the calling thread inside `namespace` for the block, then moves it back to
    the namespace it was in (also on an error). Threads and processes it starts
    meanwhile are born inside and stay there."""
    home = os.open(THIS_THREAD, os.O_RDONLY | os.O_CLOEXEC)
    try:
        namespace.enter_this_thread()
        try:
            yield
        finally:
            _setns(home, "the namespace the thread came from")
    finally:
        os.close(home)


def in_namespace(name: str, function: Callable[[], T]) -> T:
    """Returns `function()` run inside namespace `name` (on a thread of its own, see
    ``call_in``), or right here when `name` is empty."""
    return call_in(Namespace(name), function) if name else function()


def call_in(namespace: Namespace, function: Callable[[], T]) -> T:
    """Returns `function()` run on a new thread inside `namespace` (this thread stays)."""
    results: list[T] = []
    errors: list[BaseException] = []

    def body() -> None:
        try:
            namespace.enter_this_thread()
            results.append(function())
        except BaseException as exc:  # handed to the caller below
            errors.append(exc)

    thread = threading.Thread(target=body, name=f"in-{namespace.name}", daemon=True)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return results[0]


def create_namespace(name: str) -> Namespace:
    """Creates namespace `name` with its loopback up; NetworkError if it exists."""
    if os.geteuid() != 0:
        raise NetworkError("network namespaces need root (CAP_NET_ADMIN)")
    run(["ip", "netns", "add", name])
    namespace = Namespace(name)
    namespace.run("ip", "link", "set", "lo", "up")
    return namespace


def delete_namespace(namespace: Namespace) -> None:
    """Deletes the namespace (its veth ends go with it); nothing if it is gone."""
    if namespace.exists():
        run(["ip", "netns", "del", namespace.name])


@dataclass(frozen=True)
class End:
    """One end of a link: its namespace, interface name and address."""

    namespace: Namespace
    interface: str
    address: str


@dataclass(frozen=True)
class Link:
    """A veth pair between two namespaces: a network path a fault can act on."""

    name: str
    left: End
    right: End

    @property
    def ends(self) -> tuple[End, End]:
        """Returns both ends."""
        return (self.left, self.right)


def connect(name: str, left: Namespace, right: Namespace, *, subnet: str) -> Link:
    """Joins two namespaces with a veth pair on the /30 ``subnet`` (``10.231.1``): the
    left end gets ``.1``, the right ``.2``; offloads off on both, both up."""
    pair = Link(
        name,
        End(left, f"{name}-l", f"{subnet}.1"),
        End(right, f"{name}-r", f"{subnet}.2"),
    )
    # Both ends are made inside their namespaces: the host's own network never sees them.
    left_end = ["name", pair.left.interface, "netns", left.name]
    right_end = ["name", pair.right.interface, "netns", right.name]
    run(["ip", "link", "add", *left_end, "type", "veth", "peer", *right_end])
    for end in pair.ends:
        end.namespace.run("ip", "addr", "add", f"{end.address}/30", "dev", end.interface)
        end.namespace.run("ethtool", "-K", end.interface, *_offloads_off())
        end.namespace.run("ip", "link", "set", end.interface, "up")
    return pair


def _offloads_off() -> list[str]:
    return [word for offload in OFFLOADS for word in (offload, "off")]
