"""The incidents of a local cluster: its database (the app's own connection, through
every HAProxy path) and its journal ``<root>/incidents.jsonl``; and its watcher."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from sqlalchemy import Engine

from minwon.adapters.database import make_engine
from minwon.operations.cluster.control import STATE_FILE, read_credentials
from minwon.operations.cluster.errors import ClusterNotFoundError
from minwon.operations.cluster.state import StateStore
from minwon.operations.incidents.issued import IssuedFeed
from minwon.operations.incidents.journal import JOURNAL_FILE, Journal
from minwon.operations.incidents.store import DurableIncidents, SqlIncidents
from minwon.operations.incidents.watch import Watcher


def cluster_engine(root: Path) -> Engine:
    """Returns an engine on the cluster's database (ClusterNotFoundError: no cluster)."""
    state = StateStore(root / STATE_FILE).read()
    if state is None:
        raise ClusterNotFoundError(f"no cluster state in {root}")
    password = read_credentials(root).app_password
    return make_engine(state.spec.database_url(password), pool_size=2)


def local_incidents(root: Path) -> tuple[DurableIncidents, Engine]:
    """Returns the cluster's incident store and its engine (dispose it when done)."""
    engine = cluster_engine(root)
    return DurableIncidents(SqlIncidents(engine), Journal(root / JOURNAL_FILE)), engine


def local_watcher(root: Path, *, out: TextIO | None = None) -> Watcher:
    """Returns the watcher of the local cluster in `root`, not yet running."""
    from minwon.operations.incidents.observe import LocalObserver  # starts threads

    root = root.absolute()
    store, _ = local_incidents(root)
    # Its own engine: the feed's thread reads while the writer's thread stores.
    observer = LocalObserver(root, IssuedFeed(cluster_engine(root)))
    watcher = Watcher(root, store, observer.look, out=out, on_resume=observer.resume)
    observer.dates_issuance_in(watcher.detector.track)
    return watcher
