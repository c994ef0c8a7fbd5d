"""Steps of the partition runbook: the primary's host is cut off from the network.

They act on ``ctx.host_faults()``: the cluster's hosts, each in a network namespace of
its own (a model in unit tests). Two watchers run through the scenario: every member's
role, sampled over the nodes' Unix sockets, which no partition cuts; and a client on
the primary's own host that keeps committing straight to it, the one client a partition
leaves on the isolated side.
"""

from __future__ import annotations

from minwon.operations.clock import wait_until
from minwon.operations.cluster.tuning import MINWON_TUNED
from minwon.operations.load import Ack
from minwon.operations.scenarios.context import ScenarioContext, StepFailedError
from minwon.operations.scenarios.split_brain import (
    Commit,
    RoleSample,
    acknowledged_after,
    another_leads,
    longest_between,
    stopped_leading,
    with_two_primaries,
)
from minwon.operations.scenarios.steps import POLL, Keyword, Step

TTL = float(str(MINWON_TUNED["ttl"]))  # the leader lease: nobody else leads sooner
FIRST_LOOK_SECONDS = 30.0  # for the watchers' first sample or commit


def _watch_roles(ctx: ScenarioContext) -> str:
    ctx.roles = ctx.host_faults().watch_roles()
    roles = ctx.roles
    if not wait_until(lambda: bool(roles.seen()), timeout=FIRST_LOOK_SECONDS, clock=ctx.clock):
        raise StepFailedError(f"no member answered within {FIRST_LOOK_SECONDS:.0f} s")
    first = roles.seen()[0]
    if len(first.primaries) != 1:
        raise StepFailedError(f"not one primary to begin with: {dict(first.roles)}")
    return f"{first.primaries[0]} takes writes; roles {dict(first.roles)}"


def _write_on_primary_host(ctx: ScenarioContext) -> str:
    ctx.old_primary = ctx.cluster.leader()
    ctx.writer = ctx.host_faults().write_on_host(ctx.old_primary)
    writer = ctx.writer

    def acknowledged() -> bool:
        return any(c.acknowledged for c in writer.seen())

    if not wait_until(acknowledged, timeout=FIRST_LOOK_SECONDS, clock=ctx.clock):
        raise StepFailedError(f"no commit on {ctx.old_primary}'s host was acknowledged")
    return f"a client on {ctx.old_primary}'s host commits there; the first came back"


def _partition_primary_host(ctx: ScenarioContext) -> str:
    old = ctx.previous_primary()
    leader = ctx.cluster.leader()
    if leader != old:
        raise StepFailedError(f"the leader moved from {old} to {leader} before the fault")
    ctx.host_faults().isolate(old)
    ctx.fault_begins()  # once the rules are in: what was sent before may still commit
    return f"{old}'s host drops every packet in and out: etcd, the other nodes and the apps"


def _roles(ctx: ScenarioContext) -> list[RoleSample]:
    if ctx.roles is None:
        raise StepFailedError("nobody watches the members' roles")
    return ctx.roles.seen()


def _old_primary_demotes(ctx: ScenarioContext) -> str:
    old, injected = ctx.previous_primary(), ctx.fault_time()
    found: list[float] = []

    def demoted() -> bool:
        at = stopped_leading(_roles(ctx), old, injected)
        found[:] = [at] if at is not None else []
        return bool(found)

    timeout = ctx.settings.resume_timeout
    if not wait_until(demoted, timeout=timeout, clock=ctx.clock, interval=POLL / 5):
        raise StepFailedError(f"{old} still takes writes {timeout:.0f} s after the partition")
    seconds = found[0] - injected
    ctx.figures["demote_seconds"] = round(seconds, 3)
    return f"{old} stopped taking writes {seconds:.2f} s after the cut (leader lease {TTL:g} s)"


def _commits(ctx: ScenarioContext) -> list[Commit]:
    if ctx.writer is None:
        raise StepFailedError("no client wrote on the primary's host")
    return ctx.writer.stop()


def _nothing_acked_on_isolated_side(ctx: ScenarioContext) -> str:
    old, injected = ctx.previous_primary(), ctx.fault_time()
    commits = _commits(ctx)
    after = [c for c in commits if c.began > injected]
    acked = acknowledged_after(commits, injected)
    before = [c.row for c in commits if c.began <= injected and c.row is not None]
    new = ctx.cluster.leader()
    missing = ctx.host_faults().rows_missing(new, before)
    ctx.figures["isolated_commits"] = len(after)
    ctx.figures["isolated_acknowledged"] = len(acked)
    if acked or missing:
        moments = ", ".join(
            f"sent +{c.began - injected:.3f} s, back +{(c.acknowledged_at or 0) - injected:.3f} s"
            for c in acked[:3]
        )
        raise StepFailedError(
            f"{len(acked)} of {len(after)} commits sent on {old}'s host after the cut were "
            f"acknowledged ({moments}); {missing} of the {len(before)} acknowledged before "
            f"are not on {new}"
        )
    if not after:
        raise StepFailedError(f"the client on {old}'s host sent nothing after the cut")
    return (
        f"0 of {len(after)} commits sent on {old}'s host after the cut acknowledged; all "
        f"{len(before)} acknowledged before it are on {new}"
    )


def _issuance_resumes_on_new_leader(ctx: ScenarioContext) -> str:
    load, injected = ctx.running_load(), ctx.fault_time()
    timeout = ctx.settings.resume_timeout

    def sent_after(acks: list[Ack]) -> list[Ack]:
        return [a for a in acks if a.began is not None and a.began > injected]

    if not wait_until(
        lambda: bool(sent_after(load.acknowledged())),
        timeout=timeout,
        clock=ctx.clock,
        interval=0.05,
    ):
        raise StepFailedError(f"no issuance sent after the cut acknowledged within {timeout:.0f} s")
    acks = load.acknowledged()
    ctx.resumed = min(a.at for a in sent_after(acks))
    finished = [a for a in acks if a.at > injected and (a.began or injected) <= injected]
    return (
        f"first issuance sent after the cut acknowledged {ctx.resumed - injected:.2f} s "
        f"after it; {len(finished)} sent before it finished after it"
    )


def _heal(ctx: ScenarioContext) -> str:
    if ctx.injected is None or ctx.old_primary is None:
        return "nothing was cut"
    ctx.host_faults().heal(ctx.old_primary)
    ctx.figures["healed_at"] = round(ctx.clock.now().timestamp(), 3)  # wall: incidents compare
    return f"{ctx.old_primary}'s host is on the network again"


def _never_two_primaries(ctx: ScenarioContext) -> str:
    if ctx.writer is not None:
        ctx.writer.stop()  # after a failed run: no writer left behind
    if ctx.roles is None:
        raise StepFailedError("nobody watched the members' roles")
    samples, end = ctx.roles.stop(), ctx.clock.monotonic()
    if not samples:
        raise StepFailedError("the role watch saw nothing")
    two = with_two_primaries(samples)
    injected = ctx.injected if ctx.injected is not None else samples[0].at
    blind = longest_between(samples, samples[0].at, end)
    ctx.figures["role_samples"] = len(samples)
    ctx.figures["two_primary_samples"] = len(two)
    ctx.figures["role_watch_gap_seconds"] = round(blind, 3)
    found = another_leads(samples, ctx.old_primary or "", injected)
    if found is not None:
        ctx.figures["new_primary_seconds"] = round(found[1] - injected, 3)
    if two:
        moments = ", ".join(f"+{s.at - injected:.2f} s {list(s.primaries)}" for s in two[:5])
        raise StepFailedError(f"{len(two)} samples saw two members taking writes: {moments}")
    span = samples[-1].at - samples[0].at
    new = f"; {found[0]} took writes from +{found[1] - injected:.2f} s" if found else ""
    return (
        f"{len(samples)} samples over {span:.1f} s (at most {blind:.2f} s apart): never two "
        f"members taking writes{new}"
    )


WATCH_ROLES = Step(
    Keyword.GIVEN,
    "every member's PostgreSQL is asked ten times a second, over its Unix socket (a file, "
    "which no partition cuts), whether it takes writes; exactly one does",
    _watch_roles,
    how="서버마다 유닉스 소켓으로 SELECT pg_is_in_recovery()를 0.1초마다",
    ko="모든 서버의 PostgreSQL에 유닉스 소켓으로 (분단되지 않는 파일) 1초에 열 번 쓰기를 "
    "받는지 묻는다; 받는 서버는 하나뿐이다",
)
WRITE_ON_PRIMARY_HOST = Step(
    Keyword.GIVEN,
    "a client on the primary's own host commits row after row straight to its PostgreSQL "
    "(synchronous commit, never cancelled), and its commits come back",
    _write_on_primary_host,
    how="주 서버 호스트 안에서 psql로 INSERT … ; COMMIT 반복 (취소하지 않는다)",
    ko="주 서버 호스트 안의 클라이언트가 그 PostgreSQL에 한 줄씩 커밋하고 (동기 커밋, 취소 "
    "없음) 커밋이 승인되어 돌아온다",
)
PARTITION_PRIMARY_HOST = Step(
    Keyword.WHEN,
    "the primary's host is cut off from the network: every packet in or out vanishes, "
    "so it reaches neither etcd, nor the other nodes, nor HAProxy and the apps",
    _partition_primary_host,
    how="주 서버 호스트에서 nft: iifname/oifname <업링크> drop (양방향, 조용히 버림)",
    ko="주 서버의 호스트를 네트워크에서 끊는다: 드나드는 패킷이 모두 사라져 etcd에도, 다른 "
    "서버에도, HAProxy와 앱에도 닿지 않는다",
)
OLD_PRIMARY_DEMOTES = Step(
    Keyword.THEN,
    f"wait until the isolated primary demotes itself: it stops taking writes (Patroni "
    f"means it to before its {TTL:g} s leader lease can pass to another member)",
    _old_primary_demotes,
    how="격리된 호스트의 유닉스 소켓으로 SELECT pg_is_in_recovery(): true (또는 멈춤)",
    ko=f"격리된 주 서버가 스스로 강등될 때까지 기다린다: 쓰기를 멈춘다 (Patroni는 리더 임대 "
    f"{TTL:g}초가 다른 서버로 넘어가기 전에 멈추게 되어 있다)",
)
NOTHING_ACKED_ON_ISOLATED_SIDE = Step(
    Keyword.THEN,
    "no commit the client on the isolated host sent after the cut was acknowledged, and "
    "every one acknowledged before it is on the new leader",
    _nothing_acked_on_isolated_side,
    how="격리된 호스트 클라이언트의 커밋 기록: 끊긴 뒤 승인 0건; 그 전 승인분은 새 리더에 있다",
    ko="격리된 호스트의 클라이언트가 끊긴 뒤 보낸 커밋은 하나도 승인되지 않았고, 그 전에 "
    "승인된 것은 모두 새 리더에 있다",
)
ISSUANCE_RESUMES_ON_NEW_LEADER = Step(
    Keyword.THEN,
    "wait until issuance resumes: an issuance first sent after the cut is acknowledged "
    "(one sent before may still finish: its commit reached a standby in time)",
    _issuance_resumes_on_new_leader,
    how="무인발급기·창구에서 끊긴 뒤 보낸 발급이 승인되는지 본다",
    ko="발급이 다시 될 때까지 기다린다: 끊긴 뒤에 보낸 발급이 승인된다 (끊기기 전에 보낸 "
    "것은 커밋이 대기 서버에 닿았다면 뒤늦게 끝날 수 있다)",
)
HEAL_PARTITION = Step(
    Keyword.WHEN,
    "the network is repaired: the old primary's host reaches the others again",
    _heal,
    how="격리된 호스트에서 nft delete table inet minwon_fault",
    ko="네트워크를 고친다: 옛 주 서버의 호스트가 다시 다른 서버들과 닿는다",
    always=True,
)
NEVER_TWO_PRIMARIES = Step(
    Keyword.THEN,
    "in no sample, from before the cut until the old primary rejoined, did two members "
    "take writes at once",
    _never_two_primaries,
    how="역할 표본 전체: pg_is_in_recovery()가 false인 서버가 둘인 표본 0개",
    ko="끊기 전부터 옛 주 서버가 다시 붙을 때까지 어느 표본에서도 두 서버가 함께 쓰기를 받지 "
    "않았다",
    always=True,
)
