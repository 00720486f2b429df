"""A document submitted through the API reaches a push agency's endpoint."""

from __future__ import annotations

import asyncpg
from aiohttp.test_utils import TestClient, TestServer

from axis.process.composition import Role, background_work, web_application
from tests.support.envelopes import document, open_broker
from tests.support.push_endpoint import PushEndpoint

SENDER = "000.00.00.G22"
PUSHED = "000.00.00.H41"


async def test_submitted_document_is_pushed_with_its_exact_bytes(
    database_url: str, connection: asyncpg.Connection
) -> None:
    endpoint = await PushEndpoint().start()
    try:
        async with open_broker(database_url, operator_token="operator-token") as broker:
            sender = await broker.add(SENDER)
            recipient = await broker.add(PUSHED, endpoint_url=endpoint.url)
            endpoint.secret = recipient.secret
            app = web_application(broker.runtime, Role.API)
            async with background_work(broker.runtime), TestClient(TestServer(app)) as client:
                signed = sender.sign(document(SENDER, [PUSHED]))
                headers = {"Content-Type": "application/xml", **sender.headers}
                async with client.post("/api/v1/messages", data=signed, headers=headers) as sent:
                    assert sent.status == 202, await sent.text()
                    message_id = (await sent.json())["id"]
                await endpoint.wait_for(lambda: len(endpoint.received) == 1, within=15)
        [push] = endpoint.received
        assert push.body == signed and push.signature_valid
        assert push.headers["X-Axis-Message-Id"] == message_id
        assert push.headers["X-Axis-From"] == SENDER
        row = await connection.fetchrow(
            "SELECT transport_state, attempts FROM deliveries WHERE message_id = $1", message_id
        )
        assert row is not None
        assert (row["transport_state"], row["attempts"]) == ("delivered", 1)
    finally:
        await endpoint.stop()
