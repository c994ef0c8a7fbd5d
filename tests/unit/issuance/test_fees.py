"""What an issuance costs, as a table: channel fees, copies, exemptions and their limits."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minwon.catalog.loader import default_catalog
from minwon.catalog.model import Channel
from minwon.issuance.fees import (
    FEE_ERROR_CODES,
    ChannelNotOffered,
    CopiesOutOfRange,
    ExemptionNotApplicable,
    FeeDecision,
    FeeError,
    UnknownExemption,
    charge_for,
)

CATALOG = default_catalog()
COUNTER, KIOSK, ONLINE = Channel.COUNTER, Channel.KIOSK, Channel.ONLINE
RESIDENT_FEES = "주민등록법 시행규칙 제18조"
SEAL_FEES = "인감증명법 시행령 제17조"


def case(name: str, code: str, channel: Channel, want: Any, **kw: Any) -> Any:
    kw = {"exemption": None, "requester_class": "self", **kw}
    return pytest.param(code, channel, kw, want, id=name)


# fmt: off
CASES = [
    case("deungbon_at_counter_costs_400", "deungbon", COUNTER,
         FeeDecision(400, 400, None, RESIDENT_FEES)),
    case("three_deungbon_copies_at_counter_cost_1200", "deungbon", COUNTER,
         FeeDecision(1200, 400, None, RESIDENT_FEES), copies=3),
    case("two_chobon_copies_at_kiosk_cost_400", "chobon", KIOSK,
         FeeDecision(400, 200, None, RESIDENT_FEES), copies=2),
    case("chobon_online_is_free", "chobon", ONLINE, FeeDecision(0, 0, None, RESIDENT_FEES)),
    case("ingam_at_counter_costs_600", "ingam", COUNTER, FeeDecision(600, 600, None, SEAL_FEES)),
    case("napse_is_free_at_kiosk", "napse", KIOSK, FeeDecision(0, 0, None, "지방세징수법 제5조")),
    case("twenty_building_register_copies_at_kiosk_cost_10000", "geonchuk", KIOSK,
         FeeDecision(10_000, 500, None, "건축물대장의 기재 및 관리 등에 관한 규칙"), copies=20),
    case("public_official_on_duty_pays_nothing", "deungbon", COUNTER,
         FeeDecision(0, 400, "public_duty", RESIDENT_FEES),
         exemption="public_duty", requester_class="public_duty"),
    case("basic_livelihood_recipient_pays_nothing_for_deungbon", "deungbon", COUNTER,
         FeeDecision(0, 400, "basic_livelihood", RESIDENT_FEES), exemption="basic_livelihood"),
    case("national_merit_household_member_pays_nothing_for_five_chobon", "chobon", KIOSK,
         FeeDecision(0, 200, "national_merit", RESIDENT_FEES),
         exemption="national_merit", requester_class="household_member", copies=5),
    case("basic_livelihood_recipient_pays_nothing_for_ingam", "ingam", COUNTER,
         FeeDecision(0, 600, "basic_livelihood", SEAL_FEES),
         exemption="basic_livelihood", requester_class="delegate"),
    case("public_duty_exemption_is_refused_to_a_creditor", "chobon", COUNTER,
         (ExemptionNotApplicable, "fee.exemption_not_applicable"),
         exemption="public_duty", requester_class="creditor"),
    case("public_duty_exemption_is_refused_to_self", "deungbon", KIOSK,
         (ExemptionNotApplicable, "fee.exemption_not_applicable"), exemption="public_duty"),
    case("national_merit_is_not_an_ingam_exemption", "ingam", COUNTER,
         (UnknownExemption, "fee.unknown_exemption"), exemption="national_merit"),
    case("building_register_lists_no_exemption", "geonchuk", COUNTER,
         (UnknownExemption, "fee.unknown_exemption"), exemption="basic_livelihood"),
    case("made_up_exemption_is_refused", "deungbon", COUNTER,
         (UnknownExemption, "fee.unknown_exemption"), exemption="friend_of_the_mayor"),
    case("zero_copies_is_out_of_range", "deungbon", COUNTER,
         (CopiesOutOfRange, "fee.copies_out_of_range"), copies=0),
    case("twenty_one_copies_is_out_of_range", "deungbon", COUNTER,
         (CopiesOutOfRange, "fee.copies_out_of_range"), copies=21),
    case("ingam_at_kiosk_has_no_fee_because_it_is_not_offered", "ingam", KIOSK,
         (ChannelNotOffered, "fee.channel_not_offered")),
]
# fmt: on


@pytest.mark.parametrize(("code", "channel", "kw", "want"), CASES)
def test_charge_for(code: str, channel: Channel, kw: dict[str, Any], want: Any) -> None:
    document = CATALOG.get(code)
    assert document is not None
    if isinstance(want, FeeDecision):
        assert charge_for(document, channel, **kw) == want
        return
    error, error_code = want
    with pytest.raises(error) as raised:
        charge_for(document, channel, **kw)
    assert isinstance(raised.value, ValueError)
    assert raised.value.code == error_code
    assert raised.value.message.endswith("니다.")


@given(
    document=st.sampled_from(CATALOG.all()),
    channel=st.sampled_from(list(Channel)),
    exemption=st.none() | st.sampled_from(["public_duty", "basic_livelihood", "national_merit"]),
    requester_class=st.sampled_from(["self", "delegate", "public_duty", "creditor"]),
    copies=st.integers(-5, 30),
)
def test_a_fee_is_a_listed_price_times_copies_or_zero_or_a_coded_error(
    document: Any, channel: Channel, exemption: str | None, requester_class: str, copies: int
) -> None:
    try:
        fee = charge_for(
            document, channel, exemption=exemption, requester_class=requester_class, copies=copies
        )
    except FeeError as exc:
        assert exc.code in FEE_ERROR_CODES
        return
    offer = document.offer(channel)
    assert offer is not None and 1 <= copies <= 20
    assert fee.per_copy == offer.fee
    assert fee.amount == (0 if exemption else offer.fee * copies)
    assert fee.basis
