"""Steps of the network faults: a path that drops large packets (F4, the 2023 router).

They act on ``ctx.paths()``: two network paths from the kiosk network to the app
instances (real namespaces and veth pairs in tests, a model in unit tests).
"""

from __future__ import annotations

from minwon.operations.clock import wait_until
from minwon.operations.cluster.tuning import PATH_CHECK_BYTES
from minwon.operations.scenarios.context import ScenarioContext, StepFailedError
from minwon.operations.scenarios.steps import POLL, Keyword, Step, start_load

BROKEN_PATH = "a"
PATH_TIMEOUT = 10.0  # seconds a balancer may take to mark a path down or up again


def _servers_over(servers: dict[str, bool], path: str) -> dict[str, bool]:
    return {name: up for name, up in servers.items() if name.endswith(f"-{path}")}


def _paths_healthy(ctx: ScenarioContext) -> str:
    network = ctx.paths()
    servers = network.balancer_servers()
    down = [name for name, up in servers.items() if not up]
    if down:
        raise StepFailedError(f"the balancer has servers down already: {', '.join(down)}")
    broken = [p for p in network.paths if not network.echoes(p, PATH_CHECK_BYTES, 2.0)]
    if broken:
        raise StepFailedError(f"a {PATH_CHECK_BYTES}-byte echo does not cross: {broken}")
    return (
        f"{len(servers)} balancer servers up; a {PATH_CHECK_BYTES}-byte echo crosses "
        f"paths {', '.join(network.paths)}"
    )


def _drop_large_packets(ctx: ScenarioContext) -> str:
    ctx.fault_begins()
    ctx.paths().drop_large_packets(BROKEN_PATH)
    return f"path {BROKEN_PATH} drops packets of 1,400 bytes and more, both ways"


def _small_check_misses_it(ctx: ScenarioContext) -> str:
    network = ctx.paths()
    if not network.echoes(BROKEN_PATH, 0, 1.0):
        raise StepFailedError(
            f"a small GET /healthz over path {BROKEN_PATH} failed: this is not the 2023 "
            "fault (a stock health check would have caught it)"
        )
    if network.echoes(BROKEN_PATH, PATH_CHECK_BYTES, 1.0):
        raise StepFailedError(f"a {PATH_CHECK_BYTES}-byte echo crossed path {BROKEN_PATH}")
    return (
        f"over path {BROKEN_PATH} a small GET /healthz still answers 200, while a "
        f"{PATH_CHECK_BYTES}-byte echo gets nothing back within 1 s"
    )


def _wait_for_servers(ctx: ScenarioContext, *, broken_up: bool, figure: str) -> str:
    network, since = ctx.paths(), ctx.clock.monotonic()
    seen: list[dict[str, bool]] = []

    wall = "path_up" if broken_up else "path_down"

    def settled() -> bool:
        looked_at = ctx.clock.now().timestamp()
        seen[:] = [network.balancer_servers()]
        broken = _servers_over(seen[0], BROKEN_PATH)
        others = {n: up for n, up in seen[0].items() if n not in broken}
        done = all(up == broken_up for up in broken.values()) and all(others.values())
        # Wall times, which incidents compare with: this look's, or the last that did not.
        ctx.figures[f"{wall}_at" if done else f"{wall}_not_yet_at"] = round(looked_at, 3)
        if done:  # and by when it had surely happened: the end of that look
            ctx.figures[f"{wall}_seen_by"] = round(ctx.clock.now().timestamp(), 3)
        return done

    if not wait_until(settled, timeout=PATH_TIMEOUT, clock=ctx.clock, interval=POLL / 5):
        raise StepFailedError(f"balancer servers after {PATH_TIMEOUT:.0f} s: {seen[-1]}")
    since_fault = ctx.clock.monotonic() - (ctx.fault_time() if not broken_up else since)
    ctx.figures[figure] = round(since_fault, 3)
    state = "up" if broken_up else "down"
    names = ", ".join(sorted(_servers_over(seen[0], BROKEN_PATH)))
    return f"{names} {state} {since_fault:.2f} s later; the other path's servers up"


def _path_marked_down(ctx: ScenarioContext) -> str:
    return _wait_for_servers(ctx, broken_up=False, figure="path_down_seconds")


def _lift(ctx: ScenarioContext) -> str:
    ctx.paths().lift(BROKEN_PATH)
    return f"path {BROKEN_PATH} carries packets of every size again"


def _path_back(ctx: ScenarioContext) -> str:
    note = _wait_for_servers(ctx, broken_up=True, figure="path_up_seconds")
    if not ctx.paths().echoes(BROKEN_PATH, PATH_CHECK_BYTES, 2.0):
        raise StepFailedError(f"servers up, but a large echo does not cross {BROKEN_PATH}")
    return note


PATHS_HEALTHY = Step(
    Keyword.GIVEN,
    "both network paths from the kiosk network carry large requests, and the kiosks' "
    "balancer has every app instance up over each path",
    _paths_healthy,
    how="부하분산기 런타임 API의 show stat: app1-a, app1-b 등 모두 UP",
    ko="무인발급기 망에서 두 네트워크 경로 모두 큰 요청이 지나가고, 무인발급기 쪽 부하분산기는 "
    "두 경로 모두로 앱 인스턴스를 UP으로 본다",
)
STEADY_LOAD_FROM_KIOSKS = Step(
    Keyword.GIVEN,
    "steady issuance load from the kiosk network: retrying clients with idempotency keys "
    "and 1 s per attempt, through the balancer and straight to the apps over each path",
    start_load,
    how="Idempotency-Key로 재시도하는 무인발급기 클라이언트 (시도당 1초)",
    ko="무인발급기 망에서 발급 부하가 꾸준하다: Idempotency-Key로 재시도하는 클라이언트(시도당 "
    "1초)가 부하분산기와, 각 경로로 앱에 직접 보낸다",
)
DROP_LARGE_PACKETS = Step(
    Keyword.WHEN,
    f"path {BROKEN_PATH} starts dropping packets of 1,400 bytes and more (the 2023 router)",
    _drop_large_packets,
    how=f"경로 {BROKEN_PATH} 양 끝에서 nft: iifname <경로> meta length >= 1400 drop",
    ko=f"경로 {BROKEN_PATH}가 1,400바이트 이상의 패킷을 버리기 시작한다 (2023년의 라우터)",
)
SMALL_CHECK_MISSES_IT = Step(
    Keyword.THEN,
    f"a small health check still passes over path {BROKEN_PATH} while a large request "
    "gets no answer: why a stock check misses this fault",
    _small_check_misses_it,
    how="curl GET /healthz (통과) 와 4 KB POST /healthz/echo (무응답) 비교",
    ko=f"경로 {BROKEN_PATH}로 작은 상태 확인은 통과하고 큰 요청은 답이 없다: 보통의 점검이 이 "
    "장애를 놓치는 까닭",
)
PATH_MARKED_DOWN = Step(
    Keyword.THEN,
    f"wait until the balancer's large echo check marks every server over path "
    f"{BROKEN_PATH} down, while those over the other path stay up",
    _path_marked_down,
    how=f"부하분산기 show stat: app*-{BROKEN_PATH} DOWN (L7TOUT), 나머지 UP",
    ko=f"부하분산기의 큰 에코 점검이 경로 {BROKEN_PATH}의 서버를 모두 DOWN으로 표시할 때까지 "
    "기다린다; 다른 경로의 서버는 UP이다",
)
LIFT_LARGE_PACKET_DROP = Step(
    Keyword.WHEN,
    f"the router on path {BROKEN_PATH} is repaired: packets of every size cross again",
    _lift,
    how="양 끝에서 nft delete table inet minwon_fault",
    ko=f"경로 {BROKEN_PATH}의 라우터를 고친다: 모든 크기의 패킷이 다시 지나간다",
    always=True,
)
PATH_BACK = Step(
    Keyword.THEN,
    f"wait until the balancer has the servers over path {BROKEN_PATH} up again",
    _path_back,
    how=f"부하분산기 show stat: app*-{BROKEN_PATH} 다시 UP",
    ko=f"부하분산기가 경로 {BROKEN_PATH}의 서버를 다시 UP으로 볼 때까지 기다린다",
    heals=True,
)
