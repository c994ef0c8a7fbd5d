"""Sign-in for the three channels; sessions are database rows any instance can read."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from minwon.errors import NotFound, RateLimited, Unauthorized
from minwon.identity import kiosks, signin, trail
from minwon.identity.model import Account, Principal, PrincipalKind
from minwon.identity.passwords import needs_rehash, verify_password
from minwon.identity.signin import SignInPolicy
from minwon.registry.rrn import InvalidRrn, parse
from minwon.storage import retry_transient

if TYPE_CHECKING:
    from minwon.clock import Clock
    from minwon.identity.biometrics import BiometricVerifier, DemoSensor
    from minwon.identity.ports import IdentityUnitOfWorks
    from minwon.identity.rates import RateCounter

KIOSK_BIND_RATE_PER_IP = 50  # device bindings tried per minute from one address
KIOSKS_PER_ADDRESS = 4  # kiosks an office may put behind one address (its NAT)
SENSOR_RATE_PER_MINUTE = 60  # demo sensor touches per minute per kiosk
KIOSK_SESSION_ID_BYTES = 9  # 12 characters, 72 bits: unguessable, and the refs fit 60

# Checked when the account does not exist, so a wrong username costs as much as a wrong
# password and response times do not reveal which usernames exist.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$+hizEp5N5pO0UWMI+N6v6w$EVlNlo"
    "j6OiXj1T4kMJPM/3QlVx1V+UkBBsCmb9H52kQ"
)


@dataclass(frozen=True, slots=True)
class IdentityContext:
    uows: IdentityUnitOfWorks
    clock: Clock
    biometrics: BiometricVerifier
    rates: RateCounter  # one per process: it holds hits back for large limits
    sensor: DemoSensor | None = None  # the simulator's demo sensor, when it is the verifier
    session_hours: int = 8
    kiosk_session_minutes: int = 5
    login_rate_per_minute: int = 10
    db_retry_seconds: float = 1.5
    sign_in: SignInPolicy = field(default_factory=SignInPolicy)  # failed sign-ins slow


@dataclass(frozen=True, slots=True)
class SessionGrant:
    token: str
    principal: Principal
    expires_at: datetime


def check_rate(ctx: IdentityContext, bucket: str, limit: int, *, window_seconds: int = 60) -> None:
    """Counts a hit in ``bucket``; raises RateLimited past ``limit`` per window (all instances)."""
    verdict = ctx.rates.hit(bucket, limit, window_seconds=window_seconds)
    if not verdict.allowed:
        raise RateLimited(
            "rate_limited",
            "요청이 너무 많습니다. 잠시 후 다시 시도해 주세요.",
            retry_after=verdict.retry_after,
        )


def _open(ctx: IdentityContext, principal: Principal, lifetime: timedelta) -> SessionGrant:
    token = secrets.token_urlsafe(32)
    now = ctx.clock.now()
    with ctx.uows() as uow:
        uow.identity.open_session(token=token, principal=principal, now=now, expires=now + lifetime)
        uow.commit()
    return SessionGrant(token=token, principal=principal, expires_at=now + lifetime)


def _password_login(
    ctx: IdentityContext,
    kind: PrincipalKind,
    username: str,
    password: str,
    client: str,
    build: Callable[..., Principal],
) -> SessionGrant:
    # Per address, and per address at this account; never per account alone, which let
    # anyone lock its owner out. The account's own backoff slows new addresses (signin.py).
    check_rate(ctx, f"login-ip:{client}", ctx.login_rate_per_minute * 5)
    check_rate(ctx, f"login:{kind.value}:{username[:60]}@{client[:45]}", ctx.login_rate_per_minute)
    attempt = signin.admit(
        ctx.uows, ctx.sign_in, kind=kind, username=username, source=client, now=ctx.clock.now()
    )
    with ctx.uows(readonly=True) as uow:
        account = (
            uow.identity.citizen(username)
            if kind is PrincipalKind.CITIZEN
            else uow.identity.clerk(username)
        )
    if account is None:
        verify_password(_DUMMY_HASH, password)
        raise Unauthorized("auth.invalid_credentials", "아이디 또는 비밀번호가 맞지 않습니다.")
    if not verify_password(account.secret_hash, password):
        raise Unauthorized("auth.invalid_credentials", "아이디 또는 비밀번호가 맞지 않습니다.")
    if needs_rehash(account.secret_hash):
        from minwon.identity.passwords import hash_password

        with ctx.uows() as uow:
            uow.identity.rehash(kind, account.id, hash_password(password))
            uow.commit()
    principal = build(account)
    signin.succeeded(ctx.uows, attempt, now=ctx.clock.now())
    return _open(ctx, principal, timedelta(hours=ctx.session_hours))


def _audited_login(
    ctx: IdentityContext,
    kind: PrincipalKind,
    username: str,
    client: str,
    attempt: Callable[[], SessionGrant],
) -> SessionGrant:
    """Runs a sign-in and records it, by account, whichever way it ends (a refusal for too
    many attempts is not recorded: the limit already bounds them)."""
    try:
        grant = attempt()
    except Unauthorized as exc:
        with ctx.uows(readonly=True) as uow:
            known = (
                uow.identity.citizen(username)
                if kind is PrincipalKind.CITIZEN
                else uow.identity.clerk(username)
            )
        event = trail.login_event(
            at=ctx.clock.now(),
            kind=kind,
            principal=None,
            account_id=known.id if known else None,
            office_code=known.office_code if known else None,
            outcome=exc.code,
            client=client,
        )
        trail.record(ctx.uows, event, retry_seconds=ctx.db_retry_seconds)
        raise
    p = grant.principal
    event = trail.login_event(
        at=ctx.clock.now(),
        kind=kind,
        principal=p,
        account_id=p.id,
        office_code=p.office_code,
        outcome="success",
        client=client,
    )
    trail.record(ctx.uows, event, retry_seconds=ctx.db_retry_seconds)
    return grant


def citizen_login(
    ctx: IdentityContext, *, username: str, password: str, client: str
) -> SessionGrant:
    """Signs a citizen in through the demo identity provider (password, argon2)."""
    return _audited_login(
        ctx,
        PrincipalKind.CITIZEN,
        username,
        client,
        lambda: _password_login(
            ctx,
            PrincipalKind.CITIZEN,
            username,
            password,
            client,
            Account.as_citizen,
        ),
    )


def clerk_login(ctx: IdentityContext, *, username: str, password: str, client: str) -> SessionGrant:
    """Signs a clerk in; the session carries their role and office."""
    return _audited_login(
        ctx,
        PrincipalKind.CLERK,
        username,
        client,
        lambda: _password_login(
            ctx,
            PrincipalKind.CLERK,
            username,
            password,
            client,
            Account.as_clerk,
        ),
    )


def _kiosk_device(ctx: IdentityContext, *, device_id: str, device_key: str) -> Account:
    """Returns the active kiosk with this id and key, or raises Unauthorized."""
    with ctx.uows(readonly=True) as uow:
        kiosk = uow.identity.kiosk(device_id)
    if kiosk is None or not kiosk.active or not verify_password(kiosk.secret_hash, device_key):
        raise Unauthorized("kiosk.device_unknown", "등록되지 않은 무인민원발급기입니다.")
    return kiosk


def bind_kiosk(
    ctx: IdentityContext,
    *,
    staff: Principal | None,
    device_id: str,
    device_key: str,
    client: str,
) -> Account:
    """Checks a kiosk's device id and key before ``staff`` bind a browser to it (once):
    a signed-in staff member who may act on the kiosk's office (identity/kiosks.py)."""
    staff = kiosks.ensure_staff(staff)
    check_rate(ctx, f"login-ip:{client}", KIOSK_BIND_RATE_PER_IP)
    retry, now = ctx.db_retry_seconds, ctx.clock.now()
    try:
        kiosk = _kiosk_device(ctx, device_id=device_id, device_key=device_key)
    except Unauthorized as exc:
        kiosks.binding_refused(
            ctx.uows,
            staff=staff,
            device_id=device_id,
            outcome=exc.code,
            now=now,
            retry_seconds=retry,
        )
        raise
    check_rate(ctx, f"kiosk:{device_id}", ctx.login_rate_per_minute * 3)  # key proven
    kiosks.authorise_binding(ctx.uows, staff=staff, kiosk=kiosk, now=now, retry_seconds=retry)
    return kiosk


def demo_capture(ctx: IdentityContext, *, device_id: str, rrn: str) -> str:
    """시연용 지문 센서: returns the capture the simulated verifier accepts for a number.

    Only when the process runs the simulator (``ctx.sensor``); a real verifier has none.
    """
    if ctx.sensor is None:
        raise NotFound("kiosk.sensor_unavailable", "지문 센서 시연 기능을 사용할 수 없습니다.")
    check_rate(ctx, f"sensor:{device_id}", SENSOR_RATE_PER_MINUTE)
    with ctx.uows(readonly=True) as uow:
        digest = uow.registry.digest(rrn)
    return ctx.sensor.capture_for(rrn_digest=digest)


def kiosk_session(
    ctx: IdentityContext,
    *,
    device_id: str,
    device_key: str,
    rrn: str,
    fingerprint: str,
    client: str,
) -> SessionGrant:
    """Authenticates a kiosk device, then the person at it by number plus fingerprint."""
    # Per address first; the kiosk's own count only once its key is proven, so a flood of
    # wrong or missing keys slows the flood's address and never locks the kiosk out.
    per_kiosk = ctx.login_rate_per_minute * 3
    check_rate(ctx, f"kiosk-ip:{client}", per_kiosk * KIOSKS_PER_ADDRESS)
    kiosk = _kiosk_device(ctx, device_id=device_id, device_key=device_key)
    check_rate(ctx, f"kiosk:{device_id}", per_kiosk)

    def identified(resident_id: str | None, outcome: str, session: str | None = None) -> None:
        # Who was identified (or tried to be), by registry id: never the number or capture.
        event = trail.identification_event(
            at=ctx.clock.now(),
            device_id=device_id,
            office_code=kiosk.office_code,
            resident_id=resident_id,
            outcome=outcome,
            session=session,
        )
        trail.record(ctx.uows, event, retry_seconds=ctx.db_retry_seconds)

    try:
        parse(rrn)
    except InvalidRrn as exc:
        identified(None, exc.code)
        raise Unauthorized(exc.code, exc.detail) from exc
    with ctx.uows(readonly=True) as uow:
        resident = uow.registry.resident_by_rrn(rrn)
        digest = uow.registry.digest(rrn)
    if resident is None or not ctx.biometrics.matches(rrn_digest=digest, capture=fingerprint):
        identified(resident.id if resident else None, "kiosk.fingerprint_mismatch")
        # One message for both: a kiosk must not reveal whether a number is registered.
        raise Unauthorized(
            "kiosk.fingerprint_mismatch", "지문이 일치하지 않습니다. 다시 시도해 주세요."
        )
    principal = Principal(
        PrincipalKind.KIOSK,
        device_id,
        office_code=kiosk.office_code,
        resident_id=resident.id,
        name=kiosk.name,
        # This person's own session: what they obtain here is theirs alone (Principal.ref).
        session=secrets.token_urlsafe(KIOSK_SESSION_ID_BYTES),
    )
    grant = _open(ctx, principal, timedelta(minutes=ctx.kiosk_session_minutes))
    identified(resident.id, "identified", principal.session)
    return grant


def authenticate(ctx: IdentityContext, token: str) -> Principal:
    """Returns the principal of a bearer token, or raises Unauthorized."""

    def read() -> Principal | None:
        with ctx.uows(readonly=True) as uow:
            return uow.identity.session(token, ctx.clock.now())

    principal = retry_transient(read, seconds=ctx.db_retry_seconds)
    if principal is None:
        raise Unauthorized("auth.session_invalid", "로그인이 만료되었거나 올바르지 않습니다.")
    return principal


def logout(ctx: IdentityContext, token: str) -> None:
    with ctx.uows() as uow:
        uow.identity.close_session(token)
        uow.commit()
