"""Commands into the issuance context, as plain values (the API and CLI build these)."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from hashlib import sha256

from minwon.issuance.model import Delegation, Ground, ItemValue

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:\-]{8,80}$")


@dataclass(frozen=True, slots=True)
class CounterRequester:
    """The person at the counter, whose ID card the clerk checked (신분증 확인)."""

    name: str
    rrn: str | None
    id_checked: bool


@dataclass(frozen=True, slots=True)
class ProxyEvidence:
    """What the counter checked about a proxy (인감 대리 발급, 인감증명법 시행령 제13조).

    There is no age here: the service takes it from the proxy's own 주민등록번호.
    ``fingerprint_capture`` is the fingerprint pad's reading, if the counter has one; only
    its keyed digest is stored.
    """

    delegate_id_checked: bool
    delegator_id_checked: bool
    fingerprint_taken: bool
    fingerprint_capture: str | None = None


@dataclass(frozen=True, slots=True)
class PartyInput:
    """A person printed on a document (인감 매수인), as typed by the clerk."""

    name: str
    rrn: str
    address: str


@dataclass(frozen=True, slots=True)
class IssueDocument:
    """Issue one document. The idempotency key makes retries safe."""

    idempotency_key: str
    document_type: str
    subject_resident_id: str | None = None
    subject_rrn: str | None = None
    building_number: str | None = None
    items: Mapping[str, ItemValue] = field(default_factory=dict)
    purpose: str | None = None
    ground: Ground | None = None
    delegation: Delegation | None = None
    exemption: str | None = None
    copies: int = 1
    requester: CounterRequester | None = None
    proxy: ProxyEvidence | None = None
    buyer: PartyInput | None = None

    def fingerprint(self) -> str:
        """Returns a hash of everything but the key: the same key must carry the same request."""
        data = dataclasses.asdict(self)
        data.pop("idempotency_key")
        data["items"] = dict(self.items)
        text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
        return sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class VoidIssuance:
    number: str
    reason: str
