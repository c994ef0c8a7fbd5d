"""The demo accounts: citizens linked to households; clerks and supervisors of both
districts, a city-hall supervisor (internet documents are the city hall's) and a read-only
auditor; two kiosks.

Every demo password is ``DEMO_PASSWORD``; each kiosk has its own key (``DEMO_KIOSK_KEYS``;
``minwon kiosk rotate-key`` gives a real installation new ones).
"""

from __future__ import annotations

from minwon.adapters import tables as t
from minwon.demo import jeonju
from minwon.demo.households import HouseholdGenerator
from minwon.identity.passwords import hash_password

DEMO_PASSWORD = "minwon-demo"
DEMO_KIOSK_KEYS = {"kiosk-01": "demo-kiosk-01-key", "kiosk-02": "demo-kiosk-02-key"}
DEMO_KIOSK_KEY = DEMO_KIOSK_KEYS["kiosk-01"]  # kiosk-01's (완산구청); kiosk-02 has its own


def accounts(
    gen: HouseholdGenerator,
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Buffers the demo citizen, clerk and kiosk accounts (hashing each secret once)."""
    password = hash_password(DEMO_PASSWORD)
    state = gen.state
    citizens = list(zip((f"citizen{i}" for i in range(1, 6)), state.multi_heads, strict=False))
    linked = {rid for _, rid in citizens}
    debtor = next((rid for rid in state.arrears_adults if rid not in linked), None)
    if debtor is None:  # a registry too small to have arrears by chance gets one
        debtor = next((rid for rid in state.taxable_adults if rid not in linked), None)
        if debtor is not None:
            gen.tax(debtor, gen.today.year - 1, "주민세", arrears=True)
    if debtor is not None:
        citizens.append(("citizen-arrears", debtor))
    for username, rid in citizens:
        gen.add(
            t.citizen_accounts,
            {"username": username, "password_hash": password, "resident_id": rid},
        )
    wansan, deokjin = jeonju.WANSAN_DONGS[0].code, jeonju.DEOKJIN_DONGS[0].code
    clerks = (
        ("clerk", "clerk", wansan),
        ("supervisor", "supervisor", wansan),
        ("clerk-deokjin", "clerk", deokjin),
        ("supervisor-deokjin", "supervisor", deokjin),
        ("supervisor-city", "supervisor", jeonju.CITY_HALL_CODE),
        ("auditor", "auditor", jeonju.CITY_HALL_CODE),
    )
    for username, role, office in clerks:
        gen.add(
            t.clerks,
            {
                "username": username,
                "password_hash": password,
                "name": gen.person_name(gen.family(), gen.rng.choice("MF")),
                "role": role,
                "office_code": office,
            },
        )
    kiosks = (("kiosk-01", jeonju.WANSAN), ("kiosk-02", jeonju.DEOKJIN))
    for device_id, gu in kiosks:
        gen.add(
            t.kiosks,
            {
                "device_id": device_id,
                "key_hash": hash_password(DEMO_KIOSK_KEYS[device_id]),
                "office_code": jeonju.GU_OFFICE_CODES[gu],
                "location": f"전주시 {gu}청 민원실",
                "active": True,
            },
        )
    return (
        tuple(u for u, _ in citizens),
        tuple(u for u, _, _ in clerks),
        tuple(d for d, _ in kiosks),
    )
