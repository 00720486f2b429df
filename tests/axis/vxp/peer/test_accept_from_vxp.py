"""A document polled from a VXP peer goes through the relay road's intake, and owes no events."""

from __future__ import annotations

from axis.intake.records import Accepted
from axis.intake.refusals import Refusal
from axis.vxp.peer.poller import accept_through, recipients_of
from signing import sign
from tests.support import envelopes
from tests.support.agencies import credential_for

LOCAL, REMOTE = "000.00.00.H40", "000.00.00.G22"


def signed(organ_id: str, unsigned: bytes) -> bytes:
    credential = credential_for(organ_id)
    return sign(unsigned, credential.private_key, credential.certificate)


async def test_a_polled_document_is_accepted_once_and_owes_the_vxp_peer_no_events(
    database_url: str,
) -> None:
    async with envelopes.open_broker(database_url) as broker:
        await broker.add(LOCAL)
        peer, _ = await broker.runtime.peers.add_peer(
            "national", "http://127.0.0.1:9/vxp", ["*"], protocol="vxp", system_id=LOCAL
        )
        accept = accept_through(broker.runtime.intake)
        body = signed(REMOTE, envelopes.document(REMOTE, (LOCAL,)))
        assert recipients_of(body) == (LOCAL,)

        first = await accept(peer, "national", "doc-1", (LOCAL,), ("national",), body)
        again = await accept(peer, "national", "doc-1", (LOCAL,), ("national",), body)
        assert isinstance(first, Accepted) and isinstance(again, Accepted)
        assert (again.id, again.created) == (first.id, False)

        message_id = first.id
        assert await broker.runtime.pull.fetch(message_id, LOCAL) == body
        await broker.runtime.pull.acknowledge(message_id, LOCAL, result="done", reason="test")
        states = await broker.pool.fetchval(
            "SELECT array_agg(transport_state) FROM deliveries WHERE message_id = $1", message_id
        )
        assert states == ["acked"]
        # VXP has no call for transport events: none is owed to the peer.
        assert await broker.pool.fetchval("SELECT count(*) FROM relay_events") == 0


async def test_a_polled_document_from_a_sender_of_ours_is_refused(database_url: str) -> None:
    async with envelopes.open_broker(database_url) as broker:
        await broker.add(LOCAL)
        peer, _ = await broker.runtime.peers.add_peer(
            "national", "http://127.0.0.1:9/vxp", ["*"], protocol="vxp", system_id=LOCAL
        )
        body = signed(LOCAL, envelopes.document(LOCAL, (LOCAL,)))
        accept = accept_through(broker.runtime.intake)
        try:
            await accept(peer, "national", "doc-2", (LOCAL,), ("national",), body)
        except Refusal as refusal:
            assert refusal.code == "relay.sender_not_served"
        else:
            raise AssertionError("a sender of this axis, relayed back in, was accepted")
