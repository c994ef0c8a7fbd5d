"""Settings: read once from the environment (prefix ``MINWON_``), passed everywhere else.

Each part of the service reads its own typed section (``settings.identity``,
``settings.database`` …). Every variable is declared once in ``VARIABLES`` with the
section field it fills and how its text is read, so a wrong value is reported with the
variable's name instead of failing somewhere later.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Any

from minwon.errors import MinwonError

ONLINE_OFFICE_CODE = "4511000000"  # 전주시청: the issuing office of internet documents


class SettingsError(MinwonError):
    """A ``MINWON_*`` variable (or an override) that cannot be used."""

    title = "설정이 올바르지 않습니다"


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    """Where the records live, and how long a request rides out a lost connection."""

    url: str
    # How long a request retries a lost database before it answers 503. Short: a person
    # is told within 2 s, and kiosks and counters retry with their idempotency keys
    # (a failover after a dead host takes ~20 s: DESIGN.md).
    retry_seconds: float = 1.5


@dataclass(frozen=True, slots=True)
class IdentitySettings:
    """Sign-in sessions and their rate limits."""

    session_hours: int = 8
    kiosk_session_minutes: int = 5
    # Sign-in attempts per minute from one address at one account (five times as many
    # from one address in all; kiosks: three times as many per proven device).
    login_rate_per_minute: int = 10
    # After this many failed sign-ins in a row an account makes addresses it was never
    # signed in from wait before each further try, the wait doubling from 2 s up to the
    # maximum; an address it signed in from before is not held back (identity/signin.py).
    login_backoff_after: int = 5
    login_backoff_max_seconds: int = 900
    # The simulated fingerprint sensor (시연용 지문 센서: the kiosk page makes the capture
    # the simulator accepts): demos and tests only, never on by default.
    demo_fingerprint: bool = False


@dataclass(frozen=True, slots=True)
class IssuanceSettings:
    """Issuing documents: who issues internet documents, how long a claimed key is held."""

    online_office_code: str = ONLINE_OFFICE_CODE
    # The longest a live but slow request holds its key against a retry of itself.
    idempotency_lease_seconds: int = 10
    # A server process renews its row in server_instances every heartbeat_seconds (0: it
    # does not, and its claims wait for the lease); missing beats for heartbeat_grace_seconds
    # makes it dead to the others, who then take its claims over (operations/heartbeat.py).
    heartbeat_seconds: float = 0.25
    heartbeat_grace_seconds: float = 0.75
    # How long a retry waits for another request's claim on its key (completed: it gets
    # that answer; freed: it issues) before answering 409 with Retry-After.
    in_flight_wait_seconds: float = 1.5


@dataclass(frozen=True, slots=True)
class VerificationSettings:
    """The public verification endpoint."""

    rate_per_minute: int = 120  # per client address, all instances together
    # What a person must add to the number to see the whole document (page image and
    # items): none, issue_date (발급일) or birth_date (the subject's 생년월일).
    second_factor: str = "none"
    # Second-factor attempts allowed per hour, per client address and per document number
    # (every attempt counts, so the attempt past the limit is refused even if it is right).
    factor_attempts_per_hour: int = 20


@dataclass(frozen=True, slots=True)
class WebSettings:
    """What the HTTP edge accepts before any route runs (web/edge.py)."""

    # A request body past this many bytes is refused (413) as it arrives, before anything
    # parses it; the PDF uploads (/verify/pdf) keep their own 5 MB cap (web/uploads.py).
    max_body_bytes: int = 64 * 1024
    # Proxies (addresses or networks) whose X-Forwarded-For and X-Forwarded-Proto are
    # believed; from anyone else those headers are ignored. None by default.
    trusted_proxies: tuple[IPv4Network | IPv6Network, ...] = ()
    # Who may read /metrics: these client addresses (after trusted proxies), or anyone
    # with ``Authorization: Bearer <metrics_token>``. Loopback only by default; the
    # exposition names routes, instances and volumes, which is nobody else's business.
    metrics_networks: tuple[IPv4Network | IPv6Network, ...] = (
        IPv4Network("127.0.0.0/8"),
        IPv6Network("::1/128"),
    )
    metrics_token: str = ""
    # How often a server writes its requests per channel and minute to traffic_minutes.
    traffic_flush_seconds: float = 10.0  # 0: never


@dataclass(frozen=True, slots=True)
class AuditSettings:
    """The audit trail's signed checkpoints."""

    # How often a running server signs the chain's head (0: never; `minwon audit
    # checkpoint` from cron instead).
    checkpoint_seconds: float = 300


@dataclass(frozen=True, slots=True)
class NotificationSettings:
    """Delivering notices to residents: SMTP, the SMS simulator, retries."""

    smtp_host: str = ""  # empty: no email channel (the inbox and SMS still work)
    smtp_port: int = 25
    smtp_from: str = "minwon@localhost"
    smtp_timeout_seconds: float = 10.0
    # The shipped SMS-gateway simulator writes each message to this file (JSON lines);
    # None turns the SMS channel off.
    sms_simulator_file: Path | None = None
    max_attempts: int = 8
    backoff_seconds: float = 30.0  # the first retry; each next one waits twice as long
    backoff_max_seconds: float = 3600.0
    lease_seconds: float = 120.0  # a claimed delivery is another worker's after this
    poll_seconds: float = 5.0  # `minwon notify run` looks again after this when idle


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a Minwon process needs to know about where it runs."""

    data_dir: Path
    keys_dir: Path
    database: DatabaseSettings
    catalog_dir: Path | None = None
    # The city's 직인 as a PNG, printed on every document; None: one drawn from the title.
    office_seal_image: Path | None = None
    # The verifier's installed trust bundle (`minwon trust install`): roots and token keys.
    trust_bundle: Path | None = None
    public_base_url: str = "http://127.0.0.1:8000"
    log_json: bool = False
    # The city's availability target in percent: the availability report's error budget.
    availability_target: float = 99.95
    identity: IdentitySettings = field(default_factory=IdentitySettings)
    issuance: IssuanceSettings = field(default_factory=IssuanceSettings)
    verification: VerificationSettings = field(default_factory=VerificationSettings)
    web: WebSettings = field(default_factory=WebSettings)
    audit: AuditSettings = field(default_factory=AuditSettings)
    notifications: NotificationSettings = field(default_factory=NotificationSettings)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Returns settings from ``MINWON_*`` variables, then ``overrides`` by the same
        names in lower case (``database_url=…``, ``login_rate_per_minute=…``).

        The database and keys default to places inside the data folder, so overriding only
        ``data_dir`` moves them too.
        """
        env = os.environ if environ is None else environ
        unknown = set(overrides) - VARIABLES.keys()
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        values: dict[str, object] = {}
        for name, variable in VARIABLES.items():
            if name in overrides:
                given = overrides[name]
                values[name] = variable.read(name, given) if isinstance(given, str) else given
            elif f"MINWON_{name.upper()}" in env:
                values[name] = variable.read(name, env[f"MINWON_{name.upper()}"])
        data_dir = Path(str(values.get("data_dir") or "var")).resolve()
        values["data_dir"] = data_dir
        values.setdefault("database_url", f"sqlite:///{data_dir / 'minwon.sqlite3'}")
        values.setdefault("keys_dir", data_dir / "keys")
        values.setdefault("sms_simulator_file", data_dir / "sms-simulator.jsonl")
        config_home = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")) / ".config")
        values.setdefault("trust_bundle", Path(config_home).expanduser() / "minwon/trust.json")
        return _assemble(values)

    def with_changes(self, **changes: object) -> Settings:
        """Returns a copy with some settings changed, by their variable names."""
        unknown = set(changes) - VARIABLES.keys()
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        values = {name: v.get(self) for name, v in VARIABLES.items()}
        values.update(changes)
        return _assemble(values)

    @property
    def is_sqlite(self) -> bool:
        return self.database.url.startswith("sqlite")


def _text(_: str, raw: str) -> str:
    return raw


def _token(name: str, raw: str) -> str:
    # A bearer secret: long enough that guessing it is not a plan (never echoed back).
    if len(raw) < 24 or not raw.isprintable() or " " in raw:
        raise _invalid(name, "(숨김)", "공백 없는 24자 이상의 비밀 문자열")
    return raw


def _path(_: str, raw: str) -> Path:
    return Path(raw).resolve()


def _optional_path(_: str, raw: str) -> Path | None:
    return Path(raw).resolve() if raw else None


def _png_file(name: str, raw: str) -> Path | None:
    """Reads a path to a PNG that must open now, so a bad one stops the start."""
    if not raw:
        return None
    path = Path(raw).expanduser().resolve()
    try:
        with path.open("rb") as file:
            head = file.read(8)
        from PIL import Image  # Pillow (reportlab's own dependency), only when one is set

        with Image.open(path) as image:
            image.verify()
            kind = image.format
    except Exception as exc:  # missing, a folder, unreadable or damaged: all the same here
        raise _invalid(name, raw, "읽을 수 있는 PNG 파일의 경로") from exc
    if head != b"\x89PNG\r\n\x1a\n" or kind != "PNG":
        raise _invalid(name, raw, "PNG 파일의 경로")
    return path


def _flag(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value not in {"0", "1", "false", "true", "no", "yes", "off", "on", ""}:
        raise _invalid(name, raw, "1 또는 0")
    return value in {"1", "true", "yes", "on"}


def _positive(kind: type[int] | type[float]) -> Callable[[str, str], int | float]:
    def read(name: str, raw: str) -> int | float:
        try:
            value = kind(raw)
        except ValueError:
            value = -1
        if value <= 0:
            raise _invalid(name, raw, "양수" if kind is float else "양의 정수")
        return value

    return read


SECOND_FACTORS = ("none", "issue_date", "birth_date")


def _second_factor(name: str, raw: str) -> str:
    value = raw.strip().lower()
    if value not in SECOND_FACTORS:
        raise _invalid(name, raw, " · ".join(SECOND_FACTORS) + " 중 하나")
    return value


def _networks(name: str, raw: str) -> tuple[IPv4Network | IPv6Network, ...]:
    """Reads comma-separated addresses or CIDR networks (``10.0.0.5, 192.168.0.0/24``)."""
    try:
        return tuple(ip_network(part.strip()) for part in raw.split(",") if part.strip())
    except ValueError:
        raise _invalid(name, raw, "쉼표로 구분한 IP 주소 또는 CIDR 대역") from None


def _non_negative(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise _invalid(name, raw, "0 이상의 수") from None
    if not value >= 0 or value == float("inf"):
        raise _invalid(name, raw, "0 이상의 수")
    return value


def _percent(name: str, raw: str) -> float:
    value = _non_negative(name, raw)
    if not 0 < value < 100:
        raise _invalid(name, raw, "0보다 크고 100보다 작은 백분율 (예: 99.95)")
    return value


def _invalid(name: str, raw: str, wanted: str) -> SettingsError:
    shown = raw if len(raw) <= 40 else raw[:40] + "…"
    variable = f"MINWON_{name.upper()}"
    return SettingsError(
        "settings.invalid",
        f"환경 변수 {variable}의 값 '{shown}'을(를) 쓸 수 없습니다: {wanted}여야 합니다.",
        variable=variable,
    )


@dataclass(frozen=True, slots=True)
class Variable:
    """One ``MINWON_*`` variable: the field it fills (section and name) and its reader."""

    section: str | None
    field: str
    read: Callable[[str, str], Any]

    def get(self, settings: Settings) -> object:
        holder = getattr(settings, self.section) if self.section else settings
        return getattr(holder, self.field)


VARIABLES: dict[str, Variable] = {
    "data_dir": Variable(None, "data_dir", _path),
    "keys_dir": Variable(None, "keys_dir", _path),
    "catalog_dir": Variable(None, "catalog_dir", _optional_path),
    "office_seal_image": Variable(None, "office_seal_image", _png_file),
    "trust_bundle": Variable(None, "trust_bundle", _optional_path),
    "public_base_url": Variable(None, "public_base_url", _text),
    "log_json": Variable(None, "log_json", _flag),
    "availability_target": Variable(None, "availability_target", _percent),
    "max_body_bytes": Variable("web", "max_body_bytes", _positive(int)),
    "trusted_proxies": Variable("web", "trusted_proxies", _networks),
    "metrics_networks": Variable("web", "metrics_networks", _networks),
    "metrics_token": Variable("web", "metrics_token", _token),
    "database_url": Variable("database", "url", _text),
    "db_retry_seconds": Variable("database", "retry_seconds", _positive(float)),
    "session_hours": Variable("identity", "session_hours", _positive(int)),
    "kiosk_session_minutes": Variable("identity", "kiosk_session_minutes", _positive(int)),
    "login_backoff_after": Variable("identity", "login_backoff_after", _positive(int)),
    "login_backoff_max_seconds": Variable("identity", "login_backoff_max_seconds", _positive(int)),
    "login_rate_per_minute": Variable("identity", "login_rate_per_minute", _positive(int)),
    "demo_fingerprint": Variable("identity", "demo_fingerprint", _flag),
    "online_office_code": Variable("issuance", "online_office_code", _text),
    "idempotency_lease_seconds": Variable("issuance", "idempotency_lease_seconds", _positive(int)),
    "heartbeat_seconds": Variable("issuance", "heartbeat_seconds", _non_negative),
    "heartbeat_grace_seconds": Variable("issuance", "heartbeat_grace_seconds", _positive(float)),
    "in_flight_wait_seconds": Variable("issuance", "in_flight_wait_seconds", _non_negative),
    "verify_rate_per_minute": Variable("verification", "rate_per_minute", _positive(int)),
    "audit_checkpoint_seconds": Variable("audit", "checkpoint_seconds", _non_negative),
    "verify_second_factor": Variable("verification", "second_factor", _second_factor),
    "verify_factor_attempts_per_hour": Variable(
        "verification", "factor_attempts_per_hour", _positive(int)
    ),
    "smtp_host": Variable("notifications", "smtp_host", _text),
    "smtp_port": Variable("notifications", "smtp_port", _positive(int)),
    "smtp_from": Variable("notifications", "smtp_from", _text),
    "smtp_timeout_seconds": Variable("notifications", "smtp_timeout_seconds", _positive(float)),
    "sms_simulator_file": Variable("notifications", "sms_simulator_file", _optional_path),
    "notify_max_attempts": Variable("notifications", "max_attempts", _positive(int)),
    "notify_backoff_seconds": Variable("notifications", "backoff_seconds", _positive(float)),
    "notify_backoff_max_seconds": Variable(
        "notifications", "backoff_max_seconds", _positive(float)
    ),
    "notify_lease_seconds": Variable("notifications", "lease_seconds", _positive(float)),
    "notify_poll_seconds": Variable("notifications", "poll_seconds", _positive(float)),
    "traffic_flush_seconds": Variable("web", "traffic_flush_seconds", _non_negative),
}

_SECTIONS: dict[str, type[Any]] = {
    "database": DatabaseSettings,
    "identity": IdentitySettings,
    "issuance": IssuanceSettings,
    "verification": VerificationSettings,
    "web": WebSettings,
    "audit": AuditSettings,
    "notifications": NotificationSettings,
}


def _assemble(values: Mapping[str, object]) -> Settings:
    """Returns Settings from values by variable name (missing ones take the defaults)."""
    top: dict[str, Any] = {}
    parts: dict[str, dict[str, Any]] = {name: {} for name in _SECTIONS}
    for name, value in values.items():
        variable = VARIABLES[name]
        if variable.section is None:
            top[variable.field] = value
        else:
            parts[variable.section][variable.field] = value
    for section, kind in _SECTIONS.items():
        top[section] = kind(**parts[section])
    issuance: IssuanceSettings = top["issuance"]
    if issuance.heartbeat_seconds > 0 and issuance.heartbeat_grace_seconds <= (
        issuance.heartbeat_seconds
    ):
        raise _invalid(
            "heartbeat_grace_seconds",
            str(issuance.heartbeat_grace_seconds),
            f"MINWON_HEARTBEAT_SECONDS({issuance.heartbeat_seconds:g})보다 큰 수",
        )
    return Settings(**top)
