"""Kiosk devices: who may bind a browser to one, and rotating a device's key.

A kiosk's key proves the device; it is not enough to bind a browser to it. Binding needs a
signed-in staff member who may act (not the read-only auditor) on the kiosk's office
(their own, or their district for a supervisor), and every binding, refused or done, is
in the audit trail. Each device has its own key, stored only as an argon2 hash; rotating
it prints the new key once and ends the device's open sessions.
"""

from __future__ import annotations

import getpass
import secrets
import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from minwon.audit.model import AuditEvent
from minwon.errors import Forbidden, NotFound
from minwon.identity import trail
from minwon.identity.model import Account, Principal, PrincipalKind
from minwon.identity.passwords import hash_password
from minwon.identity.roles import role_of, within

if TYPE_CHECKING:
    from minwon.identity.ports import IdentityUnitOfWorks

KEY_BYTES = 24  # a new device key: 32 URL-safe characters, 192 bits


def ensure_staff(staff: Principal | None) -> Principal:
    """Returns the staff member who may bind kiosks, or raises Forbidden."""
    role = role_of(staff) if staff is not None else None
    if staff is None or role is None or not role.writes:
        raise Forbidden(
            "kiosk.staff_only",
            "무인민원발급기 설정은 처리 권한이 있는 담당 공무원만 할 수 있습니다.",
        )
    return staff


def _bind_event(
    staff: Principal, device_id: str, office: str | None, outcome: str, now: datetime
) -> AuditEvent:
    return AuditEvent(
        id=uuid.uuid4().hex,
        at=now,
        action="kiosk_bind",
        outcome=outcome,
        actor_kind=staff.kind.value,
        actor_id=staff.id,
        channel=staff.channel.value,
        office_code=staff.office_code,
        detail={"device": device_id[:40], "device_office": office},
    )


def binding_refused(
    uows: IdentityUnitOfWorks,
    *,
    staff: Principal,
    device_id: str,
    outcome: str,
    now: datetime,
    retry_seconds: float,
) -> None:
    """Records a binding refused for an unknown device or a wrong key."""
    event = _bind_event(staff, device_id, None, outcome, now)
    trail.record(uows, event, retry_seconds=retry_seconds)


def authorise_binding(
    uows: IdentityUnitOfWorks,
    *,
    staff: Principal,
    kiosk: Account,
    now: datetime,
    retry_seconds: float,
) -> None:
    """Raises Forbidden unless the kiosk's office is within the staff member's scope;
    records the binding either way."""
    office = kiosk.office_code or ""
    with uows(readonly=True) as uow:
        own = uow.registry.office(staff.office_code or "")
        theirs = uow.registry.office(office)
    allowed = within(staff, office, own, theirs)
    outcome = "bound" if allowed else "kiosk.other_office"
    trail.record(
        uows, _bind_event(staff, kiosk.id, office, outcome, now), retry_seconds=retry_seconds
    )
    if not allowed:
        raise Forbidden(
            "kiosk.other_office", "담당 지역이 아닌 기관의 무인민원발급기는 설정할 수 없습니다."
        )


def rotate_key(uows: IdentityUnitOfWorks, *, device_id: str, now: datetime) -> str:
    """Gives a kiosk a new random key (stored as a hash only), ends its open sessions and
    returns the key: shown once, to be entered at the kiosk by staff."""
    key = secrets.token_urlsafe(KEY_BYTES)
    hashed = hash_password(key)
    with uows() as uow:
        if not uow.identity.set_kiosk_key(device_id, hashed):
            raise NotFound("kiosk.unknown", "그런 번호의 무인민원발급기가 없습니다.")
        ended = uow.identity.close_sessions_of(PrincipalKind.KIOSK, device_id)
        uow.audit.record(
            AuditEvent(
                id=uuid.uuid4().hex,
                at=now,
                action="kiosk_key",
                outcome="rotated",
                actor_kind="operator",
                actor_id=_operator()[:40],
                channel="cli",
                detail={"device": device_id, "sessions_ended": ended},
            )
        )
        uow.commit()
    return key


def _operator() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment (a container without passwd)
        return "unknown"
