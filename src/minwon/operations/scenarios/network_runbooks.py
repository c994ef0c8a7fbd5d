"""The faults that cross a real network, as runbooks: a path that drops large packets
(F4, the 2023 router) and a partitioned primary (P1). Both need namespaces of their own."""

from __future__ import annotations

from minwon.operations.scenarios.network_steps import (
    DROP_LARGE_PACKETS,
    LIFT_LARGE_PACKET_DROP,
    PATH_BACK,
    PATH_MARKED_DOWN,
    PATHS_HEALTHY,
    SMALL_CHECK_MISSES_IT,
    STEADY_LOAD_FROM_KIOSKS,
)
from minwon.operations.scenarios.partition_steps import (
    HEAL_PARTITION,
    ISSUANCE_RESUMES_ON_NEW_LEADER,
    NEVER_TWO_PRIMARIES,
    NOTHING_ACKED_ON_ISOLATED_SIDE,
    OLD_PRIMARY_DEMOTES,
    PARTITION_PRIMARY_HOST,
    WATCH_ROLES,
    WRITE_ON_PRIMARY_HOST,
)
from minwon.operations.scenarios.runbook import Runbook
from minwon.operations.scenarios.steps import (
    CLUSTER_HEALTHY,
    HEALTHY_CLUSTER,
    ISSUANCE_RESUMES,
    LOAD_STOPPED,
    NOTHING_LOST_OR_DOUBLED,
    OLD_PRIMARY_REJOINS,
    STANDBY_PROMOTED,
    STEADY_LOAD,
)

LARGE_PACKETS = Runbook(
    "F4",
    "one network path drops packets of 1,400 bytes and more (the 2023 router)",
    "a large echo check marks the path down and issuance goes on over the other one "
    "within 3 s; nothing lost or doubled; the path comes back once repaired",
    (
        HEALTHY_CLUSTER,
        PATHS_HEALTHY,
        STEADY_LOAD_FROM_KIOSKS,
        DROP_LARGE_PACKETS,
        SMALL_CHECK_MISSES_IT,
        PATH_MARKED_DOWN,
        ISSUANCE_RESUMES,
        LIFT_LARGE_PACKET_DROP,
        PATH_BACK,
        CLUSTER_HEALTHY,
        LOAD_STOPPED,
        NOTHING_LOST_OR_DOUBLED,
    ),
    title_ko="네트워크 경로 하나가 1,400바이트 이상의 패킷을 버림 (2023년의 라우터)",
    must_hold_ko="큰 에코 점검이 그 경로를 DOWN으로 표시하고 발급은 3초 안에 다른 경로로 "
    "이어지며, 없어지거나 두 번 발급되는 것이 없고, 고친 경로는 돌아온다",
    needs_network=True,
)

PARTITION = Runbook(
    "P1",
    "the primary's host is partitioned from etcd, the other nodes and the apps",
    "the isolated primary demotes itself before its lease could pass on; nothing sent "
    "on its side is acknowledged; a new leader takes writes; never two primaries; the "
    "old one rejoins; nothing lost or doubled",
    (
        HEALTHY_CLUSTER,
        WATCH_ROLES,
        WRITE_ON_PRIMARY_HOST,
        STEADY_LOAD,
        PARTITION_PRIMARY_HOST,
        OLD_PRIMARY_DEMOTES,
        ISSUANCE_RESUMES_ON_NEW_LEADER,
        STANDBY_PROMOTED,
        NOTHING_ACKED_ON_ISOLATED_SIDE,
        HEAL_PARTITION,
        OLD_PRIMARY_REJOINS,
        NEVER_TWO_PRIMARIES,
        CLUSTER_HEALTHY,
        LOAD_STOPPED,
        NOTHING_LOST_OR_DOUBLED,
    ),
    title_ko="주 서버의 호스트가 etcd, 다른 서버, 앱과 분단됨 (네트워크 분단)",
    must_hold_ko="격리된 주 서버는 임대가 넘어가기 전에 스스로 강등되고, 그쪽에서 보낸 것은 "
    "하나도 승인되지 않으며, 새 리더가 쓰기를 받고, 주 서버가 둘인 순간은 없으며, 옛 주 "
    "서버는 다시 붙고, 없어지거나 두 번 발급되는 것이 없다",
    needs_hosts=True,
)
