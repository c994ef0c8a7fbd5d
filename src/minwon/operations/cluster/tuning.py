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
    "wal_sender_timeout": "60s",  # PostgreSQL's
    "wal_receiver_status_interval": "10s",  # PostgreSQL's
    "haproxy_inter": "2s",
    "haproxy_fastinter": "2s",
    "haproxy_downinter": "2s",
    "haproxy_timeout_connect": "5s",  # the value in HAProxy's example configuration
    "haproxy_fall": 3,
    "haproxy_rise": 2,
}

# What Minwon runs with (why: see ``dcs_settings`` and ``HAPROXY_DEFAULT_SERVER``).
MINWON_TUNED: dict[str, int | bool | str] = {
    "ttl": 20,
    "loop_wait": 1,
    "retry_timeout": 5,
    "primary_start_timeout": 0,
    "synchronous_mode": "quorum",
    "failsafe_mode": True,
    "wal_sender_timeout": "5s",
    "wal_receiver_status_interval": "1s",
    "haproxy_inter": "1s",
    "haproxy_fastinter": "500ms",
    # A standby is "down" in HAProxy until promoted: checking it four times a second
    # finds the new primary within 0.25 s of its promotion.
    "haproxy_downinter": "250ms",
    # HAProxy waits min(timeout connect, 1 s) before retrying a refused connection: with
    # 1 s, sessions sent to the old primary during a switchover took 2 s to fail (2
    # retries). Loopback or a LAN connects in well under a millisecond.
    "haproxy_timeout_connect": "250ms",
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
        # Measured by partitioning the primary's host (P1, tests/scenarios/
        # test_partition.py): each failing HA loop overruns 5 s to ~7.5 s (its requests'
        # own timeouts), Patroni sometimes needs two of them, and failsafe_mode then calls
        # every member first (2 x 2 s): demoted 9.0-19.7 s after the cut (13 runs), a new
        # leader writing 21.3-26.0 s. With 3 s: 7.2-12.3 s (6 runs), new leader unchanged.
        # 5 is kept until the other scenarios are measured with 3; what makes an overlap
        # harmless meanwhile is strict synchronous replication (the cut-off side reaches no
        # standby, so it acknowledges nothing).
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
        # 2 they would stop).
        # Quorum ("ANY 1 (pg2, pg3)"), not one named sync standby: a commit waits for
        # whichever standby confirms first, so a standby that hangs instead of dying costs
        # nothing. Longest gap without an acknowledgement under issuance load while the
        # sync standby's walreceiver (G1) / whole PostgreSQL (G2) was SIGSTOPped for 12 s,
        # min/median/max of 3 runs (1 run for the first row):
        #   one named sync standby, stock timeouts: G1 61.7 s (PostgreSQL's 60 s
        #     wal_sender_timeout), G2 12.0 s (the whole pause);
        #   same, wal_sender_timeout 2 s + maximum_lag_on_syncnode 1 MB: G1 2.34/2.69/3.05,
        #     G2 2.64/2.90/3.06 s (the timeout, then a Patroni loop moves the role; the lag
        #     bound never moved it sooner: a stalled primary writes almost nothing);
        #   quorum: G1 0.21/0.31/0.38, G2 0.23/0.24/0.40 s (the load's own spacing);
        #   quorum + wal_sender_timeout 5 s: G1 0.20/0.21/0.29, G2 0.23/0.29/0.32 s.
        # 0 lost, 0 duplicated, 0 failed requests in every run. Failover stays safe:
        # Patroni promotes a quorum member only once enough other voters answer that they
        # are not ahead of it (ha.py _is_healthiest_node), so the new primary holds every
        # commit any standby confirmed.
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
                "wal_receiver_status_interval": tuned["wal_receiver_status_interval"],
                # A hung standby's walsender ends after 5 s and Patroni takes it out of the
                # quorum, so a failover right after no longer waits for its vote. Not on
                # the commit path in quorum mode; shorter would drop a slow standby on a
                # busy 2-core host for nothing.
                "wal_sender_timeout": tuned["wal_sender_timeout"],
                # Each commit's time is kept (pg_xact_commit_timestamp): a recovery drill
                # (backup/drill.py) proves a point-in-time restore against the very
                # timestamps recovery_target_time compares, so "committed at or before
                # TIME" is exact, not guessed from a column the app wrote. Costs 10 bytes
                # per transaction in pg_commit_ts; changing it needs a restart.
                "track_commit_timestamp": "on",
            },
        },
    }


# -- the app balancer (HTTP to the app instances over every network path) ---------------

# A path is checked with a body this large, sent and echoed back by POST /healthz/echo:
# several full-size packets each way. The 2023 router dropped packets of 1,500 bytes and
# more while a small GET /health kept passing; a 4 KB echo marked such a path down in
# ~2.6 s here (DESIGN.md F4). The marker ends the body, so a check passes only when the
# whole echo came back.
PATH_CHECK_BYTES = 4096
PATH_CHECK_END = "MINWON-PATH-CHECK-END"
# Checked every 500 ms, 250 ms once failing, down after 2 failures (each up to `timeout
# check` 1 s): a path that drops large packets is out within ~2.5 s; up again after 2
# passes, so a flapping path does not come back on one lucky check.
APP_BALANCER_DEFAULT_SERVER = "inter 500ms fastinter 250ms downinter 500ms fall 2 rise 2"
# An answer that has not begun within 3 s is retried on another instance (issuance is
# idempotent by key): issuance takes ~50 ms here, seconds only on a dead path.
APP_BALANCER_SERVER_TIMEOUT = "3s"


def path_check_body() -> str:
    """Returns the echo body the app balancer sends on every check of every path."""
    filler = "minwon-path-check "
    body_bytes = PATH_CHECK_BYTES - len(PATH_CHECK_END)
    return (filler * (body_bytes // len(filler) + 1))[:body_bytes] + PATH_CHECK_END
