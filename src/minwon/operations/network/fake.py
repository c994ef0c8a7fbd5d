"""Two network paths and the kiosks' balancer as a model on a simulated clock.

What F4's steps see, without namespaces: a path that drops large packets still answers
a small GET, loses every large echo, and the balancer marks its servers down 2.5 s after
the fault (two failed 1 s checks) and up again 1 s after the repair (two passing
checks), as measured on the real site (``site.py``). For unit tests of the runbooks.
"""

from __future__ import annotations

from minwon.operations.clock import WaitClock
from minwon.operations.network.faults import LARGE_PACKET_BYTES

DOWN_AFTER = 2.5
UP_AFTER = 1.0


class FakePaths:
    """Paths ``a`` and ``b`` to `apps` app instances, behind a balancer."""

    def __init__(self, clock: WaitClock, apps: int = 2) -> None:
        self.clock = clock
        self.apps = apps
        self._dropping: dict[str, float] = {}  # path -> since when
        self._lifted: dict[str, float] = {}  # path -> when repaired

    @property
    def paths(self) -> tuple[str, ...]:
        """Returns the path names."""
        return ("a", "b")

    def drop_large_packets(self, path: str) -> None:
        """Starts dropping large packets on `path`."""
        self._dropping[path] = self.clock.monotonic()
        self._lifted.pop(path, None)

    def lift(self, path: str) -> None:
        """Repairs `path`."""
        if self._dropping.pop(path, None) is not None:
            self._lifted[path] = self.clock.monotonic()

    def echoes(self, path: str, size: int, timeout: float) -> bool:
        """Small requests always cross; large ones not while the path drops them."""
        return size < LARGE_PACKET_BYTES or path not in self._dropping

    def balancer_servers(self) -> dict[str, bool]:
        """Returns ``app<n>-<path>`` and whether the balancer sends it traffic."""
        now = self.clock.monotonic()

        def up(path: str) -> bool:
            if path in self._dropping:
                return now - self._dropping[path] < DOWN_AFTER
            return now - self._lifted.get(path, float("-inf")) >= UP_AFTER

        return {f"app{n}-{p}": up(p) for n in range(1, self.apps + 1) for p in self.paths}

    def endpoints(self) -> list[str]:
        """Returns nothing real: the fake load issues against the fake cluster."""
        return []

    def enter_kiosks(self) -> None:
        """Nothing to enter in a model."""
