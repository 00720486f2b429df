"""``POST /api/v1/relay`` and ``/api/v1/relay/events`` in process (OpenAPI-checked answers)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from axis.runtime import Runtime, open_runtime
from axis.settings import Settings
from axis.storage.database import Pool
from endpoints.application import build_application
from signing import sign
from tests.support.agencies import credential_for, register_agency, trust_test_ca
from tests.support.envelopes import document

SENDER = "000.00.01.H40"
READER = "000.00.01.H53"
BEYOND = "000.00.07.H61"
# The secrets the fixture's other peers present (one test at a time).
SECRETS: dict[str, str] = {}


@pytest.fixture
async def nation(pool: Pool) -> AsyncIterator[tuple[Runtime, TestClient[Any, Any], str]]:
    runtime = open_runtime(Settings(secret_key="test-key", name="nation"), pool)
    await trust_test_ca(pool)
    await register_agency(runtime, READER)
    _, secret = await runtime.peers.add_peer("province-a", "http://127.0.0.1:9", ["*.*.*.H40"])
    _, secret_c = await runtime.peers.add_peer("province-c", "http://127.0.0.1:10", ["*.*.*.H61"])
    SECRETS["province-c"] = secret_c
    async with TestClient(TestServer(build_application(runtime))) as client:
        yield runtime, client, secret
    await runtime.close()


def _headers(secret: str, recipients: str, **extra: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {secret}",
        "Content-Type": "application/xml",
        "X-Axis-Origin": "province-a",
        "X-Axis-Origin-Message-Id": "m-1",
        "X-Axis-Recipients": recipients,
        "X-Axis-Path": "province-a",
        **extra,
    }


def _signed(recipients: list[str]) -> bytes:
    credential = credential_for(SENDER)
    return sign(document(SENDER, recipients), credential.private_key, credential.certificate)


async def test_a_hop_is_stored_once_with_local_and_onward_deliveries(
    nation: tuple[Runtime, TestClient[Any, Any], str],
) -> None:
    runtime, client, secret = nation
    body = _signed([READER, BEYOND])
    headers = _headers(secret, f"{READER},{BEYOND}")
    async with client.post("/api/v1/relay", data=body, headers=headers) as answer:
        assert answer.status == 202
        first = await answer.json()
    async with client.post("/api/v1/relay", data=body, headers=headers) as answer:
        assert answer.status == 200
        assert await answer.json() == first
    # The same hop key with other bytes is a conflict, not a second message.
    other = _signed([READER, BEYOND])
    async with client.post("/api/v1/relay", data=other, headers=headers) as answer:
        assert answer.status == 409
        assert (await answer.json(content_type=None))["code"] == "relay.conflict"
    rows = await runtime.pool.fetch(
        "SELECT recipient_id, mode, via FROM deliveries WHERE message_id = $1 ORDER BY id",
        first["id"],
    )
    assert [tuple(row) for row in rows] == [
        (READER, "pull", None),
        (BEYOND, "relay", "province-c"),
    ]
    hop = await runtime.pool.fetchrow("SELECT * FROM relay_hops")
    assert hop is not None
    assert (hop["peer_name"], hop["origin"], hop["origin_message_id"], list(hop["path"])) == (
        "province-a", "province-a", "m-1", ["province-a"],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"X-Axis-Recipients": "000.00.09.H99"}, 422, "relay.recipients_invalid"),
        ({"X-Axis-Path": ""}, 400, "relay.header_missing"),
        ({"X-Axis-Path": "province-a,,x"}, 400, "relay.header_invalid"),
        ({"X-Axis-Origin": "bad name!"}, 400, "relay.header_invalid"),
        ({"Authorization": "Bearer wrong"}, 401, "auth.invalid"),
        ({"X-Axis-Path": "province-a,nation"}, 508, "relay.loop"),
    ],
)
async def test_a_bad_hop_is_refused_with_its_code(
    nation: tuple[Runtime, TestClient[Any, Any], str],
    change: dict[str, str],
    status: int,
    code: str,
) -> None:
    _, client, secret = nation
    headers = _headers(secret, READER) | change
    async with client.post("/api/v1/relay", data=_signed([READER]), headers=headers) as answer:
        assert answer.status == status
        assert (await answer.json(content_type=None))["code"] == code


async def test_a_recipient_routed_back_to_the_calling_peer_is_a_loop(
    nation: tuple[Runtime, TestClient[Any, Any], str],
) -> None:
    _, client, secret = nation
    back = "000.00.05.H40"  # served by province-a itself
    headers = _headers(secret, back)
    async with client.post("/api/v1/relay", data=_signed([back]), headers=headers) as answer:
        assert answer.status == 508


async def test_events_move_relay_deliveries_forward_only(
    nation: tuple[Runtime, TestClient[Any, Any], str],
) -> None:
    runtime, client, secret = nation
    body = _signed([BEYOND])
    async with client.post("/api/v1/relay", data=body, headers=_headers(secret, BEYOND)) as answer:
        stored = (await answer.json())["id"]
    await runtime.pool.execute(
        "UPDATE deliveries SET transport_state = 'relayed' WHERE message_id = $1", stored
    )
    _, province_c = await runtime.peers.add_peer("province-d", "http://127.0.0.1:11", ["x"])
    # This process changed its peers: its snapshot is read again at once.
    runtime.peer_cache.invalidate()
    event = {"origin": "province-a", "origin_message_id": "m-1", "recipient": BEYOND,
             "at": "2026-12-01T10:00:00+00:00"}  # fmt: skip
    # Only the peer the delivery went through may report on it.
    wrong_peer = {"Authorization": f"Bearer {province_c}"}
    items = {"items": [{**event, "state": "acked"}]}
    async with client.post("/api/v1/relay/events", json=items, headers=wrong_peer) as answer:
        assert answer.status == 200
        assert (await answer.json())["applied"] == 0

    async def state() -> str:
        found = await runtime.pool.fetchval(
            "SELECT transport_state FROM deliveries WHERE message_id = $1", stored
        )
        return str(found)

    assert await state() == "relayed"
    right_peer = {"Authorization": f"Bearer {SECRETS['province-c']}"}
    for sent, expected, applied in (("acked", "acked", 1), ("delivered", "acked", 0)):
        items = {"items": [{**event, "state": sent}]}
        async with client.post("/api/v1/relay/events", json=items, headers=right_peer) as answer:
            assert (await answer.json())["applied"] == applied
        assert await state() == expected
    # The message came in by a hop: the event is owed on towards the origin.
    owed = await runtime.pool.fetch("SELECT peer_name, state FROM relay_events")
    assert [tuple(row) for row in owed] == [("province-a", "acked")]
    async with client.post(
        "/api/v1/relay/events", json={"items": [{"state": "lost"}]}, headers=wrong_peer
    ) as answer:
        assert answer.status == 400
        assert (await answer.json(content_type=None))["code"] == "relay.event_invalid"
