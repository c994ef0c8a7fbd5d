"""The channel memory of signed-in tokens is bounded and forgets the least recently used."""

from __future__ import annotations

from minwon.web.traffic import RecentCallers


def test_tokens_are_remembered_by_digest_and_the_oldest_forgotten() -> None:
    callers = RecentCallers(size=2)
    callers.remember("token-a", "kiosk")
    callers.remember("token-b", "clerk")
    assert callers.kind_of("token-a") == "kiosk"
    callers.remember("token-a", "kiosk")  # used again: now the newest
    callers.remember("token-c", "citizen")
    assert callers.kind_of("token-b") is None  # the least recently used went
    assert (callers.kind_of("token-a"), callers.kind_of("token-c")) == ("kiosk", "citizen")
    assert callers.kind_of("never-seen") is None
    # Nothing of a token is kept that could be shown: only its SHA-256 digest.
    assert all(b"token" not in key for key in callers._kinds)
