"""The second site's supervisor's share of the work: watching the primary site.

Every round (``cluster/supervisor.py``) it samples both sites into the link journal, so
that the lag in seconds has a history and the primary site's last position outlives it.
With an automatic policy (``DrPolicy.auto_promote_after`` > 0) it also promotes the site
once nothing of the primary site has answered for that long, through the same checks as
``minwon dr promote`` (fenced, lag known and within the bound): a refusal is logged once
and left to an operator. The checks run off the round's thread, so a slow answer never
holds up the restarts the supervisor owes the site's own processes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from minwon.operations.cluster.spec import ClusterSpec
from minwon.operations.dr import link
from minwon.operations.dr.link import LinkJournal
from minwon.operations.dr.site import DrPolicy, SecondSite


class SiteWatch:
    """Samples the link each round; promotes by policy when the primary site is lost."""

    def __init__(self, root: Path, *, log: Callable[[str], None]) -> None:
        self.root = Path(root)
        self.log = log
        self._journal = LinkJournal(self.root)
        self._busy: threading.Thread | None = None
        self._refused: str | None = None  # the last refusal logged (not again)
        self._lost_logged = False

    def tick(self, spec: ClusterSpec, policy: DrPolicy) -> None:
        """Starts one sample (and maybe a promotion) unless the previous is still going."""
        if spec.standby is None or (self._busy is not None and self._busy.is_alive()):
            return
        self._busy = threading.Thread(
            target=self._look, args=(spec, policy), name="site-watch", daemon=True
        )
        self._busy.start()

    def _look(self, spec: ClusterSpec, policy: DrPolicy) -> None:
        try:
            now = time.time()
            samples = self._journal.append(link.sample(spec, now=now))
            if not samples[-1].standby:
                return  # promoted: nothing to watch for any more
            lag = link.lag(samples, now=now)
            if lag.primary_answering:
                self._lost_logged, self._refused = False, None
                return
            silent = now - (lag.primary_seen_at or now)
            if not self._lost_logged:
                self._lost_logged = True
                self.log(f"primary site not answering (last seen {silent:.1f} s ago)")
            if policy.auto_promote_after <= 0 or silent < policy.auto_promote_after:
                return
            assert spec.standby is not None
            site = SecondSite(Path(spec.standby.primary_root), self.root)
            # A refusal is tried again every round: logged (and recorded) once per reason.
            again = self._refused is not None
            result = site.promote(
                max_lag_bytes=policy.max_lag_bytes, by="supervisor", record_refusal=not again
            )
            verdict = result.verdict
            if verdict.allowed:
                self.log(f"promoted the site in {result.seconds} s: {verdict.detail}")
            elif verdict.code != self._refused:
                self._refused = verdict.code
                self.log(f"not promoting ({verdict.code}): {verdict.detail}")
        except Exception as exc:  # the supervisor's loop survives whatever happens here
            self.log(f"site watch failed: {type(exc).__name__}: {exc}")
