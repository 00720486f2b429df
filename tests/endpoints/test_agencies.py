"""The directory and the operator API for agencies and trust, over HTTP on a real runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives import serialization

from axis.runtime import Runtime
from endpoints import admin_agencies, api_agencies
from endpoints.application import build_application
from endpoints.keys import RUNTIME
from endpoints.problems import problem_middleware
from tests.support.agencies import (
    ca_pem,
    certificate_pem,
    credential_for,
    register_agency,
    session_ca,
)

OPERATOR = {"Authorization": "Bearer operator-token"}


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    # Only this surface: other surfaces' startup is not under test here.
    app = web.Application(middlewares=[problem_middleware])
    app[RUNTIME] = runtime
    api_agencies.add_routes(app)
    admin_agencies.add_routes(app)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def _json(response: Any, status: int) -> Any:
    body = await response.json(content_type=None)
    assert response.status == status, body
    return body


async def test_directory_needs_an_agency_or_the_operator(
    client: TestClient[web.Request, web.Application],
) -> None:
    problem = await _json(await client.get("/api/v1/agencies"), 401)
    assert problem["code"] == "auth.missing"
    problem = await _json(await client.get("/api/v1/agencies", headers=bearer("nope")), 401)
    assert problem["code"] == "auth.invalid"
    assert (await client.get("/api/v1/agencies", headers=OPERATOR)).status == 200


async def test_directory_pages_filters_and_hides_suspended(
    runtime: Runtime, client: TestClient[web.Request, web.Application]
) -> None:
    me = await register_agency(runtime, "000.00.00.H53", name="UBND tỉnh")
    for index in range(1, 6):
        await register_agency(
            runtime, f"000.00.{index:02d}.H53", name=f"Sở {index}", with_certificate=False
        )
    await register_agency(runtime, "vxp.saas.03", name="Legacy", endpoint_url="http://h/x")
    await runtime.registry.set_active("000.00.05.H53", False)

    seen: list[dict[str, Any]] = []
    cursor = ""
    while True:
        url = f"/api/v1/agencies?limit=2&cursor={cursor}"
        page = await _json(await client.get(url, headers=bearer(me.secret)), 200)
        assert len(page["items"]) <= 2
        seen += page["items"]
        if page["next_cursor"] is None:
            break
        cursor = page["next_cursor"]
    assert [item["organ_id"] for item in seen] == [
        "000.00.00.H53",
        "000.00.01.H53",
        "000.00.02.H53",
        "000.00.03.H53",
        "000.00.04.H53",
        "vxp.saas.03",
    ]
    assert seen[1] == {
        "organ_id": "000.00.01.H53",
        "name": "Sở 1",
        "parent_id": "000.00.00.H53",
        "delivery_mode": "pull",
        "served_by": None,
    }
    assert seen[-1]["delivery_mode"] == "push"

    children = await _json(
        await client.get("/api/v1/agencies?parent=000.00.00.H53", headers=bearer(me.secret)), 200
    )
    assert [item["organ_id"] for item in children["items"]] == [
        f"000.00.{index:02d}.H53" for index in range(1, 5)
    ]
    by_name = await _json(await client.get("/api/v1/agencies?q=ubnd", headers=OPERATOR), 200)
    assert [item["organ_id"] for item in by_name["items"]] == ["000.00.00.H53"]
    by_code = await _json(await client.get("/api/v1/agencies?q=vxp.", headers=OPERATOR), 200)
    assert [item["organ_id"] for item in by_code["items"]] == ["vxp.saas.03"]
    # Operators also see suspended agencies.
    everyone = await _json(await client.get("/api/v1/agencies", headers=OPERATOR), 200)
    assert "000.00.05.H53" in [item["organ_id"] for item in everyone["items"]]


async def test_one_agency_and_unknown_ones(
    runtime: Runtime, client: TestClient[web.Request, web.Application]
) -> None:
    me = await register_agency(runtime, "A1", name="One")
    await register_agency(runtime, "A2", name="Two", with_certificate=False)
    await runtime.registry.set_active("A2", False)
    body = await _json(await client.get("/api/v1/agencies/A1", headers=bearer(me.secret)), 200)
    assert body == {
        "organ_id": "A1",
        "name": "One",
        "parent_id": None,
        "delivery_mode": "pull",
        "served_by": None,
        "active": True,
    }
    problem = await _json(await client.get("/api/v1/agencies/A9", headers=bearer(me.secret)), 404)
    assert problem["code"] == "agency.unknown"
    await _json(await client.get("/api/v1/agencies/A2", headers=bearer(me.secret)), 404)
    await _json(await client.get("/api/v1/agencies/A2", headers=OPERATOR), 200)


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=1001", "limit=ten", "cursor=%%%", "cursor=IGJhZCBpZA"]
)
async def test_malformed_paging_is_a_400(
    client: TestClient[web.Request, web.Application], query: str
) -> None:
    problem = await _json(await client.get(f"/api/v1/agencies?{query}", headers=OPERATOR), 400)
    assert problem["code"].startswith("query.")


async def test_operator_api_requires_the_operator_token(
    runtime: Runtime, client: TestClient[web.Request, web.Application]
) -> None:
    agency = await register_agency(runtime, "A1", with_certificate=False)
    for method, path in [
        ("POST", "/api/v1/admin/agencies"),
        ("GET", "/api/v1/admin/agencies"),
        ("GET", "/api/v1/admin/agencies/A1"),
        ("POST", "/api/v1/admin/agencies/A1/suspend"),
        ("POST", "/api/v1/admin/agencies/A1/certificates"),
        ("GET", "/api/v1/admin/trust"),
        ("POST", "/api/v1/admin/trust"),
        ("POST", "/api/v1/admin/crls"),
    ]:
        response = await client.request(method, path, headers=bearer(agency.secret))
        assert response.status == 401, path
    assert (await runtime.registry.require("A1")).active


async def test_operator_registers_an_agency_with_trust_and_certificates(
    runtime: Runtime, client: TestClient[web.Request, web.Application]
) -> None:
    admin = "/api/v1/admin"
    added = await _json(
        await client.post(f"{admin}/trust", json={"pem": ca_pem().decode()}, headers=OPERATOR),
        201,
    )
    assert added["role"] == "anchor"
    again = await client.post(f"{admin}/trust", json={"pem": ca_pem().decode()}, headers=OPERATOR)
    assert (await _json(again, 409))["code"] == "trust.exists"

    credentials = await _json(
        await client.post(
            f"{admin}/agencies",
            json={
                "organ_id": "000.00.01.H53",
                "name": "Sở Nội vụ",
                "endpoint_url": "https://dms.example/in",
                "certificates": [certificate_pem("000.00.01.H53").decode()],
            },
            headers=OPERATOR,
        ),
        201,
    )
    assert set(credentials) == {"organ_id", "system_id", "secret"}
    assert (await runtime.registry.by_bearer_secret(credentials["secret"])) is not None
    duplicate = await client.post(
        f"{admin}/agencies", json={"organ_id": "000.00.01.H53", "name": "x"}, headers=OPERATOR
    )
    assert (await _json(duplicate, 409))["code"] == "agency.exists"
    bad_endpoint = await client.post(
        f"{admin}/agencies",
        json={"organ_id": "B1", "name": "x", "endpoint_url": "mailto:x@y"},
        headers=OPERATOR,
    )
    assert (await _json(bad_endpoint, 422))["code"] == "agency.invalid_endpoint"
    missing = await client.post(f"{admin}/agencies", json={"name": "x"}, headers=OPERATOR)
    assert (await _json(missing, 422))["code"] == "request.missing_field"

    shown = await _json(await client.get(f"{admin}/agencies/000.00.01.H53", headers=OPERATOR), 200)
    assert shown["delivery_mode"] == "push" and shown["active"] and not shown["legacy_sha1"]
    assert len(shown["certificates"]) == 1
    assert "secret" not in shown

    await register_agency(runtime, "B2", with_certificate=False)
    cert = await client.post(
        f"{admin}/agencies/B2/certificates",
        json={"pem": certificate_pem("B2").decode()},
        headers=OPERATOR,
    )
    assert (await _json(cert, 201))[
        "fingerprint"
    ] in await runtime.registry.certificate_fingerprints("B2")
    suspended = await _json(
        await client.post(f"{admin}/agencies/B2/suspend", headers=OPERATOR), 200
    )
    assert suspended["active"] is False
    resumed = await _json(await client.post(f"{admin}/agencies/B2/resume", headers=OPERATOR), 200)
    assert resumed["active"] is True
    listed = await _json(await client.get(f"{admin}/agencies?limit=1", headers=OPERATOR), 200)
    assert len(listed["items"]) == 1 and listed["next_cursor"]

    revoked = credential_for("B2").certificate.serial_number
    crl = session_ca().crl({revoked: credential_for("B2").certificate.not_valid_before_utc})
    stored = await _json(
        await client.post(
            f"{admin}/crls", data=crl.public_bytes(serialization.Encoding.DER), headers=OPERATOR
        ),
        201,
    )
    assert stored["revoked"] == 1
    trust = await _json(await client.get(f"{admin}/trust", headers=OPERATOR), 200)
    assert len(trust["certificates"]) == 1 and len(trust["crls"]) == 1
    actions = [
        row["action"]
        for row in await runtime.pool.fetch(
            "SELECT action FROM audit_log WHERE actor = 'operator' ORDER BY id"
        )
    ]
    assert actions == [
        "trust.anchor_add",
        "agency.add",
        "agency.cert_add",
        "agency.suspend",
        "agency.resume",
        "trust.crl_add",
    ]


async def test_the_application_serves_the_directory(runtime: Runtime) -> None:
    me = await register_agency(runtime, "A1", with_certificate=False)
    async with TestClient(TestServer(build_application(runtime))) as client:
        page = await _json(await client.get("/api/v1/agencies", headers=bearer(me.secret)), 200)
    assert [item["organ_id"] for item in page["items"]] == ["A1"]
