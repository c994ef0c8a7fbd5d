"""Patroni, PostgreSQL and HAProxy settings Minwon runs with, each with its reason.

Measured on this machine kind (DESIGN.md); ``PATRONI_DEFAULTS`` beside ``MINWON_TUNED``
is what the failover benchmark prints.
"""

from __future__ import annotations

from typing import Any

# Patroni's own defaults and HAProxy's stock check timing, for the benchmark table.
PATRONI_DEFAULTS: dict[str, int | bool | str] = {
    "ttl": 30,
    "loop_wait": 10,
    "retry_timeout": 10,
    "primary_start_timeout": 300,
    "synchronous_mode": False,
    "failsafe_mode": False,
    "haproxy_inter": "2s",
    "haproxy_fastinter": "2s",
    "haproxy_downinter": "2s",
    "haproxy_fall": 3,
    "haproxy_rise": 2,
}

# What Minwon runs with (why: see ``dcs_settings`` and ``HAPROXY_DEFAULT_SERVER``).
MINWON_TUNED: dict[str, int | bool | str] = {
    "ttl": 20,
    "loop_wait": 1,
    "retry_timeout": 5,
    "primary_start_timeout": 0,
    "synchronous_mode": True,
    "failsafe_mode": True,
    "haproxy_inter": "1s",
    "haproxy_fastinter": "500ms",
    # A standby is "down" in HAProxy until promoted: checking it twice a second finds the
    # new primary within 0.5 s of its promotion.
    "haproxy_downinter": "500ms",
    "haproxy_fall": 2,
    "haproxy_rise": 1,
}

# Stock timing (inter 2-3 s, fall 3) added 4-6 s to every failover here; these add ~0.2 s,
# the same as a libpq multi-host string. `shutdown-sessions` cuts clients still attached
# to a demoted primary so that their pools reconnect to the new one at once.
HAPROXY_DEFAULT_SERVER = (
    f"inter {MINWON_TUNED['haproxy_inter']} fastinter {MINWON_TUNED['haproxy_fastinter']} "
    f"downinter {MINWON_TUNED['haproxy_downinter']} "
    f"fall {MINWON_TUNED['haproxy_fall']} rise {MINWON_TUNED['haproxy_rise']} "
    "on-marked-down shutdown-sessions"
)
# Pooled application connections sit idle between requests: a short client/server timeout
# would cut them and turn into errors on the next request.
HAPROXY_IDLE_TIMEOUT = "30m"

# Patroni's REST API reports lag in bytes; above this a standby is not "healthy".
MAX_HEALTHY_LAG_BYTES = 16 * 1024 * 1024

# A standby replies at least every wal_receiver_status_interval (1 s, ``dcs_settings``);
# one the primary has not heard from for three intervals is hung, whatever Patroni says.
MAX_REPLY_AGE_SECONDS = 3.0


def dcs_settings() -> dict[str, Any]:
    """Returns the cluster-wide settings Patroni stores in etcd at bootstrap."""
    tuned = MINWON_TUNED
    return {
        # Patroni rejects ttl < 20 s. The leader lease, not routing, bounds failover after a
        # host dies: measured 19.7-20.4 s to new acknowledged writes at ttl 20.
        "ttl": tuned["ttl"],
        # One HA loop per second: a crashed postmaster or a lost sync standby is noticed
        # within ~1 s and a switchover finishes in a few loops. Three members cost etcd
        # nothing at this rate. (Measured failover time did not differ between 1 and 2.)
        "loop_wait": tuned["loop_wait"],
        # loop_wait + 2 * retry_timeout = 11 <= ttl 20, as Patroni requires: a leader that
        # cannot reach etcd gives up and demotes before its lease could expire under it.
        "retry_timeout": tuned["retry_timeout"],
        # With strict synchronous mode the sync standby has every acknowledged commit; this
        # only keeps a badly lagging async standby from being promoted.
        "maximum_lag_on_failover": 1024 * 1024,
        # A crashed primary is failed over at once (to the sync standby, which holds every
        # acknowledged commit) instead of waiting up to 300 s for it to restart in place.
        "primary_start_timeout": tuned["primary_start_timeout"],
        # Strict: a commit is acknowledged only after a standby has it, so losing the
        # primary loses no acknowledged issuance. Non-strict acknowledged thousands of
        # writes no standby held. With 3 nodes writes go on when any one node dies (with
        # 2 they would stop); "quorum" mode would also skip the ~1 loop of stalled commits
        # while Patroni moves the sync role off a dead standby, but it is newer in Patroni
        # and reports roles differently; one named sync standby is simpler to observe.
        "synchronous_mode": tuned["synchronous_mode"],
        "synchronous_mode_strict": True,
        "synchronous_node_count": 1,
        # If etcd loses quorum, a primary that still sees every member keeps serving
        # instead of demoting itself (F7); no member can be promoted without etcd.
        "failsafe_mode": tuned["failsafe_mode"],
        "postgresql": {
            "use_pg_rewind": True,  # an old primary rejoins as standby without a re-clone
            "use_slots": True,
            "parameters": {
                "wal_level": "replica",
                "hot_standby": "on",
                "wal_log_hints": "on",  # pg_rewind needs it (no data checksums required)
                "max_wal_senders": 10,
                "max_replication_slots": 10,
                "synchronous_commit": "on",
                "wal_keep_size": "256MB",
                "max_connections": 200,
                "password_encryption": "scram-sha-256",
                # A standby reports its position every second even when idle (default
                # 10 s): the primary's reply_time then tells a hung standby within ~3 s
                # (MAX_REPLY_AGE_SECONDS), which status reports though Patroni says
                # "streaming".
                "wal_receiver_status_interval": "1s",
            },
        },
    }
