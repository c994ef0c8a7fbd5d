"""Realistic, synthetic issuance snapshots for every catalog type (reusable by other suites)."""

from __future__ import annotations

import copy
from typing import Any

NUMBER = "4821093756102394"
# Quotes, a colon and an ampersand: the template must pass them through tojson unharmed.
ADDRESS = '전북특별자치도 전주시 완산구 효자로 225, 101동 1203호 (효자동3가, "한빛: 아파트" & 상가)'

_COMMON: dict[str, Any] = {
    "schema": 1,
    "number": NUMBER,
    "issued_at": "2026-11-25T13:45:12+09:00",
    "expires_at": "2027-02-23T13:45:12+09:00",
    "channel": "counter",
    "channel_label": "창구",
    "office": {
        "code": "4511151000",
        "name": "전주시 완산구 중앙동 주민센터",
        "head_title": "전주시 완산구 중앙동장",
    },
    "province": "전북특별자치도",
    "purpose": None,
    "print_purpose": False,
    "fee": 400,
    "items": {},
    "verify_url": "http://127.0.0.1:8000/verify",
}

_SPECIFIC: dict[str, dict[str, Any]] = {
    "deungbon": {
        "title": "주민등록표 (등본)",
        "selections": [
            ["과거의 주소 변동 사항", "최근 5년"],
            ["세대 구성 사유", "포함"],
            ["교부 대상자 외 다른 세대원의 이름", "미포함"],
        ],
        "household": {
            "head_name": "김민준",
            "address": ADDRESS,
            "formed_on": "2015-03-02",
            "formation_reason": "전입",
        },
        "members": [
            {
                "relation": "본인",
                "name": "김민준",
                "rrn": "850314-1******",
                "moved_in_on": "2015-03-02",
                "change_reason": "전입",
            },
            {
                "relation": "배우자",
                "name": None,
                "rrn": "870922-2******",
                "moved_in_on": "2016-05-20",
                "change_reason": "전입",
            },
            {
                "relation": "자녀",
                "name": None,
                "rrn": "180407-3******",
                "moved_in_on": "2018-04-07",
                "change_reason": "출생등록",
            },
        ],
        "past_addresses": [
            {
                "address": "전라북도 전주시 덕진구 기린대로 418",
                "moved_in_on": "2021-02-01",
                "reason": "전입",
            },
        ],
    },
    "chobon": {
        "title": "주민등록표 (초본)",
        "items": {"personal_changes": True, "past_addresses": "all"},
        "selections": [["개인 인적사항 변경 내용", "포함"], ["과거의 주소 변동 사항", "전체"]],
        "person": {"name": "이서연", "rrn": "920611-2345678"},
        "personal_changes": [{"on": "2010-09-01", "what": "성명 정정 (이서현 → 이서연)"}],
        "addresses": [
            {
                "seq": 1,
                "address": "전라북도 익산시 인북로 32",
                "moved_in_on": "1992-06-11",
                "reason": "출생등록",
                "head_name": "이정호",
                "head_relation": "자녀",
            },
            {
                "seq": 2,
                "address": ADDRESS,
                "moved_in_on": "2019-08-30",
                "reason": "전입",
                "head_name": None,
                "head_relation": None,
            },
        ],
        "military_service": None,
    },
    "ingam": {
        "title": "인감증명서",
        "selections": [["용도", "부동산 매도용"]],
        "fee": 600,
        "person": {"name": "박지훈", "rrn": "780102-1******", "address": ADDRESS},
        "seal": {
            "registered_on": "2012-04-16",
            "office_name": "전주시 완산구 중앙동 주민센터",
            "description": "원형, 지름 12mm, 성명 3자 전서체",
        },
        "usage_label": "부동산 매도용",
        "buyer": {
            "name": "최유진",
            "address": "전북특별자치도 군산시 대학로 1",
            "rrn": "900505-2******",
        },
        "proxy": {"name": "박서준", "rrn": "050911-3******"},
    },
    "napse": {
        "title": "지방세 납세증명서",
        "selections": [["사용 목적", "대금 수령"]],
        "fee": 0,
        "purpose": "공사 대금 수령",
        "print_purpose": True,
        "person": {"name": "정하은", "rrn": "881224-2******", "address": ADDRESS},
        "purpose_label": "대금 수령",
        "checked_on": "2026-11-25",
        "statement": "위 납세자는 2026년 11월 25일 현재 체납한 지방세가 없음을 증명합니다.",
    },
    "geonchuk": {
        "title": "일반건축물대장 (갑)",
        "selections": [["소유자 현황", "포함"]],
        "fee": 500,
        "building": {
            "register_number": "45111-100-12345",
            "address": ADDRESS,
            "main_use": "제2종근린생활시설",
            "structure": "철근콘크리트구조",
            "floors_above": 4,
            "floors_below": 1,
            "floor_area_m2": 1234.56,
            "site_area_m2": 512.3,
            "approved_on": "1998-12-30",
            "owner_name": "주식회사 한옥마을",
        },
    },
}


def document_types() -> list[str]:
    """Returns the document types that have an example snapshot."""
    return sorted(_SPECIFIC)


def example_snapshot(document_type: str) -> dict[str, Any]:
    """Returns a fresh snapshot of ``document_type`` shaped as the issuance service freezes it."""
    snapshot = copy.deepcopy(_COMMON)
    snapshot["document_type"] = document_type
    snapshot.update(copy.deepcopy(_SPECIFIC[document_type]))
    return snapshot
