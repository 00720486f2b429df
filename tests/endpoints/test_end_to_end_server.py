"""The whole road through a real ``axis serve`` process, as agencies use it.

Three agencies: the sender and Nghệ An pull from their inboxes, Tây Ninh has
a real endpoint on loopback that the axis pushes to. Documents go to both
recipients, receipts come back by both roads, tracking shows each copy, and
every refusal status of the API is provoked once, over real HTTP.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from axis.client.agency_client import AgencyClient, ApiRefusal
from tests.support.envelopes import TestAgency, document, document_id_of, open_broker, status
from tests.support.processes import ServerProcess, start_server
from tests.support.push_endpoint import PushEndpoint
from tests.support.waiting import eventually

SENDER = "000.00.00.G22"
NGHE_AN = "000.00.00.H41"
TAY_NINH = "000.00.00.H53"
OUTSIDER = "000.00.00.H01"
SIZE_LIMIT = 64 * 1024


@dataclass
class Road:
    server: ServerProcess
    endpoint: PushEndpoint
    agencies: dict[str, TestAgency]
    clients: dict[str, AgencyClient]
    database_url: str


@pytest.fixture
async def road(database_url: str, tmp_path: Path) -> AsyncIterator[Road]:
    endpoint = await PushEndpoint().start()
    async with open_broker(database_url) as broker:
        agencies = {
            SENDER: await broker.add(SENDER),
            NGHE_AN: await broker.add(NGHE_AN),
            TAY_NINH: await broker.add(TAY_NINH, endpoint_url=endpoint.url),
            OUTSIDER: await broker.add(OUTSIDER),
        }
    endpoint.secret = agencies[TAY_NINH].secret
    server = start_server(
        ["--database-url", database_url, "--workers", "2"],
        tmp_path / "server.log",
        {"AXIS_MAX_MESSAGE_BYTES": str(SIZE_LIMIT)},
    )
    clients = {
        organ_id: AgencyClient(server.base_url, agency.secret)
        for organ_id, agency in agencies.items()
    }
    try:
        await asyncio.to_thread(server.wait_ready)
        yield Road(server, endpoint, agencies, clients, database_url)
    finally:
        for client in clients.values():
            await client.close()
        await endpoint.stop()
        assert server.stop() == 0, server.log()


async def _pull_all(client: AgencyClient, kind: str) -> list[dict[str, object]]:
    """Every unacknowledged message of ``kind``, fetched and acknowledged."""
    page = await client.inbox(kind=kind)
    for item in page["items"]:
        await client.get(str(item["id"]))
        await client.ack(str(item["id"]))
    items: list[dict[str, object]] = page["items"]
    return items


async def _refused(call: Awaitable[object]) -> ApiRefusal:
    with pytest.raises(ApiRefusal) as refused:
        await call
    return refused.value


async def test_documents_and_receipts_travel_both_roads(road: Road) -> None:
    sender = road.clients[SENDER]
    signed = [
        road.agencies[SENDER].sign(document(SENDER, [NGHE_AN, TAY_NINH], subject=f"Công văn {n}"))
        for n in range(3)
    ]
    ids = [(await sender.send(data)).id for data in signed]

    # Nghệ An pulls: exactly the three documents, byte for byte, then its receipts.
    nghe_an = road.clients[NGHE_AN]
    listed = await nghe_an.inbox(kind="edoc")
    assert sorted(item["id"] for item in listed["items"]) == sorted(ids)
    for message_id, data in zip(ids, signed, strict=True):
        assert await nghe_an.get(message_id) == data
        await nghe_an.ack(message_id)
    assert (await nghe_an.inbox(kind="edoc"))["items"] == []
    for data in signed:
        for code in ("01", "03"):
            receipt = status(NGHE_AN, SENDER, document_id_of(data), code)
            await nghe_an.send(road.agencies[NGHE_AN].sign(receipt))

    # Tây Ninh is pushed each document once, signed with its secret; it answers 01.
    await road.endpoint.wait_for(lambda: len(road.endpoint.received) >= len(ids))
    pushed = {push.message_id: push for push in road.endpoint.received}
    assert sorted(pushed) == sorted(ids)
    assert all(push.signature_valid for push in pushed.values())
    assert {message_id: pushed[message_id].body for message_id in ids} == dict(
        zip(ids, signed, strict=True)
    )
    tay_ninh = road.clients[TAY_NINH]
    for push in pushed.values():
        receipt = status(TAY_NINH, SENDER, document_id_of(push.body), "01")
        await tay_ninh.send(road.agencies[TAY_NINH].sign(receipt))

    # The sender pulls the nine receipts, each about one of its documents.
    receipts = await _pull_all(sender, "status")
    assert sorted((str(r["from"]), str(r["status_code"])) for r in receipts) == sorted(
        [(NGHE_AN, "01"), (NGHE_AN, "03")] * 3 + [(TAY_NINH, "01")] * 3
    )
    assert {str(r["document_id"]) for r in receipts} == {document_id_of(d) for d in signed}

    for message_id in ids:
        tracking = await sender.tracking(message_id)
        rows = {row["organ_id"]: row for row in tracking["recipients"]}
        assert rows[NGHE_AN]["transport_state"] == "acked"
        assert rows[NGHE_AN]["acked_at"] is not None
        assert [s["code"] for s in rows[NGHE_AN]["statuses"]] == ["01", "03"]
        assert rows[TAY_NINH]["transport_state"] == "delivered"
        assert rows[TAY_NINH]["delivered_at"] is not None
        assert [(s["code"], s["from"]) for s in rows[TAY_NINH]["statuses"]] == [("01", TAY_NINH)]
    assert road.endpoint.pushes_per_message() == {message_id: 1 for message_id in ids}


async def test_every_refusal_status_over_real_http(road: Road) -> None:
    sender, agency = road.clients[SENDER], road.agencies[SENDER]
    accepted = await sender.send(agency.sign(document(SENDER, [NGHE_AN])))
    seen: dict[int, str] = {}

    def note(refusal: ApiRefusal) -> None:
        seen[refusal.status] = refusal.code

    async with AgencyClient(road.server.base_url, "not-a-secret") as stranger:
        note(await _refused(stranger.send(agency.sign(document(SENDER, [NGHE_AN])))))
    # Nghệ An may not send in the sender's name, even with a valid signature of its own.
    forged = road.agencies[NGHE_AN].sign(document(SENDER, [TAY_NINH]))
    note(await _refused(road.clients[NGHE_AN].send(forged)))
    # An outsider asking for someone else's message learns nothing: 404 as for no message.
    outsider_read = await _refused(road.clients[OUTSIDER].get(accepted.id))
    unknown_read = await _refused(sender.get("0" * 32))
    assert (outsider_read.status, unknown_read.status) == (404, 404)
    note(outsider_read)
    first = document(SENDER, [NGHE_AN], subject="Bản thứ nhất")
    await sender.send(agency.sign(first))
    other_bytes = first.replace("Bản thứ nhất".encode(), "Bản thứ hai".encode())
    note(await _refused(sender.send(agency.sign(other_bytes))))
    oversized = document(SENDER, [NGHE_AN], payload=b"x" * SIZE_LIMIT)
    note(await _refused(sender.send(agency.sign(oversized))))
    tampered = agency.sign(document(SENDER, [NGHE_AN])).replace(b"V/v", b"V/V", 1)
    note(await _refused(sender.send(tampered)))
    note(await _refused(sender.send(b"this is not XML")))

    assert seen == {
        401: "auth.invalid",
        403: "sender.mismatch",
        404: "message.not_found",
        409: "message.conflict",
        413: "message.too_large",
        422: "signature.digest_mismatch",
        400: "xml.garbage_before_declaration",
    }
    # Each refusal of an agency is recorded with its code (the 404s are answers, not refused
    # submissions); the stranger's 401 is counted and sampled at the door (issue #15).
    connection = await asyncpg.connect(road.database_url)
    try:
        recorded = {row["code"] for row in await connection.fetch("SELECT code FROM refusals")}

        async def sampled_at_the_door() -> bool:
            rows = await connection.fetch("SELECT code FROM door_refusals")
            return {row["code"] for row in rows} == {"auth.invalid"}

        await eventually(sampled_at_the_door, what="the door's sample")
    finally:
        await connection.close()
    assert recorded >= {code for status_code, code in seen.items() if status_code not in (401, 404)}
    assert "auth.invalid" not in recorded
    # The tracking of the accepted document is not disturbed by the refusals around it.
    tracking = await sender.tracking(accepted.id)
    assert [row["transport_state"] for row in tracking["recipients"]] == ["queued"]
