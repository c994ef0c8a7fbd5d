"""Incidents: every fault of the cluster recorded by itself (``minwon ops watch``).

``model`` holds the records (pure), ``conditions`` turns one look at the cluster into the
faults it shows (pure), ``detector`` opens and closes incidents from those (pure), ``gap``
measures the issuance gap from the apps' counters (pure), ``journal`` keeps incidents in
a local file while the database does not answer, ``observe`` and ``watch`` are the
watcher process on a local cluster.
"""
