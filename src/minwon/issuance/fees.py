"""Fee rules: what one issuance costs, from the catalog's channel offers and exemptions.

Amounts live in the catalog (DOMAIN.md: "verify; keep in configuration"), never here.
The fee is charged once per issuance; retries are the issuing service's business.
"""

from __future__ import annotations

from dataclasses import dataclass

from minwon.catalog.model import Access, Channel, DocumentType

MIN_COPIES = 1
MAX_COPIES = 20  # city policy: one request, at most 20 copies (bulk adds a day per 20)

# Where the fee schedule of each access kind is set (verify against the current texts).
_FEE_BASIS = {
    Access.RESIDENT_RECORD: "주민등록법 시행규칙 제18조",
    Access.SEAL: "인감증명법 시행령 제17조",
    Access.TAXPAYER: "지방세징수법 제5조",
    Access.PUBLIC: "건축물대장의 기재 및 관리 등에 관한 규칙",
}
# Exemptions that depend on who is asking, not on the citizen's status (수급자, 유공자).
_CLASS_BOUND_EXEMPTIONS = {"public_duty": "public_duty"}


class FeeError(ValueError):
    """A fee cannot be computed; ``code`` is stable, the message is Korean."""

    code = "fee.error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownExemption(FeeError):
    """The exemption is not one the document type lists."""

    code = "fee.unknown_exemption"


class ExemptionNotApplicable(FeeError):
    """The exemption exists but does not apply to this requester class."""

    code = "fee.exemption_not_applicable"


class CopiesOutOfRange(FeeError):
    """Copies must be between MIN_COPIES and MAX_COPIES."""

    code = "fee.copies_out_of_range"


class ChannelNotOffered(FeeError):
    """The document type is not served through this channel."""

    code = "fee.channel_not_offered"


FEE_ERROR_CODES: frozenset[str] = frozenset(
    cls.code
    for cls in (UnknownExemption, ExemptionNotApplicable, CopiesOutOfRange, ChannelNotOffered)
)


@dataclass(frozen=True, slots=True)
class FeeDecision:
    """What to charge: ``amount`` in won; ``per_copy`` is the listed fee before exemption."""

    amount: int
    per_copy: int
    exemption: str | None
    basis: str


def charge_for(
    document: DocumentType,
    channel: Channel,
    *,
    exemption: str | None,
    requester_class: str,
    copies: int = 1,
) -> FeeDecision:
    """Returns the fee for ``copies`` of ``document`` via ``channel``, or raises FeeError."""
    if isinstance(copies, bool) or not MIN_COPIES <= copies <= MAX_COPIES:
        raise CopiesOutOfRange(f"발급 부수는 {MIN_COPIES}부에서 {MAX_COPIES}부까지입니다.")
    offer = document.offer(channel)
    if offer is None:
        raise ChannelNotOffered(f"이 창구에서는 {document.title} 발급을 제공하지 않습니다.")
    if exemption is None:
        return FeeDecision(
            amount=offer.fee * copies,
            per_copy=offer.fee,
            exemption=None,
            basis=_FEE_BASIS[document.access],
        )
    listed = {e.code: e for e in document.exemptions}
    if exemption not in listed:
        raise UnknownExemption(f"{document.title}에는 '{exemption}' 수수료 면제가 없습니다.")
    required_class = _CLASS_BOUND_EXEMPTIONS.get(exemption)
    if required_class is not None and requester_class != required_class:
        raise ExemptionNotApplicable(
            f"'{listed[exemption].label}' 면제는 공무로 신청할 때만 적용됩니다."
        )
    return FeeDecision(
        amount=0, per_copy=offer.fee, exemption=exemption, basis=listed[exemption].basis
    )


PROBE_EXEMPTION = "probe"  # the release probe's documents (issuance/probes.py)


def probe_fee(listed: FeeDecision) -> FeeDecision:
    """Returns the fee of a probe document: nothing, recorded as a zero row with the
    ``probe`` exemption so that every issuance keeps its one fee row (a replay reads it)."""
    return FeeDecision(
        amount=0,
        per_copy=listed.per_copy,
        exemption=PROBE_EXEMPTION,
        basis="시험 발급: 수수료를 받지 않습니다",
    )
