"""The PostgreSQL cluster Minwon runs on: Patroni + etcd + HAProxy, described once.

``spec`` describes a topology (pure), ``render`` turns it into configuration files from
one set of templates, ``local`` launches it as processes on 127.0.0.1, ``plan`` writes it
for real hosts, ``status`` reads what is actually running.
"""

from __future__ import annotations
