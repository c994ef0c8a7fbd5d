"""Sign-in for citizens, clerks and kiosks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request

from minwon.identity import services
from minwon.web.deps import ContainerDep, PrincipalDep, bearer_token, client_address
from minwon.web.schemas import KioskSessionIn, LoginIn, MeOut, SessionOut

router = APIRouter(prefix="/auth", tags=["auth"])


def _out(grant: services.SessionGrant) -> SessionOut:
    return SessionOut(
        token=grant.token, kind=grant.principal.kind.value, expires_at=grant.expires_at
    )


@router.post("/citizen", response_model=SessionOut, summary="시민 로그인 (시연용 본인확인)")
def citizen_login(body: LoginIn, request: Request, c: ContainerDep) -> SessionOut:
    return _out(
        services.citizen_login(
            c.identity,
            username=body.username,
            password=body.password,
            client=client_address(request),
        )
    )


@router.post("/clerk", response_model=SessionOut, summary="담당 공무원 로그인")
def clerk_login(body: LoginIn, request: Request, c: ContainerDep) -> SessionOut:
    return _out(
        services.clerk_login(
            c.identity,
            username=body.username,
            password=body.password,
            client=client_address(request),
        )
    )


@router.post(
    "/kiosk", response_model=SessionOut, summary="무인민원발급기: 기기 인증과 지문 본인확인"
)
def kiosk_session(
    body: KioskSessionIn,
    request: Request,
    c: ContainerDep,
    x_kiosk_device: Annotated[str, Header(max_length=40)],
    x_kiosk_key: Annotated[str, Header(max_length=200)],
) -> SessionOut:
    return _out(
        services.kiosk_session(
            c.identity,
            device_id=x_kiosk_device,
            device_key=x_kiosk_key,
            rrn=body.rrn,
            fingerprint=body.fingerprint,
            client=client_address(request),
        )
    )


@router.post("/logout", status_code=204, summary="로그아웃")
def logout(request: Request, c: ContainerDep, _: PrincipalDep) -> None:
    token = bearer_token(request)
    if token:
        services.logout(c.identity, token)


@router.get("/me", response_model=MeOut, summary="현재 로그인한 사용자")
def me(p: PrincipalDep) -> MeOut:
    return MeOut(
        kind=p.kind.value,
        id=p.id,
        channel=p.channel.value,
        office_code=p.office_code,
        resident_id=p.resident_id,
        role=p.role,
        name=p.name,
    )
