"""A healthy fake world for the inspection's checks, and one call that inspects it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from minwon.operations.inspection.fake import NOW, FakeCluster, FakeHost, FakeRecords
from minwon.operations.inspection.model import InspectionReport, Thresholds
from minwon.operations.inspection.suite import inspect


class World:
    def __init__(self) -> None:
        self.cluster = FakeCluster()
        self.records = FakeRecords()
        self.host = FakeHost()
        self.thresholds = Thresholds(timeout_seconds=5)

    def inspect(self, *only: str) -> InspectionReport:
        return inspect(
            cluster=self.cluster,
            records=self.records,
            host=self.host,
            thresholds=self.thresholds,
            target="fake",
            only=only,
            now=NOW,
        )


@pytest.fixture
def world() -> World:
    return World()


Inspect = Callable[..., InspectionReport]
