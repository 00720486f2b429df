"""What a hop refuses, and what the origin sees of a refusal further on (issue #16)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
from cryptography.hazmat.primitives import serialization

from axis.client.agency_client import AgencyClient
from axis.registry import trust as trust_admin
from signing import CertificateAuthority, sign
from signing.credentials import cached_key
from tests.axis.federation.test_relay_road import READER_B, SENDER_A, signed, state_is, tracked
from tests.support.envelopes import document
from tests.support.federation import NATION, PROVINCE_A, federation
from tests.support.waiting import eventually


async def _hop(
    base_url: str, secret: str, body: bytes, *, recipients: str, path: str, origin_id: str = "m1"
) -> tuple[int, dict[str, Any]]:
    headers = {
        "Authorization": f"Bearer {secret}",
        "Content-Type": "application/xml",
        "X-Axis-Origin": PROVINCE_A,
        "X-Axis-Origin-Message-Id": origin_id,
        "X-Axis-Recipients": recipients,
        "X-Axis-Path": path,
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(base_url + "/api/v1/relay", data=body, headers=headers) as answer,
    ):
        return answer.status, await answer.json(content_type=None)


async def test_a_hop_is_refused_for_a_wrong_bearer_a_foreign_sender_and_a_loop(
    server_url: str, template_database: str, tmp_path: Path
) -> None:
    async with federation(server_url, template_database, tmp_path) as fed:
        await fed.b.register(READER_B)
        secret = await fed.a.outbound_secret(NATION)
        body = signed(document(SENDER_A, [READER_B]), SENDER_A)

        status, problem = await _hop(
            fed.nation.base_url, "not-a-peer", body, recipients=READER_B, path=PROVINCE_A
        )
        assert (status, problem["code"]) == (401, "auth.invalid")

        # Province A serves *.*.*.H40 at the nation: it may not relay for an H53 sender.
        foreign = signed(document("000.00.09.H53", [READER_B]), "000.00.09.H53")
        status, problem = await _hop(
            fed.nation.base_url, secret, foreign, recipients=READER_B, path=PROVINCE_A
        )
        assert (status, problem["code"]) == (403, "relay.sender_not_served")

        status, problem = await _hop(
            fed.nation.base_url, secret, body, recipients=READER_B, path=f"{PROVINCE_A},{NATION}"
        )
        assert (status, problem["code"]) == (508, "relay.loop")
        too_long = ",".join(f"axis-{n}" for n in range(9))
        status, problem = await _hop(
            fed.nation.base_url, secret, body, recipients=READER_B, path=too_long
        )
        assert (status, problem["code"]) == (508, "relay.loop")

        # The hop itself, twice: 202, then 200 with the same body.
        first = await _hop(fed.nation.base_url, secret, body, recipients=READER_B, path=PROVINCE_A)
        again = await _hop(fed.nation.base_url, secret, body, recipients=READER_B, path=PROVINCE_A)
        assert first[0] == 202 and again[0] == 200
        assert first[1] == again[1]
        hops = await fed.nation.fetchval("SELECT count(*) FROM relay_hops")
        assert hops == 1


async def test_an_untrusted_signature_at_the_far_end_makes_the_origin_delivery_dead(
    server_url: str, template_database: str, tmp_path: Path
) -> None:
    """A and the nation trust a second CA that B does not: B refuses, A's tracking says why."""
    other_ca = CertificateAuthority.create(name="a CA only province A and the nation trust")
    credential = other_ca.issue(SENDER_A, key=cached_key("rsa", 901))
    ca_pem = other_ca.certificate.public_bytes(serialization.Encoding.PEM)
    async with federation(server_url, template_database, tmp_path, start=False) as fed:
        for axis in (fed.a, fed.nation):
            await trust_admin.add_trust_certificate(axis.pool, ca_pem, actor="test")
        sender = await fed.a.runtime.registry.add(
            SENDER_A, "Sender", certificates=[
                credential.certificate.public_bytes(serialization.Encoding.PEM)
            ], actor="test",
        )  # fmt: skip
        await fed.b.register(READER_B)
        for axis in fed.axes:
            await axis.start()
        body = sign(document(SENDER_A, [READER_B]), credential.private_key, credential.certificate)
        async with AgencyClient(fed.a.base_url, sender.secret) as client:
            sent = await client.send(body)
            dead = state_is(client, sent.id, READER_B, "dead")
            await eventually(dead, timeout=30, what="dead at the origin")
            row = await tracked(client, sent.id, READER_B)
            assert row["via"] == NATION
            assert "certificate.untrusted" in (row["last_error"] or "")
