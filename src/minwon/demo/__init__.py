"""A deterministic synthetic 전주시 registry for demos, tests and load checks.

Everything is drawn from one ``random.Random(seed)``, so a seed always yields the same
people, numbers, households and accounts; only the AES-GCM ciphertexts differ between runs
(random nonces), the digests do not. No real person's data is anywhere: names come from
Faker ``ko_KR``, numbers are generated with valid structure.
"""

from __future__ import annotations

from minwon.demo.accounts import DEMO_KIOSK_KEY, DEMO_KIOSK_KEYS, DEMO_PASSWORD
from minwon.demo.load import DemoDataError, DemoSummary, generate_registry

__all__ = [
    "DEMO_KIOSK_KEY",
    "DEMO_KIOSK_KEYS",
    "DEMO_PASSWORD",
    "DemoDataError",
    "DemoSummary",
    "generate_registry",
]
