"""What recipients and operators see of a sealed message (issue #14 item 3).

The inbox item and the tracking document carry ``signature`` (signed, or
sealed with the seal), pushes ``X-Axis-Signature-State: sealed``, the pages
a mark, the dashboard and /metrics every agency in transition with its count
and end date. Every JSON answer here is checked against the served OpenAPI.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from axis.accounts import users
from axis.delivery.push.client import Push, push_headers
from axis.process.composition import Role, background_work, web_application
from axis.registry import transition
from signing.seal import SealKey, verify_seal
from tests.support.envelopes import Broker, document, open_broker
from tests.support.push_endpoint import PushEndpoint
from tests.support.ui_pages import PASSWORD, sign_in

SENDER = "000.00.00.G22"
RECIPIENT = "000.00.00.H41"
PUSHED = "000.00.00.H42"
OPERATOR = "vanhanh"
RECIPIENT_CLERK = "vanthu.h41"


@pytest.fixture
async def broker(database_url: str, tmp_path: Path, seal_key: SealKey) -> AsyncIterator[Broker]:
    async with open_broker(database_url, seal_key_file=tmp_path / "seal.key") as opened:
        await opened.add(SENDER)
        await opened.add(RECIPIENT)
        await transition.set_transition(
            opened.pool, SENDER, transition.today() + timedelta(days=10), actor="test"
        )
        await users.add_user(opened.pool, OPERATOR, "operator", PASSWORD)
        await users.add_user(opened.pool, RECIPIENT_CLERK, "clerk", PASSWORD, organ_id=RECIPIENT)
        yield opened


@pytest.fixture
async def base_url(broker: Broker) -> AsyncIterator[str]:
    server = TestServer(web_application(broker.runtime, Role.API))
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


def _client() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def _post(http: aiohttp.ClientSession, base_url: str, broker: Broker, data: bytes) -> str:
    headers = {"Content-Type": "application/xml", **broker.agencies[SENDER].headers}
    async with http.post(base_url + "/api/v1/messages", data=data, headers=headers) as answer:
        body = await answer.json()
        assert answer.status == 202, body
        return str(body["id"])


async def _get(
    http: aiohttp.ClientSession, base_url: str, broker: Broker, organ_id: str, path: str
) -> Any:
    async with http.get(base_url + path, headers=broker.agencies[organ_id].headers) as answer:
        assert answer.status == 200
        return await answer.json()


async def test_recipients_and_the_sender_see_sealed_not_signed(
    broker: Broker, base_url: str, seal_key: SealKey
) -> None:
    unsigned = document(SENDER, [RECIPIENT], subject="V/v chưa ký số")
    async with _client() as http:
        sealed_id = await _post(http, base_url, broker, unsigned)
        signed_id = await _post(
            http, base_url, broker, broker.agencies[SENDER].sign(document(SENDER, [RECIPIENT]))
        )
        inbox = await _get(http, base_url, broker, RECIPIENT, "/api/v1/inbox")
        items = {item["id"]: item for item in inbox["items"]}
        assert items[signed_id]["signature"] == {"state": "signed"}
        sealed = items[sealed_id]["signature"]
        assert sealed["state"] == "sealed"
        async with http.get(
            base_url + f"/api/v1/messages/{sealed_id}", headers=broker.agencies[RECIPIENT].headers
        ) as fetched:
            body = await fetched.read()
        assert body == unsigned
        claims = verify_seal(sealed["seal"], body, seal_key.certificate)
        assert (claims.agency, claims.message_id, claims.xml_signature) == (
            SENDER,
            sealed_id,
            "none",
        )
        tracking = await _get(
            http, base_url, broker, SENDER, f"/api/v1/messages/{sealed_id}/tracking"
        )
        assert tracking["signature"]["state"] == "sealed"
        tracking = await _get(
            http, base_url, broker, SENDER, f"/api/v1/messages/{signed_id}/tracking"
        )
        assert tracking["signature"] == {"state": "signed"}


async def test_operators_see_every_transition_agency_in_metrics_and_dashboard(
    broker: Broker, base_url: str
) -> None:
    async with _client() as http:
        message_id = await _post(http, base_url, broker, document(SENDER, [RECIPIENT]))
        async with http.get(base_url + "/metrics") as scraped:
            text = await scraped.text()
        assert f'axis_transition_sealed_messages{{organ_id="{SENDER}"}} 1.0' in text
        assert f'axis_transition_until_timestamp_seconds{{organ_id="{SENDER}"}}' in text
        assert f'axis_messages_sealed_total{{organ_id="{SENDER}"}}' in text
        await sign_in(http, base_url, OPERATOR)
        async with http.get(base_url + "/ui/ops") as page:
            html = await page.text()
        assert f'data-organ="{SENDER}"' in html and "1 văn bản niêm phong" in html
        until = transition.today() + timedelta(days=10)
        assert f"{until:%d/%m/%Y}" in html and "hết thời gian chuyển tiếp sau 10 ngày" in html
    async with _client() as http:
        await sign_in(http, base_url, RECIPIENT_CLERK)
        async with http.get(base_url + f"/ui/documents/{message_id}") as page:
            html = await page.text()
        assert 'id="sealed"' in html and "Chưa ký số" in html


def test_a_sealed_push_says_so_in_one_header() -> None:
    push = Push("http://127.0.0.1:9/in", "m-1", "edoc", SENDER, b"<x/>", "00")
    assert "X-Axis-Signature-State" not in push_headers(push, "secret", "1")
    sealed = Push("http://127.0.0.1:9/in", "m-1", "edoc", SENDER, b"<x/>", "00", sealed=True)
    assert push_headers(sealed, "secret", "1")["X-Axis-Signature-State"] == "sealed"


async def test_a_sealed_document_reaches_a_push_endpoint_marked_sealed(broker: Broker) -> None:
    """End to end: unsigned in, sealed by the axis, pushed with the header; signed stays so."""
    endpoint = await PushEndpoint().start()
    try:
        pushed = await broker.add(PUSHED, endpoint_url=endpoint.url)
        endpoint.secret = pushed.secret
        unsigned = document(SENDER, [PUSHED])
        signed = broker.agencies[SENDER].sign(document(SENDER, [PUSHED]))
        app = web_application(broker.runtime, Role.API)
        async with background_work(broker.runtime), TestServer(app) as server, _client() as http:
            base = str(server.make_url("")).rstrip("/")
            sealed_id = await _post(http, base, broker, unsigned)
            signed_id = await _post(http, base, broker, signed)
            await endpoint.wait_for(lambda: len(endpoint.received) == 2, within=15)
        states = {
            push.message_id: push.headers.get("X-Axis-Signature-State")
            for push in endpoint.received
        }
        assert states == {sealed_id: "sealed", signed_id: None}
        assert all(push.signature_valid for push in endpoint.received)
    finally:
        await endpoint.stop()
