"""Refusal codes: stable, greppable, each with a Korean detail written for a citizen.

``basis`` is supplied by the rule that refuses (issuance.entitlement); the wording here is
what the citizen reads, in 합니다체, and may be corrected without touching any rule.
"""

from __future__ import annotations

from minwon.issuance.model import Refusal

_DETAILS: dict[str, str] = {
    "entitlement.channel_not_offered": (
        "이 창구에서는 {title} 발급을 제공하지 않습니다. 다른 발급 창구를 이용하시기 바랍니다."
    ),
    "entitlement.requester_not_identified": (
        "신청하신 분의 신원을 확인하지 못해 발급할 수 없습니다. 신분증을 제시해 주시기 바랍니다."
    ),
    "applicant.name_mismatch": (
        "신청인의 이름이 입력한 주민등록번호의 주민등록 정보와 다릅니다. 신분증의 이름과 "
        "번호를 다시 확인해 주시기 바랍니다."
    ),
    "entitlement.self_or_household_only": (
        "무인민원발급기와 인터넷으로는 본인 또는 세대원만 발급받을 수 있습니다. "
        "주민센터 창구를 이용하시기 바랍니다."
    ),
    "entitlement.proxy_counter_only": (
        "대리 발급은 위임장과 신분증을 확인하는 주민센터 창구에서만 할 수 있습니다."
    ),
    "entitlement.no_ground": (
        "본인 또는 세대원이 아닌 분은 위임장이나 법령에 정한 신청 사유가 있어야 "
        "발급받을 수 있습니다."
    ),
    "entitlement.creditor_chobon_only": (
        "채권·채무 관계를 사유로는 주민등록표 초본만 발급받을 수 있습니다."
    ),
    "entitlement.purpose_required": (
        "본인 또는 세대원이 아닌 분은 용도와 목적을 적어 주셔야 합니다. 적으신 내용은 "
        "문서에 표시됩니다."
    ),
    "delegation.scope": "위임장에 {title} 발급이 위임되어 있지 않습니다.",
    "delegation.delegator_id_missing": (
        "위임하신 분의 신분증(사본)을 확인하지 못해 발급할 수 없습니다."
    ),
    "delegation.not_yet_valid": "위임장의 작성일이 오늘 이후로 적혀 있어 발급할 수 없습니다.",
    "delegation.expired": (
        "위임장의 유효기간({last_day}까지)이 지나 발급할 수 없습니다. 새 위임장을 받아 "
        "오시기 바랍니다."
    ),
    "seal.delegation_required": (
        "인감증명서는 본인이 아니면 인감 본인이 작성한 위임장이 있어야 발급받을 수 있습니다."
    ),
    "seal.proxy_facts_missing": (
        "대리인 확인 사항(나이, 신분증, 무인)이 기록되지 않아 발급할 수 없습니다."
    ),
    "seal.proxy_age_unknown": (
        "대리인의 나이는 대리인의 주민등록번호로 확인합니다. 대리인의 주민등록번호를 "
        "신분증에서 옮겨 적어 주시기 바랍니다."
    ),
    "seal.proxy_underage": "인감증명서 대리 발급은 17세 이상인 분만 신청할 수 있습니다.",
    "seal.proxy_ids_missing": "위임하신 분과 대리인의 신분증을 모두 확인해야 발급할 수 있습니다.",
    "seal.proxy_fingerprint_missing": "대리인의 무인(손도장)을 받아야 발급할 수 있습니다.",
    "seal.not_registered": "신고된 인감이 없어 인감증명서를 발급할 수 없습니다.",
    "tax.delegation_required": (
        "납세증명서는 본인이 아니면 납세자의 위임장이 있어야 발급받을 수 있습니다."
    ),
    "tax.arrears": "체납액이 있어 납세증명서를 발급할 수 없습니다.",
    "item.unknown": "{title}에는 '{item}' 항목이 없습니다.",
    "item.invalid_value": "'{item}' 항목에 선택할 수 없는 값이 입력되었습니다.",
    "item.not_permitted": "'{item}' 항목은 신청하신 자격으로는 표시할 수 없습니다.",
}

REFUSAL_CODES: frozenset[str] = frozenset(_DETAILS)
"""Every code ``decide`` may return; stable, greppable, one Korean detail each."""


def refuse(code: str, basis: str, **facts: str) -> Refusal:
    """Returns the Refusal for ``code``, its detail filled with ``facts``."""
    return Refusal(code=code, basis=basis, detail=_DETAILS[code].format(**facts))
