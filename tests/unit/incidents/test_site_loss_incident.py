"""The second site's watcher records the primary site's loss (F5): from the first look
that found nothing of it answering, to the promotion that made this site take writes
(as ``promotions.jsonl`` recorded it, else the look that saw it); the paths and apps a
promoted site's first seconds show join that incident; a cut link is its own incident."""

from __future__ import annotations

from minwon.operations.incidents.conditions import app_reading
from minwon.operations.incidents.detector import SITE_SETTLE_HOLD
from minwon.operations.incidents.model import Cause
from minwon.operations.incidents.site import LINK, SITE, SiteLook, SiteTracker
from support.unit_incidents import Run

FOLLOWING = SiteLook(primary_answering=True, following=True, writable=False, link_up=True)
LOST = SiteLook(primary_answering=False, following=True, writable=False, link_up=True)
PROMOTING = SiteLook(primary_answering=False, following=False, writable=False, link_up=None)


def _promoted(at: float | None) -> SiteLook:
    return SiteLook(False, False, True, None, promoted_at=at, promoted_by="supervisor")


def test_the_loss_runs_from_the_first_silent_look_to_the_recorded_promotion() -> None:
    sites, run = SiteTracker(), Run()
    for t in (100.0, 100.5, 101.0):
        run.round(t + 0.1, sites.read(t, FOLLOWING))
    assert run.seen == {}
    for t in (101.5, 102.0, 102.5, 103.0):
        run.round(t + 0.1, sites.read(t, LOST))
    run.round(103.6, sites.read(103.5, PROMOTING))  # Patroni promoted; no path reaches it yet
    assert sites.promoted is False
    run.round(104.1, sites.read(104.0, _promoted(103.82)))
    assert sites.promoted is True
    incident = run.only()
    assert (incident.component, incident.cause) == (SITE, Cause.SITE_LOST)
    assert incident.started_at == 101.5 and incident.ended_at == 103.82
    assert "supervisor" in incident.cause_detail
    # The promoted site's app not ready a moment: part of the same incident, not its own.
    run.round(104.6, sites.read(104.5, _promoted(103.82)), app_reading(104.5, "1", False))
    assert incident.id in run.seen and len(run.seen) == 1
    assert "app.not_ready@app:1" in run.seen[incident.id].also
    for t in (105.0, 106.0, 107.0, 108.0, 109.0, 110.0):
        run.round(t + 0.1, sites.read(t, _promoted(103.82)), app_reading(t, "1", True))
    settled = run.only()
    assert settled.settled_at is not None and not settled.is_open
    assert settled.settled_at < 104.6 + SITE_SETTLE_HOLD


def test_without_a_recorded_promotion_the_look_that_saw_writes_ends_it() -> None:
    sites, run = SiteTracker(), Run()
    run.round(10.1, sites.read(10.0, LOST))
    run.round(10.6, sites.read(10.5, _promoted(None)))
    assert run.only().ended_at == 10.5
    # An old promotion (before this loss) is not this one's end.
    sites, run = SiteTracker(), Run()
    run.round(50.1, sites.read(50.0, LOST))
    run.round(50.6, sites.read(50.5, _promoted(20.0)))
    assert run.only().ended_at == 50.5


def test_a_promoted_site_records_no_loss_of_the_old_primary() -> None:
    sites, run = SiteTracker(), Run()
    run.round(1.1, sites.read(1.0, _promoted(0.5)))
    for t in (2.0, 3.0):
        run.round(t + 0.1, sites.read(t, PROMOTING))  # the old site stays dead
    assert run.seen == {}


def test_a_cut_link_is_an_incident_of_its_own_while_the_site_follows() -> None:
    sites, run = SiteTracker(), Run()
    cut = SiteLook(True, True, False, link_up=False)
    run.round(5.1, sites.read(5.0, cut))
    run.round(5.6, sites.read(5.5, cut))
    run.round(6.1, sites.read(6.0, FOLLOWING))
    incident = run.only()
    assert (incident.component, incident.cause) == (LINK, Cause.DR_LINK_LOST)
    assert (incident.started_at, incident.ended_at) == (5.0, 6.0)
    # Unknown (HAProxy did not say) is no cut.
    sites, run = SiteTracker(), Run()
    run.round(7.1, sites.read(7.0, SiteLook(True, True, False, link_up=None)))
    assert run.seen == {}
