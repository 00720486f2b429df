"""Province A -> the nation -> province B, three real axes (issue #16).

The signed bytes arrive untouched at the far end, to a pull and to a push
recipient; the sender's tracking shows the hop (``via``, ``relayed``) and
then the far side's delivered and acked; receipts travel back by their
``ResponseFor/OrganId``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from axis.client.agency_client import AgencyClient
from signing import sign
from tests.support.agencies import credential_for
from tests.support.envelopes import document, status
from tests.support.federation import NATION, Federation
from tests.support.push_endpoint import PushEndpoint
from tests.support.waiting import eventually

SENDER_A = "000.00.01.H40"
READER_B = "000.00.01.H53"
PUSHED_B = "000.00.02.H53"
LOCAL_A = "000.00.02.H40"


def signed(body: bytes, organ_id: str) -> bytes:
    credential = credential_for(organ_id)
    return sign(body, credential.private_key, credential.certificate)


async def tracked(client: AgencyClient, message_id: str, organ_id: str) -> dict[str, Any]:
    """The sender's tracking row of one recipient."""
    tracking = await client.tracking(message_id)
    return next(r for r in tracking["recipients"] if r["organ_id"] == organ_id)


def state_is(
    client: AgencyClient, message_id: str, organ_id: str, expected: str
) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return bool((await tracked(client, message_id, organ_id))["transport_state"] == expected)

    return check


def inbox_holds(client: AgencyClient, kind: str | None = None) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return bool((await client.inbox(kind=kind))["items"])

    return check


async def test_a_document_crosses_two_hops_byte_exact_and_its_states_come_back(
    fed: Federation,
) -> None:
    sender = await fed.a.register(SENDER_A)
    reader = await fed.b.register(READER_B)
    body = signed(document(SENDER_A, [READER_B]), SENDER_A)
    async with AgencyClient(fed.a.base_url, sender.secret) as client:
        sent = await client.send(body)
        assert sent.status == 202 and sent.recipients == (READER_B,)

        async with AgencyClient(fed.b.base_url, reader.secret) as far:
            await eventually(inbox_holds(far), timeout=30, what="the document in B's inbox")
            row = await tracked(client, sent.id, READER_B)
            assert row["via"] == NATION and row["transport_state"] == "relayed"
            [item] = (await far.inbox())["items"]
            assert await far.get(item["id"]) == body
            delivered = state_is(client, sent.id, READER_B, "delivered")
            await eventually(delivered, timeout=30, what="delivered at A")
            await far.ack(item["id"])
            acked = state_is(client, sent.id, READER_B, "acked")
            await eventually(acked, timeout=30, what="acked at A")

            # The receipt goes back by its ResponseFor/OrganId, across both hops.
            receipt = signed(status(READER_B, SENDER_A, sent.document_id, "03"), READER_B)
            answered = await far.send(receipt)
            assert answered.status == 202 and answered.recipients == (SENDER_A,)

        await eventually(inbox_holds(client, "status"), timeout=30, what="the receipt at A")
        [arrived] = (await client.inbox(kind="status"))["items"]
        assert arrived["from"] == READER_B
        assert await client.get(arrived["id"]) == receipt
        assert (await tracked(client, sent.id, READER_B))["business_status"] == "03"


async def test_a_push_recipient_beyond_two_hops_gets_the_exact_bytes(fed: Federation) -> None:
    endpoint = await PushEndpoint().start()
    try:
        sender = await fed.a.register(SENDER_A)
        pushed = await fed.b.register(PUSHED_B, endpoint_url=endpoint.url)
        endpoint.secret = pushed.secret
        body = signed(document(SENDER_A, [PUSHED_B, LOCAL_A]), SENDER_A)
        await fed.a.register(LOCAL_A)
        async with AgencyClient(fed.a.base_url, sender.secret) as client:
            sent = await client.send(body)
            await endpoint.wait_for(lambda: len(endpoint.received) == 1, within=30)
            [push] = endpoint.received
            assert push.body == body and push.signature_valid

            delivered = state_is(client, sent.id, PUSHED_B, "delivered")
            await eventually(delivered, timeout=30, what="delivered at A")
            local = await tracked(client, sent.id, LOCAL_A)
            assert local["via"] is None and local["transport_state"] == "queued"
    finally:
        await endpoint.stop()
