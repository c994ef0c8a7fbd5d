"""Who may get which document, as a table: one row per rule, boundary and refusal."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minwon.catalog.loader import default_catalog
from minwon.catalog.model import Channel, ChannelOffer, DocumentType
from minwon.issuance.entitlement import REFUSAL_CODES, decide
from minwon.issuance.model import (
    Delegation,
    EntitlementRequest,
    Ground,
    Permit,
    ProxyFacts,
    Refusal,
    Relation,
    SubjectFacts,
)

TODAY = date(2025, 3, 10)
CATALOG = default_catalog()


def doc(code: str) -> DocumentType:
    found = CATALOG.get(code)
    assert found is not None, code
    return found


# 인감 as if the city turned its kiosk on (DOMAIN.md: sources disagree).
INGAM_ON_KIOSK = dataclasses.replace(
    doc("ingam"), offers=(*doc("ingam").offers, ChannelOffer(Channel.KIOSK, 600))
)

COUNTER, KIOSK, ONLINE = Channel.COUNTER, Channel.KIOSK, Channel.ONLINE
SELF, MEMBER, OTHER = Relation.SELF, Relation.HOUSEHOLD_MEMBER, Relation.OTHER
RESIDENT_TYPES = ("deungbon", "chobon", "napse")


def deleg(
    written_on: date = date(2025, 3, 1),
    types: tuple[str, ...] = RESIDENT_TYPES,
    id_seen: bool = True,
    valid_until: date | None = None,
) -> Delegation:
    return Delegation(written_on, types, id_seen, valid_until)


def seal_deleg(written_on: date = date(2025, 3, 1), **kw: Any) -> Delegation:
    return deleg(written_on, types=("ingam",), **kw)


def proxy(
    age: int | None = 40, d_id: bool = True, s_id: bool = True, finger: bool = True
) -> ProxyFacts:
    return ProxyFacts(age, d_id, s_id, finger)


@dataclass(frozen=True)
class P:
    """Expect a Permit; ``items`` is the change from the type's defaults (None = removed)."""

    cls: str
    basis: str
    items: dict[str, Any] = field(default_factory=dict)
    rrn: bool = True
    purpose: bool = False


@dataclass(frozen=True)
class R:
    """Expect a Refusal with this code and basis."""

    code: str
    basis: str


def case(
    name: str,
    document: str | DocumentType,
    channel: Channel,
    relation: Relation,
    want: P | R,
    **kw: Any,
) -> Any:
    return pytest.param(document, channel, relation, kw, want, id=name)


ART29 = "주민등록법 제29조②"
ART29_DELEG = "주민등록법 제29조②, 시행령 제47조"
SEAL_DELEG = "인감증명법 시행령 제13조"
SEAL_PROXY = "인감증명법 제12조, 시행령 제13조"
TAX_DELEG = "지방세징수법 시행령 제6조"
CREDITOR = "주민등록법 제29조② 제2호 다목, 시행령 제47조"
ART29_3 = "주민등록법 제29조③"
ART29_4 = "주민등록법 제29조④, 시행령 제47조"
DELEGATE = "주민등록법 제29조② 단서"
FORM_7 = "주민등록법 시행규칙 별지 제7호서식"
SEAL = "인감증명법 제12조"
TAX = "지방세징수법 제5조"
BUILDING = "건축법 제38조"
NO_RRN = {"rrn_back": False}

# fmt: off
CASES = [
    # 주민등록표 등본·초본 (주민등록법 제29조)
    case("self_gets_deungbon_at_counter_with_default_items",
         "deungbon", COUNTER, SELF, P("self", ART29)),
    case("household_member_gets_deungbon_at_kiosk",
         "deungbon", KIOSK, MEMBER, P("household_member", ART29)),
    case("self_gets_chobon_online", "chobon", ONLINE, SELF, P("self", ART29)),
    case("self_chooses_all_past_addresses_and_hides_rrn_back",
         "deungbon", COUNTER, SELF,
         P("self", ART29, {"past_addresses": "all", "rrn_back": False}, rrn=False),
         items={"past_addresses": "all", "rrn_back": False}),
    case("household_member_may_ask_for_military_service_on_chobon",
         "chobon", KIOSK, MEMBER, P("household_member", ART29, {"military_service": True}),
         items={"military_service": True}),
    case("stranger_without_delegation_or_ground_is_refused",
         "deungbon", COUNTER, OTHER, R("entitlement.no_ground", ART29)),
    case("delegate_at_kiosk_is_refused_as_kiosks_serve_self_and_household_only",
         "deungbon", KIOSK, OTHER, R("entitlement.self_or_household_only", ART29_3),
         delegation=deleg()),
    case("public_official_online_is_refused_as_e_documents_serve_self_and_household_only",
         "chobon", ONLINE, OTHER, R("entitlement.self_or_household_only", ART29_3),
         ground=Ground.PUBLIC_DUTY, purpose="수사"),
    case("delegate_with_valid_delegation_gets_deungbon_with_rrn_back",
         "deungbon", COUNTER, OTHER, P("delegate", DELEGATE), delegation=deleg()),
    case("delegate_on_last_day_of_default_three_months_gets_chobon",
         "chobon", COUNTER, OTHER, P("delegate", DELEGATE), delegation=deleg(date(2024, 12, 10))),
    case("delegate_one_day_after_default_three_months_is_refused",
         "chobon", COUNTER, OTHER, R("delegation.expired", ART29_DELEG),
         delegation=deleg(date(2024, 12, 9))),
    case("delegate_on_valid_until_day_gets_chobon",
         "chobon", COUNTER, OTHER, P("delegate", DELEGATE),
         delegation=deleg(date(2024, 1, 1), valid_until=TODAY)),
    case("delegate_one_day_after_valid_until_is_refused",
         "chobon", COUNTER, OTHER, R("delegation.expired", ART29_DELEG),
         delegation=deleg(date(2025, 3, 1), valid_until=date(2025, 3, 9))),
    case("delegation_for_chobon_does_not_cover_deungbon",
         "deungbon", COUNTER, OTHER, R("delegation.scope", ART29_DELEG),
         delegation=deleg(types=("chobon",))),
    case("delegation_without_delegator_id_is_refused",
         "deungbon", COUNTER, OTHER, R("delegation.delegator_id_missing", ART29_DELEG),
         delegation=deleg(id_seen=False)),
    case("delegation_dated_tomorrow_is_not_yet_valid",
         "deungbon", COUNTER, OTHER, R("delegation.not_yet_valid", ART29_DELEG),
         delegation=deleg(date(2025, 3, 11))),
    case("delegation_takes_precedence_over_a_ground_given_with_it",
         "deungbon", COUNTER, OTHER, P("delegate", DELEGATE),
         delegation=deleg(), ground=Ground.CREDITOR, purpose="채권 회수"),
    case("expired_delegation_is_not_rescued_by_a_ground",
         "chobon", COUNTER, OTHER, R("delegation.expired", ART29_DELEG),
         delegation=deleg(date(2024, 1, 1)), ground=Ground.PUBLIC_DUTY, purpose="공무"),
    case("creditor_gets_chobon_with_purpose_printed_and_without_rrn_back",
         "chobon", COUNTER, OTHER, P("creditor", CREDITOR, NO_RRN, rrn=False, purpose=True),
         ground=Ground.CREDITOR, purpose="대여금 채권 회수"),
    case("creditor_gets_chobon_but_not_deungbon",
         "deungbon", COUNTER, OTHER, R("entitlement.creditor_chobon_only", ART29_4),
         ground=Ground.CREDITOR, purpose="대여금 채권 회수"),
    case("creditor_without_purpose_is_refused",
         "chobon", COUNTER, OTHER, R("entitlement.purpose_required", ART29_DELEG),
         ground=Ground.CREDITOR),
    case("kin_with_blank_purpose_is_refused",
         "deungbon", COUNTER, OTHER, R("entitlement.purpose_required", ART29_DELEG),
         ground=Ground.KIN, purpose="   "),
    case("creditor_asking_for_past_head_name_is_refused",
         "chobon", COUNTER, OTHER, R("item.not_permitted", "주민등록법 시행규칙 제13조⑦"),
         ground=Ground.CREDITOR, purpose="채권", items={"past_head_name_relation": True}),
    case("creditor_asking_for_rrn_back_is_refused",
         "chobon", COUNTER, OTHER, R("item.not_permitted", "주민등록법 시행규칙 제13조"),
         ground=Ground.CREDITOR, purpose="채권", items={"rrn_back": True}),
    case("creditor_turning_rrn_back_off_gets_chobon",
         "chobon", COUNTER, OTHER, P("creditor", CREDITOR, NO_RRN, rrn=False, purpose=True),
         ground=Ground.CREDITOR, purpose="채권", items={"rrn_back": False}),
    case("public_official_gets_past_head_name_but_not_rrn_back_on_chobon",
         "chobon", COUNTER, OTHER,
         P("public_duty", "주민등록법 제29조② 제1호",
           {"past_head_name_relation": True, "military_service": True, "rrn_back": False},
           rrn=False, purpose=True),
         ground=Ground.PUBLIC_DUTY, purpose="병역 확인",
         items={"past_head_name_relation": True, "military_service": True}),
    case("kin_outside_household_gets_deungbon_without_rrn_back",
         "deungbon", COUNTER, OTHER,
         P("kin", "주민등록법 제29조② 제4호", NO_RRN, rrn=False, purpose=True),
         ground=Ground.KIN, purpose="상속 절차"),
    case("litigant_gets_deungbon_with_purpose_printed",
         "deungbon", COUNTER, OTHER,
         P("litigation", "주민등록법 제29조② 제2호 가목", NO_RRN, rrn=False, purpose=True),
         ground=Ground.LITIGATION, purpose="경매 송달"),
    case("other_law_ground_gets_chobon",
         "chobon", COUNTER, OTHER,
         P("other_law", "주민등록법 제29조② 제2호 나목", NO_RRN, rrn=False, purpose=True),
         ground=Ground.OTHER_LAW, purpose="보험금 지급"),
    case("submission_obliged_ground_gets_deungbon",
         "deungbon", COUNTER, OTHER,
         P("submission_obliged", "주민등록법 제29조② 제3호", NO_RRN, rrn=False, purpose=True),
         ground=Ground.SUBMISSION_OBLIGED, purpose="제출 의무"),
    case("public_interest_ground_gets_chobon",
         "chobon", COUNTER, OTHER,
         P("public_interest", "주민등록법 제29조② 제5호", NO_RRN, rrn=False, purpose=True),
         ground=Ground.PUBLIC_INTEREST, purpose="공익 조사"),
    case("delegate_may_ask_for_military_service_on_chobon",
         "chobon", COUNTER, OTHER, P("delegate", DELEGATE, {"military_service": True}),
         delegation=deleg(), items={"military_service": True}),
    case("kin_gets_chobon_of_a_deceased_parent_with_no_special_rule",
         "chobon", COUNTER, OTHER,
         P("kin", "주민등록법 제29조② 제4호", NO_RRN, rrn=False, purpose=True),
         ground=Ground.KIN, purpose="상속", subject=SubjectFacts(alive=False)),
    case("unknown_item_is_refused",
         "deungbon", COUNTER, SELF, R("item.unknown", FORM_7), items={"blood_type": True}),
    case("choice_outside_the_form_is_refused",
         "deungbon", COUNTER, SELF, R("item.invalid_value", FORM_7),
         items={"past_addresses": "ten_years"}),
    case("flag_given_text_is_refused",
         "chobon", KIOSK, SELF, R("item.invalid_value", FORM_7), items={"rrn_back": "yes"}),
    case("unidentified_requester_is_refused_deungbon",
         "deungbon", KIOSK, SELF, R("entitlement.requester_not_identified", "주민등록법 제29조"),
         requester_identified=False),
    # 인감증명서 (인감증명법 제12조, 시행령 제13조)
    case("self_gets_ingam_at_counter", "ingam", COUNTER, SELF, P("self", SEAL)),
    case("self_gets_ingam_for_a_property_sale",
         "ingam", COUNTER, SELF, P("self", SEAL, {"usage": "sale"}), items={"usage": "sale"}),
    case("ingam_at_kiosk_is_not_offered",
         "ingam", KIOSK, SELF, R("entitlement.channel_not_offered", SEAL)),
    case("ingam_online_is_not_offered",
         "ingam", ONLINE, SELF, R("entitlement.channel_not_offered", SEAL)),
    case("self_gets_ingam_at_kiosk_if_the_city_turns_it_on",
         INGAM_ON_KIOSK, KIOSK, SELF, P("self", SEAL)),
    case("proxy_at_kiosk_is_refused_even_if_the_city_turns_it_on",
         INGAM_ON_KIOSK, KIOSK, OTHER, R("entitlement.proxy_counter_only", SEAL_PROXY),
         delegation=seal_deleg(), proxy=proxy()),
    case("proxy_aged_17_with_every_check_gets_ingam",
         "ingam", COUNTER, OTHER, P("delegate", SEAL_PROXY),
         delegation=seal_deleg(), proxy=proxy(age=17)),
    case("proxy_aged_16_is_refused",
         "ingam", COUNTER, OTHER, R("seal.proxy_underage", SEAL_DELEG),
         delegation=seal_deleg(), proxy=proxy(age=16)),
    case("proxy_whose_number_was_not_given_has_no_age_and_is_refused",
         "ingam", COUNTER, OTHER, R("seal.proxy_age_unknown", SEAL_DELEG),
         delegation=seal_deleg(), proxy=proxy(age=None)),
    case("a_name_that_contradicts_the_registry_is_refused_even_as_self",
         "deungbon", COUNTER, SELF, R("applicant.name_mismatch", "주민등록법 제29조"),
         requester_name_matches=False),
    case("a_name_that_contradicts_the_registry_is_refused_for_a_seal_proxy",
         "ingam", COUNTER, OTHER, R("applicant.name_mismatch", SEAL),
         delegation=seal_deleg(), proxy=proxy(), requester_name_matches=False),
    case("proxy_without_delegation_is_refused",
         "ingam", COUNTER, OTHER, R("seal.delegation_required", SEAL_PROXY), proxy=proxy()),
    case("household_member_needs_a_delegation_for_ingam",
         "ingam", COUNTER, MEMBER, R("seal.delegation_required", SEAL_PROXY)),
    case("household_member_with_delegation_gets_ingam_as_delegate",
         "ingam", COUNTER, MEMBER, P("delegate", SEAL_PROXY),
         delegation=seal_deleg(), proxy=proxy()),
    case("proxy_whose_own_id_was_not_checked_is_refused",
         "ingam", COUNTER, OTHER, R("seal.proxy_ids_missing", SEAL_DELEG),
         delegation=seal_deleg(), proxy=proxy(d_id=False)),
    case("proxy_without_the_delegators_id_checked_is_refused",
         "ingam", COUNTER, OTHER, R("seal.proxy_ids_missing", SEAL_DELEG),
         delegation=seal_deleg(), proxy=proxy(s_id=False)),
    case("proxy_without_fingerprint_is_refused",
         "ingam", COUNTER, OTHER, R("seal.proxy_fingerprint_missing", SEAL_DELEG),
         delegation=seal_deleg(), proxy=proxy(finger=False)),
    case("proxy_with_no_recorded_checks_is_refused",
         "ingam", COUNTER, OTHER, R("seal.proxy_facts_missing", SEAL_DELEG),
         delegation=seal_deleg()),
    case("seal_delegation_written_exactly_six_months_ago_is_valid",
         "ingam", COUNTER, OTHER, P("delegate", SEAL_PROXY),
         delegation=seal_deleg(date(2024, 9, 10)), proxy=proxy()),
    case("seal_delegation_six_months_and_a_day_old_is_expired",
         "ingam", COUNTER, OTHER, R("delegation.expired", SEAL_DELEG),
         delegation=seal_deleg(date(2024, 9, 9)), proxy=proxy()),
    case("seal_delegation_valid_until_cannot_extend_the_six_months",
         "ingam", COUNTER, OTHER, R("delegation.expired", SEAL_DELEG),
         delegation=seal_deleg(date(2024, 9, 9), valid_until=date(2025, 12, 31)), proxy=proxy()),
    case("seal_delegation_of_august_31_is_valid_on_february_28",
         "ingam", COUNTER, OTHER, P("delegate", SEAL_PROXY),
         delegation=seal_deleg(date(2024, 8, 31)), proxy=proxy(), today=date(2025, 2, 28)),
    case("seal_delegation_of_august_31_is_expired_on_march_1",
         "ingam", COUNTER, OTHER, R("delegation.expired", SEAL_DELEG),
         delegation=seal_deleg(date(2024, 8, 31)), proxy=proxy(), today=date(2025, 3, 1)),
    case("delegation_for_resident_records_does_not_cover_ingam",
         "ingam", COUNTER, OTHER, R("delegation.scope", SEAL_DELEG),
         delegation=deleg(), proxy=proxy()),
    case("self_without_a_registered_seal_is_refused",
         "ingam", COUNTER, SELF, R("seal.not_registered", SEAL),
         subject=SubjectFacts(has_active_seal=False)),
    case("entitled_proxy_for_a_subject_without_a_seal_is_refused",
         "ingam", COUNTER, OTHER, R("seal.not_registered", SEAL),
         delegation=seal_deleg(), proxy=proxy(), subject=SubjectFacts(has_active_seal=False)),
    # 지방세 납세증명서 (지방세징수법 제5조, 시행령 제6조)
    case("self_without_arrears_gets_napse_at_kiosk",
         "napse", KIOSK, SELF, P("self", TAX)),
    case("self_with_arrears_is_refused_napse",
         "napse", ONLINE, SELF, R("tax.arrears", TAX), subject=SubjectFacts(tax_arrears=1)),
    case("household_member_needs_a_delegation_for_napse",
         "napse", COUNTER, MEMBER, R("tax.delegation_required", TAX_DELEG)),
    case("stranger_with_a_public_duty_ground_still_needs_a_delegation_for_napse",
         "napse", COUNTER, OTHER, R("tax.delegation_required", TAX_DELEG),
         ground=Ground.PUBLIC_DUTY, purpose="공무"),
    case("delegate_gets_napse_at_counter",
         "napse", COUNTER, OTHER,
         P("delegate", "지방세징수법 제5조, 시행령 제6조", {"purpose": "immigration"}),
         delegation=deleg(), items={"purpose": "immigration"}),
    case("delegate_online_is_refused_napse",
         "napse", ONLINE, OTHER, R("entitlement.proxy_counter_only", TAX_DELEG),
         delegation=deleg()),
    case("delegate_for_a_taxpayer_with_arrears_is_refused",
         "napse", COUNTER, OTHER, R("tax.arrears", TAX),
         delegation=deleg(), subject=SubjectFacts(tax_arrears=35_000)),
    case("napse_delegation_past_the_default_three_months_is_expired",
         "napse", COUNTER, OTHER, R("delegation.expired", TAX_DELEG),
         delegation=deleg(date(2024, 12, 9))),
    # 건축물대장 (건축법 제38조)
    case("stranger_gets_building_register_online",
         "geonchuk", ONLINE, OTHER, P("public", BUILDING, rrn=False)),
    case("creditor_gets_building_register_at_kiosk_without_purpose",
         "geonchuk", KIOSK, OTHER, P("public", BUILDING, rrn=False), ground=Ground.CREDITOR),
    case("building_register_may_leave_out_owners",
         "geonchuk", COUNTER, SELF, P("public", BUILDING, {"owner": False}, rrn=False),
         items={"owner": False}),
    case("building_register_has_no_rrn_back_item",
         "geonchuk", COUNTER, OTHER,
         R("item.unknown", "건축물대장의 기재 및 관리 등에 관한 규칙 별지 서식"),
         items={"rrn_back": True}),
    case("unidentified_requester_is_refused_building_register",
         "geonchuk", KIOSK, OTHER, R("entitlement.requester_not_identified", BUILDING),
         requester_identified=False),
]
# fmt: on


@pytest.mark.parametrize(("document", "channel", "relation", "facts", "want"), CASES)
def test_entitlement(
    document: str | DocumentType,
    channel: Channel,
    relation: Relation,
    facts: dict[str, Any],
    want: P | R,
) -> None:
    dtype = doc(document) if isinstance(document, str) else document
    facts = {"today": TODAY, **facts}
    decision = decide(
        EntitlementRequest(document=dtype, channel=channel, relation=relation, **facts)
    )
    if isinstance(want, R):
        assert isinstance(decision, Refusal), decision
        assert (decision.code, decision.basis) == (want.code, want.basis)
        assert decision.detail.endswith("니다.")
        return
    assert isinstance(decision, Permit), decision
    items = {**dtype.defaults(), **want.items}
    assert decision == Permit(
        requester_class=want.cls,
        items={k: v for k, v in items.items() if v is not None},
        show_rrn_back=want.rrn,
        print_purpose=want.purpose,
        basis=want.basis,
    )


def test_the_table_refuses_with_every_code() -> None:
    refused = {p.values[4].code for p in CASES if isinstance(p.values[4], R)}
    assert refused == REFUSAL_CODES
    assert len(CASES) >= 45


# Properties: any combination of facts gets an answer, never an exception.

DOCUMENTS = [*CATALOG.all(), INGAM_ON_KIOSK]
ITEM_VALUES = st.one_of(st.booleans(), st.sampled_from(["none", "recent5", "all", "sale", "x"]))
ITEM_CODES = st.sampled_from(
    sorted({i.code for d in DOCUMENTS for i in d.items} | {"unknown_item"})
)
DATES = st.dates(min_value=date(2023, 1, 1), max_value=date(2026, 12, 31))

requests = st.builds(
    EntitlementRequest,
    document=st.sampled_from(DOCUMENTS),
    channel=st.sampled_from(list(Channel)),
    relation=st.sampled_from(list(Relation)),
    today=DATES,
    requester_identified=st.booleans(),
    delegation=st.none()
    | st.builds(
        Delegation,
        written_on=DATES,
        document_types=st.lists(st.sampled_from([d.code for d in DOCUMENTS])).map(tuple),
        delegator_id_seen=st.booleans(),
        valid_until=st.none() | DATES,
    ),
    ground=st.none() | st.sampled_from(list(Ground)),
    purpose=st.none() | st.text(max_size=5),
    items=st.dictionaries(ITEM_CODES, ITEM_VALUES, max_size=4),
    proxy=st.none()
    | st.builds(
        ProxyFacts, st.none() | st.integers(0, 100), st.booleans(), st.booleans(), st.booleans()
    ),
    requester_name_matches=st.booleans(),
    subject=st.builds(SubjectFacts, st.booleans(), st.integers(0, 10_000), st.booleans()),
)


@settings(max_examples=400, deadline=None)
@given(requests)
def test_decide_answers_every_request_with_a_known_code_or_a_consistent_permit(
    request: EntitlementRequest,
) -> None:
    decision = decide(request)
    if isinstance(decision, Refusal):
        assert decision.code in REFUSAL_CODES
        assert decision.basis and decision.detail
        return
    assert isinstance(decision, Permit)
    if request.channel is not Channel.COUNTER:
        assert decision.requester_class in {"self", "household_member", "public"}
    assert decision.show_rrn_back == (decision.items.get("rrn_back") is True)
    assert not decision.print_purpose or (request.purpose or "").strip()
    for item in request.document.items:
        if item.restricted_to and decision.requester_class not in item.restricted_to:
            assert decision.items.get(item.code) in (None, False), item.code
        if item.code in decision.items:
            assert item.accepts(decision.items[item.code])


@settings(max_examples=200, deadline=None)
@given(requests)
def test_a_creditor_never_sees_past_head_names_or_rrn_back(request: EntitlementRequest) -> None:
    decision = decide(
        dataclasses.replace(
            request, relation=Relation.OTHER, delegation=None, ground=Ground.CREDITOR
        )
    )
    if isinstance(decision, Permit) and decision.requester_class == "creditor":
        assert request.document.code == "chobon"
        assert decision.items["past_head_name_relation"] is False
        assert decision.show_rrn_back is False
