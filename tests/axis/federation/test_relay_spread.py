"""Recipients on several axes, a peer down mid-stream, and both surfaces (issue #16)."""

from __future__ import annotations

import asyncio
import base64
import signal
from collections import Counter

from axis.client.agency_client import AgencyClient
from tests.axis.federation.test_relay_road import READER_B, SENDER_A, signed, state_is, tracked
from tests.endpoints.test_vxp import sdk_json
from tests.support.envelopes import document
from tests.support.federation import NATION, PROVINCE_A, PROVINCE_B, Federation
from tests.support.vxp_client import VxpService
from tests.support.waiting import eventually

READER_A = "000.00.03.H40"
NATIONAL_SENDER = "000.00.00.G22"
NATIONAL_READER = "000.00.00.G23"


async def test_a_document_goes_once_to_each_peer_with_its_recipients_and_locally(
    fed: Federation,
) -> None:
    sender = await fed.nation.register(NATIONAL_SENDER)
    await fed.nation.register(NATIONAL_READER)
    reader_a = await fed.a.register(READER_A)
    reader_b = await fed.b.register(READER_B)
    recipients = [READER_A, NATIONAL_READER, READER_B]
    body = signed(document(NATIONAL_SENDER, recipients), NATIONAL_SENDER)
    async with AgencyClient(fed.nation.base_url, sender.secret) as client:
        sent = await client.send(body)
        for organ_id in (READER_A, READER_B):
            await eventually(state_is(client, sent.id, organ_id, "relayed"), timeout=30)
        rows = {r["organ_id"]: r for r in (await client.tracking(sent.id))["recipients"]}
        assert {organ_id: rows[organ_id]["via"] for organ_id in recipients} == {
            READER_A: PROVINCE_A,
            NATIONAL_READER: None,
            READER_B: PROVINCE_B,
        }
    for axis, reader, organ_id in ((fed.a, reader_a, READER_A), (fed.b, reader_b, READER_B)):
        hop = await axis.pool.fetchrow("SELECT origin, path FROM relay_hops")
        assert hop is not None
        assert hop["origin"] == NATION and list(hop["path"]) == [NATION]
        # Each far axis holds only the recipient its hop carried.
        held = await axis.pool.fetch("SELECT recipient_id, mode FROM deliveries")
        assert [(row["recipient_id"], row["mode"]) for row in held] == [(organ_id, "pull")]
        async with AgencyClient(axis.base_url, reader.secret) as far:
            [item] = (await far.inbox())["items"]
            assert await far.get(item["id"]) == body


async def test_a_peer_stopped_mid_stream_gets_every_document_once_when_it_returns(
    fed: Federation,
) -> None:
    sender = await fed.a.register(SENDER_A)
    reader = await fed.b.register(READER_B)
    national = await fed.nation.register(NATIONAL_SENDER)
    reader_a = await fed.a.register(READER_A)
    sent: list[str] = []
    async with AgencyClient(fed.a.base_url, sender.secret) as client:
        for _ in range(3):
            sent.append((await client.send(signed(document(SENDER_A, [READER_B]), SENDER_A))).id)
        await fed.b.stop(signal.SIGKILL)
        for _ in range(5):
            sent.append((await client.send(signed(document(SENDER_A, [READER_B]), SENDER_A))).id)
        # Meanwhile the nation holds them, retrying: nothing is lost, nothing dead.
        await eventually(
            lambda: _relayed_to_nation(fed, len(sent)), timeout=60, what="all at the nation"
        )
        # B down does not hold up A: the nation's other peer gets its document meanwhile.
        async with AgencyClient(fed.nation.base_url, national.secret) as nation_client:
            to_a = signed(document(NATIONAL_SENDER, [READER_A]), NATIONAL_SENDER)
            await nation_client.send(to_a)
        async with AgencyClient(fed.a.base_url, reader_a.secret) as near:

            async def arrived_at_a() -> bool:
                return bool((await near.inbox())["items"])

            await eventually(arrived_at_a, timeout=30, what="the nation's document at A")
        assert (
            await fed.nation.fetchval(
                "SELECT count(*) FROM deliveries WHERE via = $1 AND transport_state = 'dead'",
                PROVINCE_B,
            )
            == 0
        )
        await fed.b.start()
        async with AgencyClient(fed.b.base_url, reader.secret) as far:

            async def all_arrived() -> bool:
                return len((await far.inbox(limit=100))["items"]) >= len(sent)

            await eventually(all_arrived, timeout=120, what="every document at B")
            items = (await far.inbox(limit=100))["items"]
            assert len(items) == len(sent)
            bodies = Counter([await far.get(item["id"]) for item in items])
            assert all(count == 1 for count in bodies.values())
        for message_id in sent:
            await eventually(state_is(client, message_id, READER_B, "delivered"), timeout=60)
        for message_id in sent:
            assert (await tracked(client, message_id, READER_B))["via"] == NATION
    assert await fed.b.fetchval("SELECT count(*) FROM messages") == len(sent)


async def _relayed_to_nation(fed: Federation, count: int) -> bool:
    stored = await fed.nation.fetchval("SELECT count(*) FROM relay_hops")
    return bool(stored == count)


async def test_vxp_on_one_side_and_the_native_api_on_the_other(fed: Federation) -> None:
    """Item 6: the SDK's sendEdoc at A reaches a native reader at B, and B's native
    submission reaches a reader polling A's VXP surface."""
    vxp_sender = await fed.a.register(SENDER_A)
    vxp_reader = await fed.a.register(READER_A)
    native = await fed.b.register(READER_B)
    outbound = signed(document(SENDER_A, [READER_B]), SENDER_A)
    outbox = VxpService(fed.a.base_url + "/vxp/", vxp_sender.system_id, vxp_sender.secret)
    answer = sdk_json(
        await asyncio.to_thread(
            outbox.send_edoc,
            {"from": SENDER_A, "servicetype": "eDoc", "messagetype": "edoc", "to": READER_B},
            outbound,
        )
    )
    assert answer["status"] == "OK"
    async with AgencyClient(fed.b.base_url, native.secret) as far:

        async def arrived() -> bool:
            return bool((await far.inbox())["items"])

        await eventually(arrived, timeout=30, what="A's VXP document at B")
        [item] = (await far.inbox())["items"]
        assert await far.get(item["id"]) == outbound

        inbound = signed(document(READER_B, [READER_A]), READER_B)
        await far.send(inbound)
    reader = VxpService(fed.a.base_url + "/vxp/", vxp_reader.system_id, vxp_reader.secret)

    async def listed() -> bool:
        page = sdk_json(
            await asyncio.to_thread(reader.get_received_edoc_list, {"messagetype": "edoc"})
        )
        return bool(page["data"])

    await eventually(listed, timeout=30, what="B's document on A's VXP surface")
    page = sdk_json(await asyncio.to_thread(reader.get_received_edoc_list, {"messagetype": "edoc"}))
    [doc] = page["data"]
    fetched = sdk_json(await asyncio.to_thread(reader.get_edoc, {"docId": doc["docId"]}))
    assert base64.b64decode(fetched["data"]) == inbound
