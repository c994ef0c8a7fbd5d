"""Schemathesis against the whole API, with every check, as a citizen and as a clerk.

Every operation in the OpenAPI document gets generated requests (valid by the schema, and
values the schema does not allow), signed in with a real session, through the real app
and database; every check Schemathesis has must pass: no server error, only documented
status codes and content types, responses that match their schemas, valid data accepted,
invalid data refused. Examples are bounded so the whole run stays within a minute or two.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from reportlab.pdfgen.canvas import Canvas
from schemathesis.generation.modes import GenerationMode
from starlette.testclient import TestClient

from minwon.demo import DEMO_PASSWORD
from minwon.issuance.numbers import damm_digit
from minwon.registry.rrn import check_digit, gender_digit
from minwon.web.app import create_app
from minwon.web.openapi import NUMBER_FORMAT, RRN_FORMAT
from support.world import World

EXAMPLES = 12


def _document_numbers() -> st.SearchStrategy[str]:
    digits = st.text("0123456789", min_size=15, max_size=15)
    return digits.map(lambda d: d + str(damm_digit(d)))


def _rrns() -> st.SearchStrategy[str]:
    def build(born: date, sex: str, serial: str) -> str:
        first12 = f"{born:%y%m%d}{gender_digit(born, sex)}{serial}"
        return f"{first12[:6]}-{first12[6:]}{check_digit(first12)}"

    return st.builds(
        build,
        st.dates(min_value=date(1930, 1, 1), max_value=date.today() - timedelta(days=1)),
        st.sampled_from(["M", "F"]),
        st.text("0123456789", min_size=5, max_size=5),
    )


schemathesis.openapi.format(NUMBER_FORMAT, _document_numbers())
schemathesis.openapi.format(RRN_FORMAT, _rrns())


def _pdfs() -> st.SearchStrategy[bytes]:
    """Real PDF files (an upload the schema allows is a PDF), unsigned and with any text."""

    def draw(text: str) -> bytes:
        out = io.BytesIO()
        page = Canvas(out)
        page.drawString(72, 720, text)
        page.save()
        return out.getvalue()

    return st.text(alphabet=st.characters(codec="latin-1"), max_size=40).map(draw)


schemathesis.openapi.media_type("application/pdf", _pdfs())


def _fuzz(world: World, login: Callable[[TestClient], str]) -> list[str]:
    app = create_app(world.container)
    with TestClient(app) as client:
        token = login(client)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    for result, mode in (
        (result, mode)
        for result in schema.get_all_operations()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    ):
        operation = result.ok()

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(mode))
        def check(case: Any) -> None:
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"})

        try:
            check()
        except Unsatisfiable:
            # Nothing in the operation can be made invalid (no parameters, or a free
            # string path): there is no negative case to send.
            assert mode is GenerationMode.NEGATIVE, operation.label
        except Exception as exc:  # every operation's failure is listed, not only the first
            failures.append(f"{operation.label} ({mode.value}): {str(exc)[:2000]}")
    return failures


def _login(kind: str, username: str) -> Callable[[TestClient], str]:
    def login(client: TestClient) -> str:
        response = client.post(
            f"/api/v1/auth/{kind}", json={"username": username, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 200, response.text
        return str(response.json()["token"])

    return login


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("kind", "username"), [("citizen", "citizen1"), ("clerk", "clerk")], ids=["citizen", "clerk"]
)
def test_schemathesis_finds_nothing(world: World, kind: str, username: str) -> None:
    failures = _fuzz(world, _login(kind, username))
    assert not failures, "\n\n".join(failures)
