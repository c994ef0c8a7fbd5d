"""A runbook: one fault of DESIGN.md's matrix as an ordered list of named steps."""

from __future__ import annotations

from dataclasses import dataclass

from minwon.operations.scenarios.steps import Step


@dataclass(frozen=True)
class Runbook:
    """One fault: what it is, what must hold, and its steps in order."""

    fault: str
    title: str
    must_hold: str
    steps: tuple[Step, ...]
    title_ko: str = ""
    must_hold_ko: str = ""
    needs_network: bool = False  # runs in a kiosk network of two real paths (F4)
    through_balancers: bool = False  # the load goes through the HAProxy app balancers
    needs_hosts: bool = False  # runs on hosts in network namespaces of their own (P1)
