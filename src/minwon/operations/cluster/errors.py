"""What can go wrong when starting, reaching or changing a cluster, as exception types."""

from __future__ import annotations


class ClusterError(RuntimeError):
    """The cluster could not be started, reached or changed; the message says why."""


class ClusterNotFoundError(ClusterError):
    """No cluster state in the given folder (never started, or already stopped)."""


class MissingBinaryError(ClusterError):
    """A program the cluster needs (etcd, haproxy, patroni, postgres) is not installed."""


class UnknownProcessError(ClusterError, ValueError):
    """A process reference names no kind or no member of the cluster."""
