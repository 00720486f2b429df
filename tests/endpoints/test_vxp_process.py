"""The main VXP flow against a real ``axis serve`` process."""

from __future__ import annotations

import asyncio
import base64
import signal
from pathlib import Path

from axis.registry.agencies import Registry
from axis.registry.secret_box import secret_box_for
from axis.settings import Settings
from axis.storage.database import create_pool
from tests.endpoints.test_vxp import sdk_json
from tests.support import envelopes
from tests.support.processes import TEST_SECRET_KEY, start_server
from tests.support.vxp_client import VxpService

SENDER, RECIPIENT = "000.00.00.G22", "000.00.00.H41"


async def test_send_receive_acknowledge_through_a_real_server(
    database_url: str, tmp_path: Path
) -> None:
    pool = await create_pool(database_url, 2)
    try:
        registry = Registry(pool, secret_box_for(Settings(secret_key=TEST_SECRET_KEY)))
        sender = await envelopes.register(registry, SENDER)
        recipient = await envelopes.register(registry, RECIPIENT)
    finally:
        await pool.close()
    data = sender.sign(envelopes.document(SENDER, (RECIPIENT,)))

    server = start_server(["--database-url", database_url], tmp_path / "serve.log")
    try:
        await asyncio.to_thread(server.wait_ready)
        # An endpoint ending in "/" makes the SDK send //sendEdoc.
        outbox = VxpService(server.base_url + "/vxp/", sender.organ_id, sender.secret)
        sent = sdk_json(
            await asyncio.to_thread(
                outbox.send_edoc,
                {"from": SENDER, "servicetype": "eDoc", "messagetype": "edoc", "to": RECIPIENT},
                data,
                lose_first_answer=True,
            )
        )
        assert sent["status"] == "OK", (sent, server.log())
        assert sdk_json(await asyncio.to_thread(outbox.resend_last))["DocId"] == sent["DocId"]

        reader = VxpService(server.base_url + "/vxp", recipient.organ_id, recipient.secret)
        listed = sdk_json(
            await asyncio.to_thread(reader.get_received_edoc_list, {"messagetype": "edoc"})
        )
        assert [item["docId"] for item in listed["data"]] == [sent["DocId"]]
        fetched = sdk_json(await asyncio.to_thread(reader.get_edoc, {"docId": sent["DocId"]}))
        assert base64.b64decode(fetched["data"]) == data
        done = await asyncio.to_thread(
            reader.update_status, {"docId": sent["DocId"], "status": "done"}
        )
        assert sdk_json(done)["status"] == "OK"
        count = sdk_json(await asyncio.to_thread(reader.count_receive_edoc, {}))
        assert count["count"] == 0
    finally:
        assert server.stop(signal.SIGTERM) == 0
