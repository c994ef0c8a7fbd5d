"""Request bodies read with a size cap and multipart forms parsed in memory.

An uploaded document is held in memory only while it is checked: never spooled to a
temporary file (Starlette's form parser writes parts past 1 MB to disk), stored or logged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from python_multipart.multipart import MultipartParser, parse_options_header

from minwon.errors import InvalidRequest, MinwonError


class UploadTooLarge(MinwonError):
    status = 413
    title = "파일이 너무 큽니다"


class UnreadableForm(InvalidRequest):
    title = "보낸 내용을 읽을 수 없습니다"


def too_large(limit: int) -> UploadTooLarge:
    return UploadTooLarge(
        "verify.upload_too_large",
        f"파일이 너무 큽니다. {limit // (1024 * 1024)}MB 이하의 PDF 파일만 확인할 수 있습니다.",
        limit_bytes=limit,
    )


async def read_capped(request: Request, limit: int, *, drain: int = 0) -> bytes:
    """Returns the request body, or raises UploadTooLarge once it passes ``limit``.

    Up to ``drain`` bytes of a body that is too large are read and dropped first, so a
    browser still sending its file gets the answer instead of a reset connection.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max(limit, drain):
        raise too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            chunks.clear()  # dropped, never kept
            if size > drain:
                break
            continue
        chunks.append(chunk)
    if size > limit:
        raise too_large(limit)
    return b"".join(chunks)


@dataclass
class _Part:
    headers: dict[str, bytes] = field(default_factory=dict)
    data: bytearray = field(default_factory=bytearray)


def parse_multipart(body: bytes, content_type: str) -> dict[str, bytes]:
    """Returns each part of a multipart/form-data body by its field name (the first of
    each name), in memory."""
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise UnreadableForm("form.not_multipart", "파일 올리기 양식으로 보내 주세요.")
    parts: list[_Part] = []
    header: list[bytes] = [b"", b""]

    def on_part_begin() -> None:
        parts.append(_Part())

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header[0] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header[1] += data[start:end]

    def on_header_end() -> None:
        parts[-1].headers[header[0].decode("latin-1").lower()] = header[1]
        header[0] = header[1] = b""

    def on_part_data(data: bytes, start: int, end: int) -> None:
        parts[-1].data += data[start:end]

    callbacks: Any = {
        "on_part_begin": on_part_begin,
        "on_header_field": on_header_field,
        "on_header_value": on_header_value,
        "on_header_end": on_header_end,
        "on_part_data": on_part_data,
    }
    try:
        parser = MultipartParser(boundary, callbacks)
        parser.write(body)
        parser.finalize()
    except Exception as exc:  # the parser's own errors, on whatever a client sent
        raise UnreadableForm("form.unreadable", "보낸 양식을 읽을 수 없습니다.") from exc
    fields: dict[str, bytes] = {}
    for part in parts:
        disposition = part.headers.get("content-disposition", b"")
        try:  # a file name in UTF-8 is fine; only the field's name is read
            _, options = parse_options_header(disposition)
        except (UnicodeError, ValueError):
            continue
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if name and name not in fields:
            fields[name] = bytes(part.data)
    return fields
