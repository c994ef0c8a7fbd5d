"""The PostgreSQL cluster Minwon runs on: Patroni + etcd + HAProxy, described once.

Described: ``spec`` (topology as values), ``topology`` (local and real-host layouts),
``tuning`` (the settings and why). Rendered: ``render`` (one set of templates), ``plan``
(files for real hosts). Observed: ``status`` (pure snapshots and their problems),
``probes`` (reading the running parts). Run: ``backend`` (the protocol), ``local`` (the
launcher, with ``kinds``, ``state``, ``faults``, ``workspace``, ``host``, ``supervise``,
``switchover``) and ``fake`` (an in-memory cluster for tests).
"""

from __future__ import annotations
