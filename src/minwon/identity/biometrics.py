"""Biometric-verifier port (kiosk fingerprint step) and the simulated adapter we ship.

Real kiosks send a fingerprint capture to the national verifier; here the port is a
Protocol so a city can plug its vendor's adapter in bootstrap.py. The simulator accepts a
capture equal to ``simulated_capture(secret, rrn_digest)``: deterministic, so demos and
browser tests can "touch the sensor" without any real biometric data.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Protocol


class BiometricVerifier(Protocol):
    def matches(self, *, rrn_digest: str, capture: str) -> bool:
        """Returns True when the capture belongs to the person with this number."""
        ...


class DemoSensor(Protocol):
    def capture_for(self, *, rrn_digest: str) -> str:
        """Returns the capture a demo "touch" produces for the person with this number."""
        ...


def simulated_capture(secret: bytes, rrn_digest: str) -> str:
    """Returns the capture the simulator accepts for a person (for demos and tests)."""
    return hmac.new(secret, rrn_digest.encode(), hashlib.sha256).hexdigest()[:32]


class SimulatedFingerprintVerifier:
    """Accepts exactly the simulated capture of the person; rejects everything else. It is
    also the demo sensor that produces that capture."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def capture_for(self, *, rrn_digest: str) -> str:
        return simulated_capture(self._secret, rrn_digest)

    def matches(self, *, rrn_digest: str, capture: str) -> bool:
        expected = simulated_capture(self._secret, rrn_digest)
        return hmac.compare_digest(expected, capture.strip().lower())
