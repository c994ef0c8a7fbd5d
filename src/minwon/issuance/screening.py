"""Screens what an issuance request typed, before anything is decided, stored or printed.

Every text in the command comes out in NFC, so a name typed in NFD matches and prints as
the registry's. Free text (a purpose, a name, an address) that holds a 주민등록번호 is
refused: it would be stored as typed and printed on a paper that masks everyone's number.
An item the document does not have, or a value it does not offer, is bad input (422), not
a refusal under the law. The walk covers every field of the command and of the values in
it, so a field added later is normalised too.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from enum import Enum
from typing import Any

from minwon.catalog.model import DocumentType
from minwon.errors import InvalidRequest
from minwon.inputs import free_text, nfc
from minwon.issuance.commands import IssueDocument

# Fields whose text is a person's words: a number there is refused. Others (numbers,
# codes, keys, a sensor's reading) are only normalised.
_FREE_TEXT = {"purpose": "발급 목적", "name": "이름", "address": "주소", "reason": "사유"}
_FREE_TEXT_SUFFIXES = ("_purpose", "_name", "_address", "_reason", "_note")
_ITEM_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def screened(cmd: IssueDocument, document: DocumentType) -> IssueDocument:
    """Returns the command with its text in NFC; raises InvalidRequest (422) for a number
    in free text, an unknown item or a value the item does not offer."""
    checked: IssueDocument = _walk(cmd, "")
    for code, value in checked.items.items():
        item = document.item(code)
        if item is None:
            named = _ITEM_CODE.match(code) is not None  # anything else is not repeated back
            shown = f" '{code}'" if named else ""
            raise InvalidRequest(
                "item.unknown",
                f"{document.title}에는 요청한 항목{shown}이 없습니다.",
                item=code if named else None,
            )
        if not item.accepts(value):
            raise InvalidRequest(
                "item.invalid_value", f"'{item.label}' 항목에 선택할 수 없는 값이 입력되었습니다."
            )
    return checked


def _label(name: str) -> str | None:
    if name in _FREE_TEXT:
        return _FREE_TEXT[name]
    for suffix in _FREE_TEXT_SUFFIXES:
        if name.endswith(suffix):
            return _FREE_TEXT.get(suffix[1:], "입력한 내용")
    return None


def _walk(value: Any, name: str) -> Any:
    if isinstance(value, Enum):
        return value  # a code from a fixed list (a Ground), already checked
    if isinstance(value, str):
        label = _label(name)
        return nfc(value) if label is None else free_text(value, what=label, field=name)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for f in dataclasses.fields(value):
            before = getattr(value, f.name)
            after = _walk(before, f.name)
            if after != before:
                changes[f.name] = after
        return dataclasses.replace(value, **changes) if changes else value
    if isinstance(value, tuple):
        return tuple(_walk(v, name) for v in value)
    if isinstance(value, Mapping):
        return {nfc(str(k)): _walk(v, "") for k, v in value.items()}
    return value
