"""The composition root: the one place that wires adapters to services (web, CLI, tests)."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from functools import cached_property, partial

from sqlalchemy import Engine

from minwon.adapters.database import make_engine
from minwon.adapters.sms_simulator import SimulatedSmsGateway
from minwon.adapters.smtp_email import SmtpEmailSender
from minwon.adapters.unit_of_work import UnitOfWorkFactory
from minwon.catalog.loader import Catalog, default_catalog, load_catalog
from minwon.clock import Clock, SystemClock
from minwon.config import Settings, SettingsError
from minwon.identity.biometrics import BiometricVerifier, SimulatedFingerprintVerifier
from minwon.identity.rates import RateCounter
from minwon.identity.services import IdentityContext
from minwon.identity.signin import SignInPolicy
from minwon.issuance.claims import AbandonedClaims
from minwon.issuance.context import IssuanceContext
from minwon.issuance.services import release_abandoned
from minwon.notifications.delivery import NotificationContext
from minwon.operations.availability.board import PublicStatus
from minwon.operations.availability.kept_reports import KeptReports
from minwon.operations.availability.period import Period
from minwon.operations.availability.report import AvailabilityReport
from minwon.operations.availability.sql import SqlTrafficLog, open_incidents, read_report
from minwon.operations.heartbeat import Heartbeat
from minwon.operations.incidents.model import IncidentRecord
from minwon.operations.incidents.store import SqlIncidents
from minwon.registry.services import RegistryContext
from minwon.registry.vault import RrnVault
from minwon.rendering.documents import DocumentRenderer
from minwon.rendering.keys import KeyMaterial, load_keys
from minwon.rendering.seals import SealImageError, load_seal_image


def fingerprint_secret(keys: KeyMaterial) -> bytes:
    """Returns the simulator's secret, derived from the pepper so no extra key file exists."""
    return hmac.new(keys.pepper, b"minwon-simulated-fingerprint", hashlib.sha256).digest()


def digest_key(keys: KeyMaterial) -> bytes:
    """Returns the key of documents' public digests (256 bits, derived from the pepper)."""
    return hmac.new(keys.pepper, b"minwon-public-content-digest", hashlib.sha256).digest()


@dataclass
class Container:
    """Everything a process needs, built lazily from settings."""

    settings: Settings
    clock: Clock
    catalog: Catalog
    biometrics_override: BiometricVerifier | None = None

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database.url)

    @cached_property
    def keys(self) -> KeyMaterial:
        return load_keys(self.settings.keys_dir)

    @cached_property
    def vault(self) -> RrnVault:
        return RrnVault(self.keys.data_key, self.keys.pepper)

    @cached_property
    def uows(self) -> UnitOfWorkFactory:
        return UnitOfWorkFactory(self.engine, self.vault)

    @cached_property
    def instance_id(self) -> str:
        """Names this process in server_instances and on the claims it makes."""
        return uuid.uuid4().hex

    def heartbeat(self) -> Heartbeat | None:
        """Returns this server process's heartbeat (not started); None if switched off."""
        issuance = self.settings.issuance
        if issuance.heartbeat_seconds <= 0:
            return None
        return Heartbeat(
            self.uows,
            self.instance_id,
            self.clock.now,
            interval=issuance.heartbeat_seconds,
            grace=issuance.heartbeat_grace_seconds,
            chores=[partial(release_abandoned, self.issuance)],
        )

    @cached_property
    def traffic_log(self) -> SqlTrafficLog:
        """Where this process writes its requests per channel and minute."""
        return SqlTrafficLog(self.engine)

    @cached_property
    def incident_store(self) -> SqlIncidents:
        """The incidents the watcher records (read for /metrics' open incidents)."""
        return SqlIncidents(self.engine)

    @cached_property
    def biometrics(self) -> BiometricVerifier:
        if self.biometrics_override is not None:
            return self.biometrics_override
        return SimulatedFingerprintVerifier(fingerprint_secret(self.keys))

    @cached_property
    def issuance(self) -> IssuanceContext:
        return IssuanceContext(
            uows=self.uows,
            catalog=self.catalog,
            clock=self.clock,
            online_office_code=self.settings.issuance.online_office_code,
            verify_url=f"{self.settings.public_base_url.rstrip('/')}/verify",
            digest_key=digest_key(self.keys),
            documents=self.renderer,
            idempotency_lease_seconds=self.settings.issuance.idempotency_lease_seconds,
            db_retry_seconds=self.settings.database.retry_seconds,
            instance_id=self.instance_id,
            in_flight_wait_seconds=self.settings.issuance.in_flight_wait_seconds,
            abandoned=AbandonedClaims() if self.settings.issuance.heartbeat_seconds > 0 else None,
        )

    @cached_property
    def notifications(self) -> NotificationContext:
        """The notice worker and the portal inbox: SMTP when MINWON_SMTP_HOST is set, the
        shipped SMS simulator when MINWON_SMS_SIMULATOR_FILE is (a city wires its gateway
        here instead)."""
        n = self.settings.notifications
        email = (
            SmtpEmailSender(n.smtp_host, n.smtp_port, n.smtp_from, timeout=n.smtp_timeout_seconds)
            if n.smtp_host
            else None
        )
        sms = SimulatedSmsGateway(n.sms_simulator_file) if n.sms_simulator_file else None
        return NotificationContext(
            uows=self.uows,
            clock=self.clock,
            email=email,
            sms=sms,
            max_attempts=n.max_attempts,
            backoff_seconds=n.backoff_seconds,
            backoff_max_seconds=n.backoff_max_seconds,
            lease_seconds=n.lease_seconds,
            mail_domain=n.smtp_from.rpartition("@")[2] or "minwon.local",
        )

    @cached_property
    def registry(self) -> RegistryContext:
        return RegistryContext(uows=self.uows, clock=self.clock)

    @cached_property
    def identity(self) -> IdentityContext:
        return IdentityContext(
            uows=self.uows,
            clock=self.clock,
            biometrics=self.biometrics,
            session_hours=self.settings.identity.session_hours,
            kiosk_session_minutes=self.settings.identity.kiosk_session_minutes,
            login_rate_per_minute=self.settings.identity.login_rate_per_minute,
            sign_in=SignInPolicy(
                free_failures=self.settings.identity.login_backoff_after,
                max_delay_seconds=self.settings.identity.login_backoff_max_seconds,
            ),
            db_retry_seconds=self.settings.database.retry_seconds,
            rates=self.rates,
            # The demo sensor only when asked for (MINWON_DEMO_FINGERPRINT=1) and only with
            # the simulator: otherwise the kiosk says the sensor is unavailable.
            sensor=(
                self.biometrics
                if self.settings.identity.demo_fingerprint
                and isinstance(self.biometrics, SimulatedFingerprintVerifier)
                else None
            ),
        )

    @cached_property
    def rates(self) -> RateCounter:
        return RateCounter(self.uows, now=lambda: self.clock.now().timestamp())

    @cached_property
    def office_seal(self) -> bytes | None:
        """The city's 직인 (MINWON_OFFICE_SEAL_IMAGE) checked and scaled, or None."""
        path = self.settings.office_seal_image
        if path is None:
            return None
        try:
            return load_seal_image(path)
        except SealImageError as exc:
            variable = "MINWON_OFFICE_SEAL_IMAGE"
            raise SettingsError(
                "settings.invalid",
                f"환경 변수 {variable}의 파일을 직인으로 쓸 수 없습니다: {exc}",
                variable=variable,
            ) from exc

    @cached_property
    def renderer(self) -> DocumentRenderer:
        return DocumentRenderer(
            keys=self.keys,
            catalog=self.catalog,
            public_base_url=self.settings.public_base_url,
            digest_key=digest_key(self.keys),
            office_seal=self.office_seal,
        )

    @cached_property
    def public_status(self) -> PublicStatus:
        """The public status board (/status): incidents and traffic, kept a few seconds."""
        return PublicStatus(
            SqlIncidents(self.engine),
            SqlTrafficLog(self.engine),
            now=lambda: self.clock.now().timestamp(),
        )

    @cached_property
    def kept_reports(self) -> KeptReports:
        """The availability reports /ops shows, each kept a few seconds."""
        return KeptReports(lambda period, now: self.availability_report(period, now=now))

    def availability_report(self, period: Period, *, now: float) -> AvailabilityReport:
        """Returns the availability report of `period` (StoreUnavailableError: no database)."""
        target = self.settings.availability_target
        return read_report(self.engine, period, target=target, now=now)

    def open_incidents(self) -> list[IncidentRecord]:
        """Returns the incidents not settled yet (StoreUnavailableError: no database)."""
        return open_incidents(self.engine)

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


def bootstrap(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    catalog: Catalog | None = None,
    biometrics: BiometricVerifier | None = None,
) -> Container:
    """Returns the wired container; tests pass a FixedClock, production passes nothing."""
    settings = settings or Settings.from_env()
    if catalog is None:
        catalog = load_catalog(settings.catalog_dir) if settings.catalog_dir else default_catalog()
    container = Container(
        settings=settings,
        clock=clock or SystemClock(),
        catalog=catalog,
        biometrics_override=biometrics,
    )
    _ = container.office_seal  # a bad seal image stops the start, not the first document
    return container
