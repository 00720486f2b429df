"""A province joins a VXP-only platform: two real axes, the far one speaking to it only by VXP.

Province A is an ``axis serve`` with a peer added by the real CLI
(``axis peer add national --protocol vxp``); the far axis stands in for the
national platform through its VXP surface alone (it has no peers: A is one
of its systems, ``H40``). Documents and statuses cross both ways, byte for
byte; the far side refusing, the far side down, and the directory.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from axis.registry.agencies import AgencyCredentials
from signing import sign
from tests.support import envelopes
from tests.support.agencies import credential_for
from tests.support.federation import Axis, open_axis
from tests.support.waiting import eventually

SYSTEM = "000.00.00.H40"  # A's agency, and A's system on the far platform
FAR_AGENCY = "000.00.00.G22"
UNKNOWN = "000.00.00.X99"
SUSPENDED = "000.00.00.G23"
PEER = "national"


def signed(organ_id: str, unsigned: bytes) -> bytes:
    credential = credential_for(organ_id)
    return sign(unsigned, credential.private_key, credential.certificate)


@dataclass
class Agency:
    axis: Axis
    credentials: AgencyCredentials

    def _headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credentials.secret}", **extra}

    async def post(self, data: bytes) -> tuple[int, dict[str, Any]]:
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                self.axis.base_url + "/api/v1/messages",
                data=data,
                headers=self._headers(**{"Content-Type": "application/xml"}),
            ) as answer,
        ):
            body: dict[str, Any] = await answer.json()
            return answer.status, body

    async def submit(self, data: bytes) -> dict[str, Any]:
        status, body = await self.post(data)
        assert status == 202, body
        return body

    async def get(self, path: str) -> tuple[int, bytes]:
        async with (
            aiohttp.ClientSession() as session,
            session.get(self.axis.base_url + path, headers=self._headers()) as answer,
        ):
            return answer.status, await answer.read()

    async def inbox(self, kind: str = "edoc") -> list[dict[str, Any]]:
        status, body = await self.get(f"/api/v1/inbox?kind={kind}")
        assert status == 200, body
        items: list[dict[str, Any]] = json.loads(body)["items"]
        return items

    async def tracking(self, message_id: str) -> list[dict[str, Any]]:
        status, body = await self.get(f"/api/v1/messages/{message_id}/tracking")
        assert status == 200, body
        recipients: list[dict[str, Any]] = json.loads(body)["recipients"]
        return recipients


@dataclass
class Joined:
    a: Axis
    far: Axis
    system: Agency  # H40 on A
    far_agency: Agency  # G22 on the far platform


@contextlib.asynccontextmanager
async def joined(server_url: str, template: str, logs: Path) -> AsyncIterator[Joined]:
    async with contextlib.AsyncExitStack() as stack:
        a = await stack.enter_async_context(open_axis(server_url, template, "province-a", logs))
        far = await stack.enter_async_context(open_axis(server_url, template, PEER, logs))
        on_far = await far.register(SYSTEM)
        g22 = await far.register(FAR_AGENCY)
        h40 = await a.register(SYSTEM)
        # As an operator joins a province: two commands.
        a.cli(
            "peer", "add", PEER, "--protocol", "vxp", "--url", far.base_url + "/vxp",
            "--system-id", on_far.system_id, "--serves", "*", "--json",
        )  # fmt: skip
        a.cli("peer", "set-secret", PEER, on_far.secret)
        await far.start()
        await a.start()
        yield Joined(a, far, Agency(a, h40), Agency(far, g22))


async def _relayed(agency: Agency, message_id: str, state: str) -> bool:
    rows = await agency.tracking(message_id)
    return [row["transport_state"] for row in rows] == [state]


async def test_documents_and_statuses_cross_both_ways(
    server_url: str, template_database: str, tmp_path: Path
) -> None:
    async with joined(server_url, template_database, tmp_path) as fed:
        # Out: sendEdoc of the signed bytes, read byte-exact on the far side.
        document = signed(SYSTEM, envelopes.document(SYSTEM, (FAR_AGENCY,)))
        sent = await fed.system.submit(document)
        await eventually(
            lambda: _relayed(fed.system, sent["id"], "relayed"), timeout=30, what="relayed"
        )
        [row] = await fed.system.tracking(sent["id"])
        assert row["via"] == PEER
        await eventually(
            lambda: _inbox_has(fed.far_agency, 1), timeout=30, what="arrived on the far side"
        )
        [item] = await fed.far_agency.inbox()
        assert await fed.far_agency.get(f"/api/v1/messages/{item['id']}") == (200, document)

        # In: the far agency's document polled, committed, confirmed once.
        reply = signed(FAR_AGENCY, envelopes.document(FAR_AGENCY, (SYSTEM,)))
        far_sent = await fed.far_agency.submit(reply)
        await eventually(lambda: _inbox_has(fed.system, 1), timeout=30, what="polled in")
        [arrived] = await fed.system.inbox()
        assert await fed.system.get(f"/api/v1/messages/{arrived['id']}") == (200, reply)
        await eventually(
            lambda: _far_state(fed.far, far_sent["id"], "acked"), timeout=30, what="confirmed"
        )
        hops = await fed.a.fetchval(
            "SELECT count(*) FROM relay_hops WHERE peer_name = $1 AND origin_message_id = $2",
            PEER,
            far_sent["id"],
        )
        assert hops == 1

        # Statuses both ways: routed by ResponseFor, like any message.
        receipt = signed(
            SYSTEM,
            envelopes.status(SYSTEM, FAR_AGENCY, envelopes.document_id_of(reply), "03"),
        )
        await fed.system.submit(receipt)
        await eventually(
            lambda: _inbox_has(fed.far_agency, 1, "status"), timeout=30, what="status out"
        )
        back = signed(
            FAR_AGENCY,
            envelopes.status(FAR_AGENCY, SYSTEM, envelopes.document_id_of(document), "03"),
        )
        await fed.far_agency.submit(back)
        await eventually(lambda: _inbox_has(fed.system, 1, "status"), timeout=30, what="status in")
        [status_item] = await fed.system.inbox("status")
        assert await fed.system.get(f"/api/v1/messages/{status_item['id']}") == (200, back)


async def test_the_far_side_refusing_down_and_back_and_its_directory(
    server_url: str, template_database: str, tmp_path: Path
) -> None:
    async with joined(server_url, template_database, tmp_path) as fed:
        # The directory, from getAgenciesList (A's own agency left out).
        await fed.far.register(SUSPENDED)
        fed.a.cli("peer", "sync", PEER)
        names = await fed.a.fetchval(
            "SELECT array_agg(organ_id ORDER BY organ_id) FROM peer_directory WHERE peer_name = $1",
            PEER,
        )
        assert names == sorted([FAR_AGENCY, SUSPENDED])

        # Once synced, an agency the far side does not list is refused here at once.
        status, problem = await fed.system.post(
            signed(SYSTEM, envelopes.document(SYSTEM, (UNKNOWN,)))
        )
        assert (status, problem["code"]) == (422, "recipient.unknown"), problem

        # Refused there (listed, but suspended since): dead here, with its code.
        fed.far.cli("agency", "suspend", SUSPENDED)
        refused = await fed.system.submit(signed(SYSTEM, envelopes.document(SYSTEM, (SUSPENDED,))))
        await eventually(lambda: _relayed(fed.system, refused["id"], "dead"), timeout=30)
        [row] = await fed.system.tracking(refused["id"])
        assert row["last_error"].startswith("recipient.suspended"), row

        # Down, then back: retried, delivered once.
        await fed.far.stop()
        document = signed(SYSTEM, envelopes.document(SYSTEM, (FAR_AGENCY,)))
        sent = await fed.system.submit(document)
        await eventually(
            lambda: _attempted(fed.system, sent["id"]), timeout=30, what="a failed attempt"
        )
        await fed.far.start()
        await eventually(
            lambda: _relayed(fed.system, sent["id"], "relayed"), timeout=60, what="relayed"
        )
        await eventually(lambda: _inbox_has(fed.far_agency, 1), timeout=30)
        [item] = await fed.far_agency.inbox()
        assert await fed.far_agency.get(f"/api/v1/messages/{item['id']}") == (200, document)


async def _inbox_has(agency: Agency, count: int, kind: str = "edoc") -> bool:
    return len(await agency.inbox(kind)) == count


async def _attempted(agency: Agency, message_id: str) -> bool:
    rows = await agency.tracking(message_id)
    return bool(rows) and rows[0]["attempts"] >= 1 and bool(rows[0]["last_error"])


async def _far_state(far: Axis, message_id: str, state: str) -> bool:
    found = await far.fetchval(
        "SELECT transport_state FROM deliveries WHERE message_id = $1", message_id
    )
    return bool(found == state)
