"""An app balancer outside the cluster, as the watcher reads it (HAProxy's ``show stat``
over its runtime API, answered here by a socket that speaks that format)."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from minwon.operations.incidents.detector import Detector
from minwon.operations.incidents.edges import (
    Edge,
    EdgeLook,
    EdgeWatch,
    edge_reading,
    look_at_edge,
    read_edges,
    write_edges,
)
from minwon.operations.incidents.model import Cause

HEADER = "# pxname,svname,status,check_status,check_duration,\n"


class FakeRuntimeApi:
    """A Unix socket that answers every command with `stat` (HAProxy closes after one)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.stat = HEADER
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(path))
        self._server.listen(8)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            with conn:
                conn.recv(1024)
                conn.sendall(self.stat.encode())

    def close(self) -> None:
        self._server.close()


@pytest.fixture
def api(tmp_path: Path) -> Iterator[FakeRuntimeApi]:
    fake = FakeRuntimeApi(tmp_path / "admin.sock")
    try:
        yield fake
    finally:
        fake.close()


def _rows(*rows: str) -> str:
    return HEADER + "".join(f"{r}\n" for r in rows)


def test_servers_failing_their_checks_are_one_condition_dated_by_the_first_check(
    api: FakeRuntimeApi,
) -> None:
    api.stat = _rows(
        "minwon_apps,FRONTEND,OPEN,,,",
        "minwon_apps,app1-a,UP 1/2,L7TOUT,1001,",
        "minwon_apps,app1-b,UP,L7OK,2,",
        "minwon_apps,app2-a,DOWN,L7TOUT,1000,",
        "minwon_apps,app2-b,UP,L7OK,1,",
        "minwon_apps,BACKEND,UP,,,",
        "other,app1-a,DOWN,L4CON,0,",
    )
    edge = Edge("kiosk", str(api.path))
    look = look_at_edge(edge)
    assert look.answered and set(look.failing) == {"app1-a", "app2-a"}
    (condition,) = edge_reading(100.0, edge, look).conditions
    assert condition.component == "edge:kiosk" and condition.cause is Cause.EDGE_SERVERS_DOWN
    assert condition.since == pytest.approx(98.999)
    assert condition.detail == "app1-a UP 1/2 (L7TOUT), app2-a DOWN (L7TOUT)"


def test_drained_servers_and_servers_coming_up_are_told_apart(api: FakeRuntimeApi) -> None:
    api.stat = _rows("minwon_apps,app1-a,DRAIN,L7OK,2,", "minwon_apps,app2-a,DOWN 1/2,L7OK,2,")
    look = look_at_edge(Edge("kiosk", str(api.path)))
    assert set(look.failing) == {"app2-a"}  # a release drained app1; app2 not back yet


def test_a_balancer_that_does_not_answer_is_the_same_fault(tmp_path: Path) -> None:
    edge = Edge("kiosk", str(tmp_path / "gone.sock"))
    look = look_at_edge(edge)
    assert not look.answered
    (condition,) = edge_reading(5.0, edge, look).conditions
    assert "does not answer" in condition.detail


def test_the_list_is_replaced_whole_and_survives_a_bad_file(tmp_path: Path) -> None:
    assert read_edges(tmp_path) == []
    write_edges(tmp_path, [Edge("kiosk", "/run/k.sock"), Edge("online", "/run/o.sock", "web")])
    assert [e.name for e in read_edges(tmp_path)] == ["kiosk", "online"]
    (tmp_path / "edges.json").write_text("{not json", encoding="utf-8")
    assert read_edges(tmp_path) == []


def test_an_edge_removed_while_failing_leaves_no_incident_open(
    tmp_path: Path, api: FakeRuntimeApi
) -> None:
    detector, watch = Detector(), EdgeWatch(tmp_path)
    edge = Edge("kiosk", str(api.path))
    write_edges(tmp_path, [edge])
    watch.readings(0.0)  # starts its prober
    try:
        failing = edge_reading(1.0, edge, EdgeLook(True, {"app1-a": "DOWN"}))
        (opened,) = detector.round(1.0, [failing])
        assert opened.is_open
        write_edges(tmp_path, [])
        os.utime(tmp_path / "edges.json", (10.0, 10.0))  # a change the watch notices
        (closed,) = detector.round(2.0, watch.readings(2.0))
        assert closed.ended_at == 2.0 and not closed.is_open
        assert watch.names == set()
    finally:
        watch.close()
