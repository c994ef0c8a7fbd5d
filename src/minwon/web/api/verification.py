"""Checking a PDF someone holds: the same checks as ``minwon verify``, over HTTP."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from minwon.errors import MinwonError
from minwon.web.deps import ContainerDep
from minwon.web.schemas import DocumentCheckOut
from minwon.web.uploads import read_capped
from minwon.web.verification import MAX_UPLOAD_BYTES, check_json, check_pdf, count_lookup

router = APIRouter(tags=["verification"])
PDF = "application/pdf"


class UnsupportedMediaType(MinwonError):
    status = 415
    title = "지원하지 않는 형식입니다"


@router.post(
    "/verify/pdf",
    response_model=DocumentCheckOut,
    summary="PDF 파일 진위 확인 (본문: PDF 원본 바이트, 5MB 이하, 저장하지 않음)",
    openapi_extra={
        "requestBody": {"required": True, "content": {PDF: {"schema": {"type": "string"}}}}
    },
    responses={
        413: {"description": "파일이 너무 큼"},
        415: {"description": "Content-Type이 application/pdf가 아님"},
        422: {"description": "PDF 파일이 아니거나 읽을 수 없음"},
    },
)
async def verify_pdf_upload(request: Request, c: ContainerDep) -> Response:
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != PDF:
        raise UnsupportedMediaType(
            "verify.media_type",
            "PDF 파일의 내용을 그대로 보내고 Content-Type을 application/pdf로 지정해 주세요.",
        )
    await run_in_threadpool(count_lookup, c, request)
    data = await read_capped(request, MAX_UPLOAD_BYTES)
    check = await run_in_threadpool(check_pdf, c, data)
    return JSONResponse(check_json(check))
