"""Entitlement: may this requester get this document here, and which items may it show.

One pure function per statute, chosen by the document type's ``access``; then the
requested items are resolved against the type's defaults and each item's
``restricted_to``. Every refusal names its legal basis (주민등록법 제29조 and others).

A deceased subject (``subject.alive`` False) has no rule of its own: in reality family
members with a ground still get a deceased person's 초본, and that is exactly what the
ordinary rules below allow, so adding a special case would only add a way to be wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from minwon.catalog.model import Access, Channel, DocumentType
from minwon.issuance.model import (
    Decision,
    Delegation,
    EntitlementRequest,
    Ground,
    ItemValue,
    Permit,
    Refusal,
    Relation,
)
from minwon.issuance.refusals import REFUSAL_CODES, refuse
from minwon.periods import last_day_of_months

__all__ = [
    "DEFAULT_DELEGATION_VALID_MONTHS",
    "REFUSAL_CODES",
    "decide",
    "delegation_last_day",
    "resolve_items",
]

# City policy to verify: how long a 위임장 stays valid when neither the delegation
# (``valid_until``) nor the document type (``delegation_valid_months``, a statutory cap
# such as 인감증명법 시행령 제13조's 6 months) says. 주민등록법 sets no term; 3 months
# keeps a stale paper from opening a resident's record indefinitely.
DEFAULT_DELEGATION_VALID_MONTHS = 3

# Where each access kind is decided, and where its delegation and request form are set.
_ACCESS_BASIS = {
    Access.RESIDENT_RECORD: "주민등록법 제29조",
    Access.SEAL: "인감증명법 제12조",
    Access.TAXPAYER: "지방세징수법 제5조",
    Access.PUBLIC: "건축법 제38조",
}
_DELEGATION_BASIS = {
    Access.RESIDENT_RECORD: "주민등록법 제29조②, 시행령 제47조",
    Access.SEAL: "인감증명법 시행령 제13조",
    Access.TAXPAYER: "지방세징수법 시행령 제6조",
    Access.PUBLIC: "건축법 제38조",
}
_FORM_BASIS = {
    Access.RESIDENT_RECORD: "주민등록법 시행규칙 별지 제7호서식",
    Access.SEAL: "인감증명법 시행규칙 별지 서식",
    Access.TAXPAYER: "지방세징수법 시행규칙 별지 서식",
    Access.PUBLIC: "건축물대장의 기재 및 관리 등에 관한 규칙 별지 서식",
}
# 주민등록법 제29조② 각 호 (numbering as in minwon.issuance.model.Ground).
_GROUND_BASIS = {
    Ground.PUBLIC_DUTY: "주민등록법 제29조② 제1호",
    Ground.LITIGATION: "주민등록법 제29조② 제2호 가목",
    Ground.OTHER_LAW: "주민등록법 제29조② 제2호 나목",
    Ground.SUBMISSION_OBLIGED: "주민등록법 제29조② 제3호",
    Ground.KIN: "주민등록법 제29조② 제4호",
    Ground.CREDITOR: "주민등록법 제29조② 제2호 다목, 시행령 제47조",
    Ground.PUBLIC_INTEREST: "주민등록법 제29조② 제5호",
}
_UNATTENDED = frozenset({Channel.KIOSK, Channel.ONLINE})
SEAL_PROXY_MIN_AGE = 17  # 인감증명법 시행령 제13조: 대리인은 17세 이상


@dataclass(frozen=True, slots=True)
class _Grant:
    requester_class: str
    basis: str
    print_purpose: bool = False


def delegation_last_day(delegation: Delegation, document: DocumentType) -> date:
    """Returns the last day a 위임장 is valid for ``document`` (inclusive).

    "작성일부터 N개월" is a legal period (minwon.periods: 민법 제157조, 제160조). A
    statutory term on the type caps the paper's own ``valid_until``; without either, the
    city's default term applies.
    """
    cap = document.delegation_valid_months
    if cap is not None:
        statutory = last_day_of_months(delegation.written_on, cap)
        if delegation.valid_until is None:
            return statutory
        return min(statutory, delegation.valid_until)
    if delegation.valid_until is not None:
        return delegation.valid_until
    return last_day_of_months(delegation.written_on, DEFAULT_DELEGATION_VALID_MONTHS)


def _check_delegation(request: EntitlementRequest, delegation: Delegation) -> Refusal | None:
    document = request.document
    basis = _DELEGATION_BASIS[document.access]
    if document.code not in delegation.document_types:
        return refuse("delegation.scope", basis, title=document.title)
    if not delegation.delegator_id_seen:
        return refuse("delegation.delegator_id_missing", basis)
    if delegation.written_on > request.today:
        return refuse("delegation.not_yet_valid", basis)
    last_day = delegation_last_day(delegation, document)
    if request.today > last_day:
        return refuse("delegation.expired", basis, last_day=last_day.isoformat())
    return None


def _resident_record_rule(request: EntitlementRequest) -> _Grant | Refusal:
    """주민등록법 제29조: 본인·세대원, their delegate, or a listed ground (등본·초본)."""
    if request.relation is Relation.SELF:
        return _Grant("self", "주민등록법 제29조②")
    if request.relation is Relation.HOUSEHOLD_MEMBER:
        return _Grant("household_member", "주민등록법 제29조②")
    if request.channel in _UNATTENDED:  # ③: 전자문서·무인민원발급기는 본인·세대원만
        return refuse("entitlement.self_or_household_only", "주민등록법 제29조③")
    # A delegation comes from the subject, so it decides when a ground is also given (an
    # invalid one is not rescued by the ground). A delegate acts as the subject, so no
    # purpose is printed; only ground-based (제3자) copies print it.
    if request.delegation is not None:
        refusal = _check_delegation(request, request.delegation)
        return refusal or _Grant("delegate", "주민등록법 제29조② 단서")
    if request.ground is None:
        return refuse("entitlement.no_ground", "주민등록법 제29조②")
    if request.ground is Ground.CREDITOR and not request.document.creditor_may_request:
        return refuse("entitlement.creditor_chobon_only", "주민등록법 제29조④, 시행령 제47조")
    if not (request.purpose or "").strip():
        return refuse("entitlement.purpose_required", "주민등록법 제29조②, 시행령 제47조")
    return _Grant(request.ground.value, _GROUND_BASIS[request.ground], print_purpose=True)


def _seal_rule(request: EntitlementRequest) -> _Grant | Refusal:
    """인감증명법 제12조·시행령 제13조: 본인, or a 17+ 대리인 with a 6-month 위임장."""
    grant = _Grant("self", "인감증명법 제12조")
    if request.relation is not Relation.SELF:
        basis = "인감증명법 제12조, 시행령 제13조"
        if request.channel in _UNATTENDED:
            return refuse("entitlement.proxy_counter_only", basis)
        if request.delegation is None:
            return refuse("seal.delegation_required", basis)
        refusal = _check_delegation(request, request.delegation)
        if refusal is not None:
            return refusal
        proxy = request.proxy
        if proxy is None:
            return refuse("seal.proxy_facts_missing", "인감증명법 시행령 제13조")
        if proxy.age is None:
            return refuse("seal.proxy_age_unknown", "인감증명법 시행령 제13조")
        if proxy.age < SEAL_PROXY_MIN_AGE:
            return refuse("seal.proxy_underage", "인감증명법 시행령 제13조")
        if not (proxy.delegate_id_checked and proxy.delegator_id_checked):
            return refuse("seal.proxy_ids_missing", "인감증명법 시행령 제13조")
        if not proxy.fingerprint_taken:
            return refuse("seal.proxy_fingerprint_missing", "인감증명법 시행령 제13조")
        grant = _Grant("delegate", "인감증명법 제12조, 시행령 제13조")
    # Checked after entitlement so an unentitled person learns nothing about the seal.
    if not request.subject.has_active_seal:
        return refuse("seal.not_registered", "인감증명법 제12조")
    return grant


def _taxpayer_rule(request: EntitlementRequest) -> _Grant | Refusal:
    """지방세징수법 제5조·시행령 제6조: the taxpayer or a delegate, only without arrears."""
    grant = _Grant("self", "지방세징수법 제5조")
    if request.relation is not Relation.SELF:  # 세대원 too: tax records are personal
        basis = "지방세징수법 시행령 제6조"
        if request.channel in _UNATTENDED:
            return refuse("entitlement.proxy_counter_only", basis)
        if request.delegation is None:
            return refuse("tax.delegation_required", basis)
        refusal = _check_delegation(request, request.delegation)
        if refusal is not None:
            return refusal
        grant = _Grant("delegate", "지방세징수법 제5조, 시행령 제6조")
    if request.subject.tax_arrears > 0:
        return refuse("tax.arrears", "지방세징수법 제5조")
    return grant


def _public_rule(request: EntitlementRequest) -> _Grant | Refusal:
    """건축법 제38조: a building register is public; anyone may request it."""
    return _Grant("public", "건축법 제38조")


_RULES: dict[Access, Callable[[EntitlementRequest], _Grant | Refusal]] = {
    Access.RESIDENT_RECORD: _resident_record_rule,
    Access.SEAL: _seal_rule,
    Access.TAXPAYER: _taxpayer_rule,
    Access.PUBLIC: _public_rule,
}


def _explicit(requested: Mapping[str, ItemValue], code: str, default: ItemValue) -> bool:
    value = requested.get(code)
    if value is None:
        return False
    return value is True if isinstance(value, bool) else value != default


def resolve_items(
    document: DocumentType, requested: Mapping[str, ItemValue], requester_class: str
) -> dict[str, ItemValue] | Refusal:
    """Returns the type's defaults overlaid with ``requested``, restricted items dropped."""
    form = _FORM_BASIS[document.access]
    resolved: dict[str, ItemValue] = dict(document.defaults())
    for code, value in requested.items():
        item = document.item(code)
        if item is None:
            return refuse("item.unknown", form, title=document.title, item=code)
        if not item.accepts(value):
            return refuse("item.invalid_value", form, item=item.label)
        resolved[code] = value
    for item in document.items:
        if not item.restricted_to or requester_class in item.restricted_to:
            continue
        if _explicit(requested, item.code, item.default):
            return refuse("item.not_permitted", item.basis or form, item=item.label)
        if item.kind == "flag":
            resolved[item.code] = False
        else:  # a choice has no "off" value: leave it out of the document
            del resolved[item.code]
    return resolved


def decide(request: EntitlementRequest) -> Decision:
    """Returns a Permit with the final items, or a Refusal naming its legal basis."""
    document = request.document
    if document.offer(request.channel) is None:
        return refuse(
            "entitlement.channel_not_offered", _ACCESS_BASIS[document.access], title=document.title
        )
    if not request.requester_identified:
        return refuse("entitlement.requester_not_identified", _ACCESS_BASIS[document.access])
    if not request.requester_name_matches:
        return refuse("applicant.name_mismatch", _ACCESS_BASIS[document.access])
    outcome = _RULES[document.access](request)
    if isinstance(outcome, Refusal):
        return outcome
    items = resolve_items(document, request.items, outcome.requester_class)
    if isinstance(items, Refusal):
        return items
    return Permit(
        requester_class=outcome.requester_class,
        items=items,
        show_rrn_back=items.get("rrn_back") is True,
        print_purpose=outcome.print_purpose,
        basis=outcome.basis,
    )
