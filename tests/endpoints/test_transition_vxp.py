"""A transition agency on the VXP surface: today's SDK files, authenticated by HMAC alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web

from axis.registry import transition
from endpoints.application import build_application
from signing.seal import SEALED_ALGORITHM, SealKey, verify_seal
from tests.support.envelopes import Broker, open_broker
from tests.support.processes import free_port
from tests.support.vxp_client import VxpService

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def _with_placeholder_signature(data: bytes) -> bytes:
    """The shape today's agency systems write: a ``Signature`` in the edXML namespace,
    with a placeholder value, as the last child of edXMLHeader."""
    end = b"</edXML:edXMLHeader>"
    placeholder = b"<edXML:Signature><edXML:SignatureValue>PLACEHOLDER</edXML:SignatureValue>"
    assert data.count(end) == 1
    return data.replace(end, placeholder + b"</edXML:Signature>" + end)


# A new document from G22 to H41 and H53, as those systems send it.
PLACEHOLDER = _with_placeholder_signature((SAMPLES / "document-new-unsigned.edxml").read_bytes())
SENDER, FIRST, SECOND = "000.00.00.G22", "000.00.00.H41", "000.00.00.H53"
EDOC = {"from": SENDER, "servicetype": "eDoc", "messagetype": "edoc", "to": [FIRST, SECOND]}


@pytest.fixture
async def surface(
    database_url: str, tmp_path: Path, seal_key: SealKey
) -> AsyncIterator[tuple[Broker, str]]:
    async with open_broker(database_url, seal_key_file=tmp_path / "seal.key") as broker:
        for organ_id in (SENDER, FIRST, SECOND):
            await broker.add(organ_id)
        runner = web.AppRunner(build_application(broker.runtime))
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            yield broker, f"http://127.0.0.1:{port}/vxp"
        finally:
            await runner.cleanup()


async def test_a_real_sdk_file_from_a_transition_agency_is_sealed_over_vxp(
    surface: tuple[Broker, str], seal_key: SealKey
) -> None:
    broker, endpoint = surface
    agency = broker.agencies[SENDER]
    sdk = VxpService(endpoint, SENDER, agency.secret)
    refused = (await asyncio.to_thread(sdk.send_edoc, EDOC, PLACEHOLDER)).json()
    assert refused["status"] == "FAIL" and "transition policy" in refused["ErrorDesc"]
    await transition.set_transition(
        broker.pool, SENDER, transition.today() + timedelta(days=5), actor="test"
    )
    sent = (await asyncio.to_thread(sdk.send_edoc, EDOC, PLACEHOLDER)).json()
    assert sent["status"] == "OK", sent
    row = await broker.pool.fetchrow(
        "SELECT m.received_via, m.signature_algorithm, s.seal FROM messages m"
        " JOIN message_seals s ON s.message_id = m.id WHERE m.id = $1",
        sent["DocId"],
    )
    assert row is not None
    assert (row["received_via"], row["signature_algorithm"]) == ("vxp", SEALED_ALGORITHM)
    claims = verify_seal(row["seal"], PLACEHOLDER, seal_key.certificate)
    assert (claims.channel, claims.authenticated_by) == ("vxp", "vxp-hmac")
