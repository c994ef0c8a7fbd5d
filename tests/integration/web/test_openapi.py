"""The OpenAPI document as a client generator reads it: every answer it can get is there."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from minwon.web.app import create_app
from minwon.web.openapi import NUMBER_PATTERN
from support.world import World

API = "/api/v1"
PROBLEM = "application/problem+json"


@pytest.fixture
def spec(world: World) -> dict[str, Any]:
    with TestClient(create_app(world.container)) as client:
        document: dict[str, Any] = client.get(f"{API}/openapi.json").json()
    return document


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, ops in spec["paths"].items()
        if path.startswith(API)
        for method, op in ops.items()
    ]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_operation_declares_its_problems_as_problem_json(spec: dict[str, Any]) -> None:
    for path, method, op in _operations(spec):
        errors = {code: r for code, r in op["responses"].items() if code[0] in "45"}
        assert {"422", "429", "500", "503"} <= set(errors), (method, path)
        for code, response in errors.items():
            assert list(response["content"]) == [PROBLEM], (method, path, code)
    assert "HTTPValidationError" not in spec["components"]["schemas"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_signed_in_routes_declare_the_bearer_scheme_and_401(spec: dict[str, Any]) -> None:
    by_route = {(m, p): op for p, m, op in _operations(spec)}
    for route in (("post", "/issuances"), ("get", "/issuances/{number}/pdf")):
        op = by_route[(route[0], API + route[1])]
        assert op["security"] == [{"bearer": []}] and "401" in op["responses"], route
    public = by_route[("get", f"{API}/verify/{{number}}")]
    assert "security" not in public and "401" not in public["responses"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_identifier_formats_are_declared(spec: dict[str, Any]) -> None:
    ops = {(m, p): op for p, m, op in _operations(spec)}
    verify = ops[("get", f"{API}/verify/{{number}}")]
    number = next(p for p in verify["parameters"] if p["name"] == "number")
    assert number["schema"]["pattern"] == NUMBER_PATTERN
    issue = ops[("post", f"{API}/issuances")]
    key = next(p for p in issue["parameters"] if p["name"].lower() == "idempotency-key")
    assert key["schema"]["pattern"]
    text = str(spec["components"]["schemas"])
    assert r"[0-9]{6}-?[0-9]{7}" in text  # the 주민등록번호 fields


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_wrong_method_answers_405_with_allow(world: World) -> None:
    with TestClient(create_app(world.container)) as client:
        response = client.delete(f"{API}/catalog")
    assert response.status_code == 405
    assert response.headers["content-type"].startswith(PROBLEM)
    assert "GET" in response.headers["allow"]
