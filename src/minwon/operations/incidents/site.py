"""The primary site as the second site's watcher sees it (``minwon dr up`` starts one).

The primary site's own watcher dies with it: only the second site can record its loss.
Each look (a prober's thread, every 0.5 s) asks the primary site's nodes where their WAL
stands (``dr/link.py``: none answering as a primary is a lost site), whether this site's
leader still follows, once it does not whether one of this site's paths reaches it (the
site takes writes: promoted), and while it follows whether its link is in service.

``SiteTracker`` turns the looks into conditions (pure): ``site.lost`` on ``site:primary``
from the first look that found nothing of the primary site answering while this site did
not take writes, until it does (ended at the promotion ``minwon dr promote`` or the
supervisor recorded, if one is recorded since); ``dr.link_lost`` on ``site:link`` while
the link is cut and the site follows. Until the site takes writes its paths and apps
cannot be ready (a standby takes no writes): the observer leaves them out till then.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from minwon.operations.cluster import balancer
from minwon.operations.cluster.probes import reaches_primary
from minwon.operations.cluster.spec import ClusterSpec, Credentials
from minwon.operations.dr import link
from minwon.operations.dr.site import LINK_BACKEND, PROMOTIONS_FILE
from minwon.operations.incidents.conditions import Condition, Reading, Resolution
from minwon.operations.incidents.model import Cause

SITE = "site:primary"
LINK = "site:link"


@dataclass(frozen=True)
class SiteLook:
    """One look at both sites."""

    primary_answering: bool  # a node of the primary site answers as its primary
    following: bool  # this site's leader is a standby leader (or did not answer)
    writable: bool  # promoted, and one of this site's paths reaches its leader
    link_up: bool | None  # the link's servers in service (None: not asked or no answer)
    promoted_at: float | None = None  # the last promotion recorded (promotions.jsonl)
    promoted_by: str = ""


def _link_up(spec: ClusterSpec) -> bool | None:
    try:
        states = [
            not s.status.startswith("MAINT")
            for p in spec.haproxies
            for s in balancer.servers(p.admin_socket, LINK_BACKEND)
        ]
    except (balancer.BalancerError, OSError):
        return None
    return any(states)


def _last_promotion(root: Path) -> tuple[float | None, str]:
    try:
        lines = (root / PROMOTIONS_FILE).read_text(encoding="utf-8").splitlines()
    except OSError:
        return None, ""
    for line in reversed(lines):
        try:
            record = json.loads(line)
            if record["verdict"]["allowed"]:
                by, code = record.get("by", ""), record["verdict"].get("code", "")
                return float(record["at"]), f"{by}: {code} in {record.get('seconds')} s"
        except (ValueError, KeyError, TypeError):
            continue
    return None, ""


def look_at_sites(root: Path, spec: ClusterSpec, credentials: Credentials) -> SiteLook:
    """Takes one look (the primary site first: its answer dates the loss)."""
    answering = link.primary_position(spec) is not None
    _, _, following = link.local_positions(spec)
    writable = not following and any(reaches_primary(spec, p, credentials) for p in spec.haproxies)
    promoted_at, by = _last_promotion(root) if writable else (None, "")
    return SiteLook(
        answering, following, writable, _link_up(spec) if following else None, promoted_at, by
    )


@dataclass
class SiteTracker:
    """The site's conditions, look after look: remembers when each began."""

    promoted: bool = False  # seen taking writes: from then on this site is the primary
    _lost_since: float | None = None
    _cut_since: float | None = None

    def read(self, at: float, look: SiteLook) -> Reading:
        """Returns the reading of the look that began at `at`."""
        self.promoted = self.promoted or look.writable
        conditions: list[Condition] = []
        resolutions: list[Resolution] = []
        if not look.primary_answering and not self.promoted:
            self._lost_since = self._lost_since or at
            detail = "주 사이트의 어떤 노드도 주 서버로 응답하지 않음; 이 사이트는 아직 승격 전"
            conditions.append(Condition(SITE, Cause.SITE_LOST, detail, self._lost_since))
        else:
            self._lost_since = None
        if look.promoted_at is not None:
            detail = f"second site promoted ({look.promoted_by})"
            resolutions.append(Resolution(SITE, Cause.SITE_LOST, look.promoted_at, detail))
        if look.following and look.link_up is False and not self.promoted:
            self._cut_since = self._cut_since or at
            detail = f"{LINK_BACKEND}: every server in maintenance (the link is cut)"
            conditions.append(Condition(LINK, Cause.DR_LINK_LOST, detail, self._cut_since))
        else:
            self._cut_since = None
        return Reading("site", at, tuple(conditions), tuple(resolutions))
