"""The public status of each channel, and which incidents the public felt (pure).

The public status page (``/status``, ``/status.json``) answers two questions a citizen or
a reporter asks during an outage: can I get my certificate now, and what happened
before. Its facts are the incidents the watcher recorded (operations/incidents/) and the
requests each channel answered per minute (``traffic.ChannelMinute``); this module turns
them into states with stable codes. It never looks at a component's name beyond sorting
it into a class, and nothing it returns carries one.

**How an incident touched the public** (``impact_of``), one of ``IMPACTS``:

* ``outage`` (서비스 중단): a cause every request depends on: the database leader lost
  (``role.failover``, also when it joined an incident as ``also``), or the etcd quorum
  lost (Patroni then runs no leader). Also any incident whose measured issuance gap
  reached ``GAP_OUTAGE_SECONDS``: the apps' own counters say issuing stopped.
* ``degraded`` (일부 장애): a part that serves requests itself stopped or stopped
  answering, while others kept serving: an app instance not ready or exited, a
  load-balancer path or process down (also when such a symptom joined another
  incident as ``also``). Requests in flight there may have failed. Every app instance
  down is no state of its own: this page is served by an app instance, so while it
  answers one runs; afterwards the measured issuance gap makes that incident an outage.
* ``none`` (영향 없음): a part the public does not meet while the service fully works:
  a replica that stopped streaming or lags, a replica's or an etcd member's process, WAL
  archiving, a scheduled backup. A replica down with issuance running is not a public
  outage; the history still lists it (under "영향 없음"), since an honest page errs on
  showing.

**The state of a channel now** (``channel_states``), one of ``STATES``: every channel goes
through the same app instances and the same database, so an open incident (not settled
yet) puts every channel in its impact's state (``none`` leaves them 정상). Then each
channel's own traffic over the last ``RECENT_SECONDS``: with at least
``MIN_REQUESTS`` requests, a failure ratio of ``DEGRADED_RATIO`` or more is 일부 장애,
``OUTAGE_RATIO`` or more 서비스 중단. The worse of the two wins. Without any readable
incident record the state is ``unknown`` (확인할 수 없음), never a guessed 정상. A quiet
channel (no requests) is judged by incidents alone.

**The history** (``Window``): every incident started in the last ``HISTORY_DAYS``, and any
still open however old, newest first. Those the public felt are shown one by one; those
with impact ``none`` are shown too, folded together on the page (an honest page errs on
showing), each with its own line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from minwon.operations.availability.traffic import CHANNELS, ChannelMinute
from minwon.operations.incidents.model import Cause, Incident

OPERATIONAL, DEGRADED, OUTAGE, UNKNOWN = "operational", "degraded", "outage", "unknown"
STATES: dict[str, str] = {
    OPERATIONAL: "정상 운영",
    DEGRADED: "일부 지연·장애",
    OUTAGE: "서비스 중단",
    UNKNOWN: "확인할 수 없음",
}
NONE = "none"
IMPACTS: dict[str, str] = {OUTAGE: "서비스 중단", DEGRADED: "일부 장애", NONE: "영향 없음"}
_RANK = {OPERATIONAL: 0, NONE: 0, DEGRADED: 1, OUTAGE: 2, UNKNOWN: 3}

CHANNEL_NAMES: dict[str, str] = {
    "counter": "창구 발급",
    "kiosk": "무인민원발급기",
    "online": "온라인 발급",
    "verification": "진위확인",
}

GAP_OUTAGE_SECONDS = 10.0  # a measured issuance stall this long is an outage, whatever the cause
RECENT_SECONDS = 300.0  # the traffic that says how a channel answers now
MIN_REQUESTS = 10  # fewer requests than this in RECENT_SECONDS say nothing either way
DEGRADED_RATIO = 0.05
OUTAGE_RATIO = 0.9
HISTORY_DAYS = 90

_EVERYONE = (Cause.ROLE_FAILOVER, Cause.ETCD_QUORUM_LOST, Cause.SITE_LOST)
_SERVING = ("app:", "haproxy:")  # parts that answer requests themselves
_FELT_WHERE_SERVING = (
    Cause.PROCESS_EXIT,
    Cause.PROCESS_HUNG,
    Cause.APP_NOT_READY,
    Cause.HAPROXY_PATH_DOWN,
    Cause.RELEASE_ROLLED_BACK,  # the canary served the broken build to its share
)


def worst(*states: str) -> str:
    """Returns the most severe of `states` (``operational`` for none)."""
    return max(states, key=lambda s: _RANK[s], default=OPERATIONAL)


def _causes(incident: Incident) -> set[Cause]:
    found = {incident.cause}
    for also in incident.also:
        code = also.split("@", 1)[0]
        if code in Cause._value2member_map_:
            found.add(Cause(code))
    return found


def impact_of(incident: Incident) -> str:
    """Returns how the incident touched the public: ``outage``, ``degraded`` or ``none``."""
    gap = incident.issuance_gap_seconds
    if _causes(incident) & set(_EVERYONE) or (gap is not None and gap >= GAP_OUTAGE_SECONDS):
        return OUTAGE
    if _causes(incident) & {Cause.HAPROXY_PATH_DOWN, Cause.APP_NOT_READY, Cause.EDGE_SERVERS_DOWN}:
        return DEGRADED
    if incident.cause in _FELT_WHERE_SERVING and incident.component.startswith(_SERVING):
        return DEGRADED
    return NONE


def public_end(incident: Incident) -> float | None:
    """Returns when the public saw the incident end: every symptom cleared (settled), or
    its cause cleared if that is all that was recorded; None while it lasts."""
    if incident.settled_at is not None:
        return max(incident.settled_at, incident.ended_at or incident.settled_at)
    return None


def traffic_states(minutes: Iterable[ChannelMinute], now: float) -> dict[str, str]:
    """Returns each channel's state from its requests in the last RECENT_SECONDS."""
    ok = dict.fromkeys(CHANNELS, 0)
    failed = dict.fromkeys(CHANNELS, 0)
    for m in minutes:
        if m.minute + 60 > now - RECENT_SECONDS and m.minute <= now:
            ok[m.channel] += m.ok
            failed[m.channel] += m.failed
    states: dict[str, str] = {}
    for channel in CHANNELS:
        total = ok[channel] + failed[channel]
        ratio = failed[channel] / total if total else 0.0
        if total < MIN_REQUESTS or ratio < DEGRADED_RATIO:
            states[channel] = OPERATIONAL
        else:
            states[channel] = OUTAGE if ratio >= OUTAGE_RATIO else DEGRADED
    return states


def channel_states(
    open_incidents: Sequence[Incident], minutes: Iterable[ChannelMinute] | None, now: float
) -> dict[str, str]:
    """Returns each channel's state now: the open incidents' worst impact, made worse by
    the channel's own recent failures (`minutes` None: traffic not known, incidents only)."""
    felt = worst(*(impact_of(i) for i in open_incidents))
    by_incidents = OPERATIONAL if felt == NONE else felt
    by_traffic = traffic_states(minutes or (), now)
    return {ch: worst(by_incidents, by_traffic[ch]) for ch in CHANNELS}


def overall(states: dict[str, str]) -> str:
    """Returns the page's headline state: the worst channel's."""
    return worst(*states.values())


@dataclass(frozen=True)
class Window:
    """The incidents the history shows: those started in the last HISTORY_DAYS, plus any
    still open however old, newest first."""

    since: float

    @classmethod
    def ending(cls, now: float) -> Window:
        """Returns the window of HISTORY_DAYS up to `now`."""
        return cls(now - HISTORY_DAYS * 86_400)

    def select(self, incidents: Iterable[Incident]) -> list[Incident]:
        """Returns the incidents in the window, newest first."""
        chosen = [i for i in incidents if i.started_at >= self.since or i.is_open]
        return sorted(chosen, key=lambda i: i.started_at, reverse=True)
