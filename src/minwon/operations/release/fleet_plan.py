"""Where a release finds real hosts: ``fleet.json``, written by ``minwon cluster plan``.

For each app instance: the host SSH reaches, its own URL (probe, readiness, metrics),
how ``minwon release host`` runs there (as the app's user), its ``releases`` folder and
``current`` link, and the service commands (systemd by default; the deploy account may
run exactly these through sudo, see the plan's ``sudoers``). For each HAProxy path: its
host and the admin socket of its runtime API (reached with ``socat`` on that host).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from minwon.operations.cluster.spec import DEPLOY_USER

RELEASES = "/opt/minwon/releases"
CURRENT = "/opt/minwon/current"
UNIT = "minwon-app.service"


class FleetPlanError(Exception):
    """``fleet.json`` is missing, unreadable or incomplete; says what, in Korean."""


@dataclass(frozen=True)
class ServiceCommands:
    """How an instance's service is started, stopped and asked whether it runs (exit 0)."""

    start: tuple[str, ...] = ("sudo", "-n", "systemctl", "start", UNIT)
    stop: tuple[str, ...] = ("sudo", "-n", "systemctl", "stop", UNIT)
    active: tuple[str, ...] = ("systemctl", "is-active", "--quiet", UNIT)
    log: tuple[str, ...] = ("journalctl", "-u", UNIT, "-n", "40", "--no-pager")


@dataclass(frozen=True)
class HostApp:
    """One app instance on its host."""

    name: str
    host: str
    url: str
    # The argv that runs ``minwon release host`` there, as the app's user (``sudo -u``,
    # ``python -m minwon.cli.release_host``: light, started several times per release).
    host_command: tuple[str, ...]
    releases: str = RELEASES
    current: str = CURRENT
    service: ServiceCommands = field(default_factory=ServiceCommands)


@dataclass(frozen=True)
class HostBalancer:
    """One HAProxy path: its host and its runtime API's admin socket there."""

    name: str
    host: str
    admin_socket: str


@dataclass(frozen=True)
class Transport:
    """How the release reaches the hosts: ``ssh`` (real hosts; the deploy account, and
    extra ``-o`` options such as ``UserKnownHostsFile``), or ``local`` (every "host" is
    this machine: the local cluster)."""

    kind: str = "ssh"
    user: str = DEPLOY_USER
    port: int | None = None
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class FleetPlan:
    """The app instances a release replaces, in order, and the balancers in front."""

    apps: tuple[HostApp, ...]
    balancers: tuple[HostBalancer, ...]
    transport: Transport = field(default_factory=Transport)

    def app(self, name: str) -> HostApp:
        """Returns instance `name`; KeyError if the plan has none."""
        for app in self.apps:
            if app.name == name:
                return app
        raise KeyError(name)

    def to_json(self) -> str:
        """Returns the plan as ``fleet.json`` text."""
        return json.dumps(asdict(self), ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> FleetPlan:
        """Reads ``fleet.json`` text; FleetPlanError naming what is wrong."""
        try:
            data = json.loads(text)
            apps = tuple(_app(a) for a in data["apps"])
            balancers = tuple(
                HostBalancer(str(b["name"]), str(b["host"]), str(b["admin_socket"]))
                for b in data["balancers"]
            )
            transport = _transport(data.get("transport", {}))
        except (ValueError, KeyError, TypeError) as exc:
            raise FleetPlanError(f"fleet.json을 읽을 수 없습니다: {exc!r}") from exc
        if not apps:
            raise FleetPlanError("fleet.json에 앱 인스턴스가 없습니다.")
        names = [a.name for a in apps]
        if len(set(names)) != len(names):
            raise FleetPlanError(f"fleet.json의 인스턴스 이름이 겹칩니다: {names}")
        return cls(apps, balancers, transport)

    @classmethod
    def load(cls, path: Path) -> FleetPlan:
        """Reads ``fleet.json`` at `path` (or in the plan folder `path`)."""
        file = path / "fleet.json" if path.is_dir() else path
        try:
            return cls.from_json(file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise FleetPlanError(f"{file}을(를) 읽을 수 없습니다: {exc.strerror}") from exc


def _argv(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise TypeError(f"명령은 비어 있지 않은 문자열 목록이어야 합니다: {value!r}")
    return tuple(value)


def _transport(data: dict[str, Any]) -> Transport:
    kind = str(data.get("kind", "ssh"))
    if kind not in ("ssh", "local"):
        raise ValueError(f"transport.kind은 ssh 또는 local이어야 합니다: {kind!r}")
    port = data.get("port")
    return Transport(
        kind=kind,
        user=str(data.get("user", Transport.user)),
        port=int(port) if port is not None else None,
        options=tuple(str(o) for o in data.get("options", ())),
    )


def _app(data: dict[str, Any]) -> HostApp:
    service = data.get("service", {})
    defaults = ServiceCommands()
    return HostApp(
        name=str(data["name"]),
        host=str(data["host"]),
        url=str(data["url"]).rstrip("/"),
        host_command=_argv(data["host_command"]),
        releases=str(data.get("releases", RELEASES)),
        current=str(data.get("current", CURRENT)),
        service=ServiceCommands(
            **{
                key: _argv(service[key]) if key in service else getattr(defaults, key)
                for key in ("start", "stop", "active", "log")
            }
        ),
    )
