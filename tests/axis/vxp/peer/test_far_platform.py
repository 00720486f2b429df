"""The VXP peer against a real axis whose VXP surface stands in for the national platform.

The near side runs in this process (the transport, the poller, the
directory source); the far side is a real ``axis serve`` on its own
database (see conftest). Everything crosses loopback on the SDK's wire.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import aiohttp

from axis.delivery.relay.hop import Hop
from axis.errors import DatabaseUnavailable
from axis.intake.refusals import Forbidden
from axis.registry.peers import Peer
from axis.vxp.peer.directory import VxpDirectorySource
from axis.vxp.peer.poller import VxpPoller
from axis.vxp.peer.transport import VxpHopTransport
from signing import CertificateAuthority, sign
from tests.axis.vxp.peer.conftest import FAR_AGENCY, NEAR_SYSTEM, PEER, FarPlatform, vxp_peer
from tests.support import envelopes
from tests.support.agencies import credential_for


def signed(organ_id: str, unsigned: bytes) -> bytes:
    credential = credential_for(organ_id)
    return sign(unsigned, credential.private_key, credential.certificate)


def hop(far: FarPlatform, body: bytes, recipients: tuple[str, ...], **peer: str) -> Hop:
    return Hop(
        peer=vxp_peer(far, **peer),
        message_id="near-message-1",
        origin="province-a",
        origin_message_id="near-message-1",
        recipients=recipients,
        path=("province-a",),
        body=body,
    )


@dataclass
class Accepted:
    """A stand-in for the relay road's accept_hop: records what it commits."""

    hops: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...], bytes]] = field(
        default_factory=dict
    )
    calls: int = 0
    faults: list[BaseException] = field(default_factory=list)

    async def __call__(
        self,
        peer: Peer,
        origin: str,
        origin_message_id: str,
        recipients: tuple[str, ...],
        path: tuple[str, ...],
        body: bytes,
    ) -> str:
        self.calls += 1
        if self.faults:
            raise self.faults.pop(0)
        self.hops[(origin, origin_message_id)] = (recipients, path, body)
        return f"near:{origin_message_id}"


async def open_transport() -> tuple[VxpHopTransport, aiohttp.ClientSession]:
    """The transport on a session like the relay road's (no decompression)."""
    session = aiohttp.ClientSession(auto_decompress=False)
    return VxpHopTransport(session, 10.0), session


async def far_messages(far: FarPlatform) -> list[str]:
    rows = await far.rows("SELECT id FROM messages ORDER BY accepted_at")
    return [row["id"] for row in rows]


async def listed_for_near(far: FarPlatform) -> int:
    rows = await far.rows(
        "SELECT count(*) AS n FROM deliveries WHERE recipient_id = $1 "
        "AND transport_state IN ('queued', 'delivered')",
        NEAR_SYSTEM,
    )
    return int(rows[0]["n"])


async def test_a_document_out_arrives_byte_exact_and_a_resend_is_not_a_duplicate(
    far: FarPlatform,
) -> None:
    body = signed(NEAR_SYSTEM, envelopes.document(NEAR_SYSTEM, (FAR_AGENCY,)))
    transport, session = await open_transport()
    try:
        first = await transport.send(hop(far, body, (FAR_AGENCY,)))
        again = await transport.send(hop(far, body, (FAR_AGENCY,)))
    finally:
        await session.close()
    assert first.accepted and again.accepted, (first, again)
    messages = await far_messages(far)
    assert len(messages) == 1
    assert await far.fetch(messages[0]) == body


async def test_the_far_side_refusing_is_permanent_with_its_code(far: FarPlatform) -> None:
    rogue = CertificateAuthority.create(name="rogue CA").issue(NEAR_SYSTEM)
    untrusted = sign(
        envelopes.document(NEAR_SYSTEM, (FAR_AGENCY,)), rogue.private_key, rogue.certificate
    )
    transport, session = await open_transport()
    try:
        refused = await transport.send(hop(far, untrusted, (FAR_AGENCY,)))
        wrong_secret = await transport.send(
            hop(
                far,
                signed(NEAR_SYSTEM, envelopes.document(NEAR_SYSTEM, (FAR_AGENCY,))),
                (FAR_AGENCY,),
                secret="not-the-secret",
            )
        )
    finally:
        await session.close()
    assert refused.code == "certificate.untrusted", refused
    assert wrong_secret.code == "vxp.401", wrong_secret
    assert await far_messages(far) == []


async def test_the_far_side_down_is_retried_and_nothing_is_lost(far: FarPlatform) -> None:
    body = signed(NEAR_SYSTEM, envelopes.document(NEAR_SYSTEM, (FAR_AGENCY,)))
    transport, session = await open_transport()
    try:
        far.stop()
        down = await transport.send(hop(far, body, (FAR_AGENCY,)))
        assert not down.accepted and not down.permanent and down.peer_failed, down
        await far.start()
        back = await transport.send(hop(far, body, (FAR_AGENCY,)))
    finally:
        await session.close()
    assert back.accepted, back
    messages = await far_messages(far)
    assert len(messages) == 1
    assert await far.fetch(messages[0]) == body


async def test_documents_and_statuses_in_are_committed_then_confirmed_once(
    far: FarPlatform,
) -> None:
    document = signed(FAR_AGENCY, envelopes.document(FAR_AGENCY, (NEAR_SYSTEM,)))
    sent = await far.submit(document)
    accepted = Accepted(faults=[DatabaseUnavailable("the database is away")])
    peer = vxp_peer(far)

    async def peers() -> list[Peer]:
        return [peer]

    poller = VxpPoller(peers, accepted, timeout=10)
    try:
        # A fault here confirms nothing: the platform offers it again.
        assert await poller.poll_once() == 0
        assert await listed_for_near(far) == 1
        assert await poller.poll_once() == 1
        assert accepted.hops == {
            (PEER, sent["id"]): ((NEAR_SYSTEM,), (PEER,), document),
        }
        assert await listed_for_near(far) == 0
        assert await poller.poll_once() == 0
        assert accepted.calls == 2

        # A status back from the near side's agency goes out by sendEdoc as a status...
        receipt = signed(
            NEAR_SYSTEM,
            envelopes.status(NEAR_SYSTEM, FAR_AGENCY, envelopes.document_id_of(document), "03"),
        )
        transport, session = await open_transport()
        try:
            out = await transport.send(hop(far, receipt, (FAR_AGENCY,)))
        finally:
            await session.close()
        assert out.accepted, out
        statuses = await far.rows("SELECT id FROM messages WHERE kind = 'status'")
        assert [await far.fetch(row["id"]) for row in statuses] == [receipt]

        # ... and one from the far side's agency comes in by polling.
        reply = signed(
            FAR_AGENCY,
            envelopes.status(FAR_AGENCY, NEAR_SYSTEM, envelopes.document_id_of(document), "01"),
        )
        # A status about a document the far agency received from the near one.
        forward = signed(NEAR_SYSTEM, envelopes.document(NEAR_SYSTEM, (FAR_AGENCY,)))
        transport, session = await open_transport()
        try:
            assert (await transport.send(hop(far, forward, (FAR_AGENCY,)))).accepted
        finally:
            await session.close()
        reply = signed(
            FAR_AGENCY,
            envelopes.status(FAR_AGENCY, NEAR_SYSTEM, envelopes.document_id_of(forward), "03"),
        )
        status_sent = await far.submit(reply)
        assert await poller.poll_once() == 1
        assert accepted.hops[(PEER, status_sent["id"])] == ((NEAR_SYSTEM,), (PEER,), reply)
        assert await listed_for_near(far) == 0
    finally:
        await poller.stop()


async def test_a_document_refused_here_is_confirmed_as_failed(far: FarPlatform) -> None:
    await far.submit(signed(FAR_AGENCY, envelopes.document(FAR_AGENCY, (NEAR_SYSTEM,))))
    accepted = Accepted(faults=[Forbidden("not served", code="relay.sender_not_served")])
    peer = vxp_peer(far)

    async def peers() -> list[Peer]:
        return [peer]

    poller = VxpPoller(peers, accepted, timeout=10)
    try:
        assert await poller.poll_once() == 0
        assert await listed_for_near(far) == 0
        results = await far.rows("SELECT business_status, transport_state FROM deliveries")
        assert [row["transport_state"] for row in results] == ["acked"]
        assert await poller.poll_once() == 0
        assert accepted.calls == 1
    finally:
        await poller.stop()


async def test_the_background_poller_brings_documents_in(far: FarPlatform) -> None:
    sent = await far.submit(signed(FAR_AGENCY, envelopes.document(FAR_AGENCY, (NEAR_SYSTEM,))))
    accepted = Accepted()
    peer = vxp_peer(far)

    async def peers() -> list[Peer]:
        return [peer]

    poller = VxpPoller(peers, accepted, interval=0.05, timeout=10)
    await poller.start()
    try:
        for _ in range(400):
            if (PEER, sent["id"]) in accepted.hops:
                break
            await asyncio.sleep(0.05)
        assert (PEER, sent["id"]) in accepted.hops
    finally:
        await poller.stop()


async def test_the_directory_comes_from_get_agencies_list(far: FarPlatform) -> None:
    entries = await VxpDirectorySource(timeout=10).entries(vxp_peer(far))
    by_id = {entry.organ_id: entry for entry in entries}
    assert set(by_id) == {NEAR_SYSTEM, FAR_AGENCY}
    assert by_id[FAR_AGENCY].name == "Bộ G22"
    assert {entry.served_by for entry in entries} == {PEER}
