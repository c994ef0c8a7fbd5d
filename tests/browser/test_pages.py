"""Each channel end to end in Debian's Chromium, as a person would use it.

Given a real ``minwon serve`` over a 500-resident demo registry: a citizen signs in,
requests a 등본 for a household member, downloads the signed PDF and finds it in the
history; a citizen with tax arrears is refused with the legal basis; a clerk finds a
resident, checks the ID card, issues, prints, voids and sees the 교부대장, and issues a
인감증명서 to a proxy with a 위임장; a kiosk is set up once, identifies a person by number
and (simulated) fingerprint, takes the fee and prints; and anyone verifies a number,
catches a typo, and opens the QR code's URL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from minwon.adapters import tables as t
from minwon.bootstrap import Container
from minwon.clock import KST
from minwon.demo import DEMO_KIOSK_KEY, DEMO_KIOSK_KEYS, DEMO_PASSWORD
from minwon.issuance.numbers import display
from minwon.issuance.records import public_digest
from minwon.registry.model import Resident, age_on
from minwon.registry.rrn import mask
from minwon.rendering.qr_token import TokenClaims, encode_token
from support.served import Served

from .harness import Shots, new_context

pytestmark = pytest.mark.slow

Shoot = Callable[[str], Shots]


def _citizen(registry: Container, username: str) -> Resident:
    with registry.uows(readonly=True) as uow:
        account = uow.identity.citizen(username)
        assert account is not None and account.resident_id
        person = uow.registry.resident(account.resident_id)
    assert person is not None
    return person


def _household(registry: Container, person: Resident) -> list[Resident]:
    assert person.household_id
    with registry.uows(readonly=True) as uow:
        return [r for _, r in uow.registry.members(person.household_id)]


def _record_number(page: Any) -> str:
    text = page.locator(".docno").first.inner_text().strip()
    return text.replace("-", "")


def _login(page: Any, served: Served, area: str, username: str) -> None:
    page.goto(f"{served.base}/{area}/login")
    page.get_by_label("아이디").fill(username)
    page.get_by_label("비밀번호").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="로그인", exact=True).click()


def test_home_lists_every_channel(page: Any, served: Served, shots: Shoot) -> None:
    shot = shots("home")
    page.goto(served.base + "/")
    for name in ("인터넷 민원", "창구 민원", "무인민원발급기", "문서 진위 확인"):
        assert page.get_by_role("link", name=name).is_visible()
    # Keyboard first: Tab reaches the skip link, which moves focus to the main content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "본문 바로가기"
    shot("channels")


def test_citizen_requests_a_household_copy_downloads_it_and_verifies_it(
    page: Any, served: Served, registry: Container, shots: Shoot
) -> None:
    shot = shots("portal")
    me = _citizen(registry, "citizen1")
    members = [m for m in _household(registry, me) if m.id != me.id]
    assert members, "citizen1 heads a household with members"

    page.goto(f"{served.base}/portal")
    assert "/portal/login" in page.url  # not signed in yet
    page.get_by_label("아이디").fill("citizen1")
    page.get_by_label("비밀번호").fill("wrong-password")
    page.get_by_role("button", name="로그인", exact=True).click()
    assert page.get_by_role("alert").inner_text() == "아이디 또는 비밀번호가 맞지 않습니다."
    shot("login-failed")
    page.get_by_label("비밀번호").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="로그인", exact=True).click()
    page.wait_for_url(f"{served.base}/portal")
    shot("documents")

    page.get_by_role("link", name="주민등록표 등본").click()
    # The statute's defaults are preselected; the online fee is shown.
    assert page.get_by_label("세대 구성 사유").is_checked()
    assert not page.get_by_label("동거인").is_checked()
    assert page.get_by_label("미포함").is_checked()
    assert "무료" in page.locator(".fee-box").inner_text()
    # The household is listed by name, never by number.
    for member in members:
        assert page.locator("label", has_text=member.name).count() == 1
    shot("request-form")

    page.get_by_label(members[0].name).check()
    page.get_by_label("최근 5년").check()
    page.get_by_role("button", name="신청하고 발급받기").click()
    page.wait_for_url("**/portal/issuances/*?issued=1")
    assert page.get_by_role("heading", name="발급되었습니다").is_visible()
    number = _record_number(page)
    shot("issued")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="PDF 내려받기").click()
    pdf = download_info.value.path()
    with open(pdf, "rb") as fh:
        assert fh.read(5) == b"%PDF-"

    page.get_by_role("link", name="발급 내역").first.click()
    assert page.get_by_role("cell", name=display(number), exact=True).is_visible()
    shot("history")

    # Verification of the same document, by typing its number.
    page.goto(f"{served.base}/verify")
    page.get_by_label("문서확인번호").fill(display(number))
    page.get_by_role("button", name="확인").click()
    assert "유효한 문서입니다" in page.locator(".result").inner_text()
    shot("verified")


def test_citizen_with_arrears_is_refused_with_the_legal_basis(
    page: Any, served: Served, shots: Shoot
) -> None:
    shot = shots("refusal")
    _login(page, served, "portal", "citizen-arrears")
    page.wait_for_url(f"{served.base}/portal")
    page.get_by_role("link", name="지방세 납세증명서").click()
    page.get_by_role("button", name="신청하고 발급받기").click()
    assert page.get_by_role("heading", name="발급할 수 없습니다").is_visible()
    facts = page.locator(".facts").inner_text()
    assert "지방세징수법 제5조" in facts
    assert "tax.arrears" in facts
    shot("tax-arrears")

    # A seal certificate is a counter-only document: refused online, with its basis.
    page.goto(f"{served.base}/portal/documents/ingam")
    assert "인터넷 발급 불가" in page.locator(".fee-box").inner_text()
    page.get_by_role("button", name="신청하고 발급받기").click()
    assert "entitlement.channel_not_offered" in page.locator(".facts").inner_text()
    assert "인감증명법" in page.locator(".facts").inner_text()
    shot("seal-online")


def test_verification_catches_a_typo_and_reads_the_qr_code(
    page: Any, served: Served, registry: Container, shots: Shoot
) -> None:
    shot = shots("verify")
    auth = served.login("citizen2")
    response = httpx.post(
        f"{served.base}/api/v1/issuances",
        json={"document_type": "chobon"},
        headers={**auth, "Idempotency-Key": "browser-verify-0001"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    number = response.json()["number"]

    page.goto(f"{served.base}/verify")
    shot("form")
    typo = (
        number[:-2] + number[-1] + number[-2]
        if number[-1] != number[-2]
        else number[:-1] + ("1" if number[-1] != "1" else "2")
    )
    page.get_by_label("문서확인번호").fill(display(typo))
    page.get_by_role("button", name="확인").click()
    # Caught in the browser before any request (the check digit).
    assert page.locator("#number-error").inner_text() == (
        "문서확인번호가 올바르지 않습니다. 다시 확인해 주세요."
    )
    assert "number=" not in page.url
    shot("typo-in-browser")

    # And on the server, for a browser without scripts or a hand-typed URL.
    page.goto(f"{served.base}/verify?number={typo}")
    assert "number.check_digit" in page.locator(".notice").inner_text()
    shot("typo-on-server")

    # The QR code carries /verify?t=<signed token>; sign one with the served keys.
    with registry.uows(readonly=True) as uow:
        record = uow.issuances.by_number(number)
    assert record is not None
    # What the printed QR code carries: the public (keyed) digest, signed with the token key.
    digest = public_digest(registry.issuance.digest_key, record.content_hash)
    token = encode_token(
        TokenClaims(number, digest, record.issued_at, record.expires_at),
        registry.keys.token_private,
    )
    page.goto(f"{served.base}/verify?t={token}")
    result = page.locator(".result").inner_text()
    assert "유효한 문서입니다" in result
    assert "전자서명이 확인되었고" in result
    shot("qr-valid")

    page.goto(f"{served.base}/verify?t={token[:-6]}AAAAAA")
    assert "token.bad_signature" in page.locator(".notice").inner_text()
    shot("qr-forged")


def test_verification_works_with_the_keyboard_alone(
    page: Any, served: Served, shots: Shoot
) -> None:
    shot = shots("keyboard")
    auth = served.login("citizen2")
    response = httpx.post(
        f"{served.base}/api/v1/issuances",
        json={"document_type": "deungbon"},
        headers={**auth, "Idempotency-Key": "browser-keyboard-0001"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    page.goto(f"{served.base}/verify")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "number":
            break
    assert page.evaluate("document.activeElement.id") == "number"
    page.keyboard.type(response.json()["number_display"])
    page.keyboard.press("Tab")  # the 확인 button, with its visible focus ring
    assert page.evaluate("document.activeElement.textContent") == "확인"
    shot("focus-ring")
    page.keyboard.press("Enter")
    page.wait_for_url("**/verify?number=*")
    assert "유효한 문서입니다" in page.locator(".result").inner_text()


def _seal_subject_and_stranger(registry: Container) -> tuple[Resident, Resident]:
    """A resident with an active seal and an adult from another household (the 대리인)."""
    today = registry.clock.now().astimezone(KST).date()
    with registry.engine.connect() as conn:
        sealed = (
            conn.execute(
                select(t.seal_registrations.c.resident_id)
                .where(t.seal_registrations.c.active.is_(True))
                .order_by(t.seal_registrations.c.resident_id)
            )
            .scalars()
            .all()
        )
        ids = conn.execute(select(t.residents.c.id).order_by(t.residents.c.id)).scalars().all()
    with registry.uows(readonly=True) as uow:
        subject = uow.registry.resident(sealed[0])
        assert subject is not None
        for rid in ids:
            other = uow.registry.resident(rid)
            if (
                other is not None
                and other.household_id != subject.household_id
                and age_on(other.birth_date, today) >= 20
                and not other.foreign
            ):
                return subject, other
    raise AssertionError("no adult stranger in the demo registry")


def test_clerk_issues_prints_voids_and_keeps_the_register(
    page: Any, served: Served, registry: Container, shots: Shoot
) -> None:
    shot = shots("counter")
    person = _citizen(registry, "citizen3")
    page.goto(f"{served.base}/counter/login")
    shot("login")
    _login(page, served, "counter", "clerk")
    page.wait_for_url(f"{served.base}/counter")
    page.get_by_label("이름").fill(person.name)
    page.get_by_label("생년월일").fill(person.birth_date.isoformat())
    page.get_by_role("button", name="조회").click()
    row = page.locator("tr", has_text=mask(person.rrn))
    assert row.count() == 1
    assert person.rrn not in page.content()  # masked in the results
    shot("search-results")

    row.get_by_role("link", name="발급").click()
    shot("choose-document")
    page.get_by_role("link", name="주민등록표 초본").click()
    assert page.get_by_label("신청인이 발급 대상자 본인입니다").is_checked()
    # Without the ID check the counter refuses, naming the law.
    page.get_by_role("button", name="발급", exact=True).click()
    assert "entitlement.requester_not_identified" in page.locator(".facts").inner_text()
    shot("refused-without-id-check")

    page.go_back()
    page.reload()
    page.get_by_label("신청인의 신분증을 확인했습니다 (얼굴·번호 대조)").check()
    page.get_by_label("병역사항").check()
    shot("issue-form")
    page.get_by_role("button", name="발급", exact=True).click()
    page.wait_for_url("**/counter/issuances/*?issued=1")
    number = _record_number(page)
    assert "400원" in page.locator(".facts").inner_text()
    shot("issued")

    href = page.get_by_role("link", name="인쇄 (PDF 열기)").get_attribute("href")
    printed = page.request.get(served.base + href)
    assert printed.ok and printed.headers["content-type"] == "application/pdf"
    assert printed.body().startswith(b"%PDF-")

    page.get_by_label("취소 사유 (필수)").fill("민원인 요청으로 재발급")
    page.get_by_role("button", name="발급 취소").click()
    assert "발급 취소" in page.locator(".facts").inner_text()
    shot("voided")

    page.get_by_role("link", name="교부대장").click()
    register_row = page.locator("tr", has_text=display(number))
    assert register_row.count() == 1 and "취소" in register_row.inner_text()
    shot("register")

    page.goto(f"{served.base}/verify?number={number}")
    assert "발급이 취소된 문서입니다" in page.locator(".result").inner_text()
    shot("verify-voided")


def test_clerk_issues_a_seal_certificate_to_a_proxy_with_a_delegation(
    page: Any, served: Served, registry: Container, shots: Shoot
) -> None:
    shot = shots("counter-proxy")
    subject, proxy = _seal_subject_and_stranger(registry)
    _login(page, served, "counter", "clerk")
    page.wait_for_url(f"{served.base}/counter")
    page.get_by_label("또는 주민등록번호").fill(subject.rrn)
    page.get_by_label("조회 목적 (필수)").fill("인감증명서 대리 발급")
    page.get_by_role("button", name="조회").click()
    page.locator("tr", has_text=subject.name).get_by_role("link", name="발급").click()
    page.get_by_role("link", name="인감증명서").click()

    page.get_by_label("신청인이 발급 대상자 본인입니다").uncheck()
    page.get_by_label("신청인 이름").fill(proxy.name)
    page.get_by_label("신청인 주민등록번호").fill(proxy.rrn)
    page.get_by_label("신청인의 신분증을 확인했습니다 (얼굴·번호 대조)").check()
    page.locator("summary", has_text="대리인 신청").click()
    page.get_by_label("위임장을 제출받았습니다").check()
    written = registry.clock.now().astimezone(KST).date() - timedelta(days=10)
    page.get_by_label("위임장 작성일").fill(written.isoformat())
    page.get_by_label("위임인의 신분증(사본)을 확인했습니다").check()
    page.get_by_label("대리인의 신분증을 확인했습니다 (만 17세 이상)").check()
    page.get_by_label("위임인의 신분증을 확인했습니다", exact=True).check()
    page.get_by_label("대리인의 무인(지문)을 받았습니다").check()
    page.evaluate("document.getElementById('requester_rrn').type = 'password'")  # screenshot
    shot("delegation-form")
    page.get_by_role("button", name="발급", exact=True).click()
    page.wait_for_url("**/counter/issuances/*?issued=1")
    assert "600원" in page.locator(".facts").inner_text()
    shot("issued")


def test_kiosk_identifies_by_fingerprint_takes_the_fee_and_prints(
    page: Any, served: Served, registry: Container, shots: Shoot
) -> None:
    shot = shots("kiosk")
    person = _citizen(registry, "citizen4")
    page.goto(f"{served.base}/kiosk")
    page.wait_for_url("**/kiosk/setup")
    shot("setup")
    page.get_by_label("담당자 아이디").fill("supervisor")
    page.get_by_label("담당자 비밀번호").fill(DEMO_PASSWORD)
    page.get_by_label("기기 번호").fill("kiosk-01")
    page.get_by_label("기기 키").fill(DEMO_KIOSK_KEY)
    page.get_by_role("button", name="설정 저장").click()
    page.wait_for_url(f"{served.base}/kiosk")
    shot("documents")

    page.get_by_role("link", name="주민등록표 등본").click()
    shot("identify")
    for digit in person.rrn.replace("-", ""):
        page.locator(".keypad").get_by_role("button", name=digit, exact=True).click()
    page.get_by_role("button", name="지문 인식").click()
    page.wait_for_url("**/kiosk/items?doc=deungbon")
    shot("items")
    page.get_by_label("동거인").check()
    page.get_by_label("부수").select_option("2")
    page.get_by_role("button", name="다음: 결제").click()
    assert "400원" in page.locator(".facts").inner_text()  # 200원 × 2부
    shot("pay")
    page.get_by_role("button", name="결제하고 발급").click()
    page.wait_for_url("**/kiosk/done/*")
    shot("done")

    href = page.get_by_role("link", name="인쇄하기").get_attribute("href")
    printed = page.request.get(served.base + href)
    assert printed.ok and printed.body().startswith(b"%PDF-")
    page.get_by_role("button", name="처음으로").last.click()
    page.wait_for_url(f"{served.base}/kiosk")

    # The device key never reaches a page, and the person's session is over.
    assert DEMO_KIOSK_KEY not in page.content()
    assert page.request.get(served.base + href).status == 401


def test_kiosk_refuses_a_wrong_fingerprint_and_resets_after_inactivity(
    page: Any, served: Served, registry: Container, shots: Shoot
) -> None:
    shot = shots("kiosk-idle")
    page.goto(f"{served.base}/kiosk/setup")
    page.get_by_label("담당자 아이디").fill("supervisor-deokjin")
    page.get_by_label("담당자 비밀번호").fill(DEMO_PASSWORD)
    page.get_by_label("기기 번호").fill("kiosk-02")
    page.get_by_label("기기 키").fill(DEMO_KIOSK_KEYS["kiosk-02"])
    page.get_by_role("button", name="설정 저장").click()
    page.wait_for_url(f"{served.base}/kiosk")

    person = _citizen(registry, "citizen5")
    page.clock.install()
    page.goto(f"{served.base}/kiosk/identify?doc=chobon")
    page.get_by_label("주민등록번호 13자리").fill(person.rrn)
    page.locator("#fingerprint").evaluate("(el) => { el.value = '0'.repeat(32) }")
    page.locator("#identify-form").evaluate("(form) => form.submit()")
    page.wait_for_load_state()
    assert page.get_by_role("alert").inner_text() == "지문이 일치하지 않습니다. 다시 시도해 주세요."
    shot("fingerprint-mismatch")

    page.clock.fast_forward(61_000)
    page.wait_for_url(f"{served.base}/kiosk")
    assert page.get_by_role("heading", name="발급할 증명서를 고르세요").is_visible()


def test_pages_carry_a_content_security_policy_that_blocks_inline_script(
    browser: Any, served: Served
) -> None:
    from playwright.sync_api import Error as PlaywrightError

    context = new_context(browser, bypass_csp=False)
    try:
        page = context.new_page()
        response = page.goto(f"{served.base}/verify")
        assert "default-src 'self'" in response.headers["content-security-policy"]
        with pytest.raises(PlaywrightError, match="Content Security Policy"):
            page.add_script_tag(content="window.__injected = true")
        assert page.evaluate("window.__injected === undefined")
        # The page's own script (a file from 'self') still runs: the typo check works.
        page.get_by_label("문서확인번호").fill("1234")
        page.get_by_role("button", name="확인").click()
        assert page.locator("#number-error").inner_text() == "문서확인번호는 숫자 16자리입니다."
    finally:
        context.close()
