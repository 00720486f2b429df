"""Agencies in transition (issue #14 item 3): unsigned envelopes sealed, never signed.

Off by default; per agency, with an end date; after it the agency is refused
like anyone else. A signed envelope is verified as usual whatever the policy.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from axis.intake.service import Accepted, Refusal
from axis.registry import transition
from signing.seal import SEALED_ALGORITHM, SealKey, SealMismatch, verify_seal
from tests.support.envelopes import Broker, document, document_id_of, open_broker, status

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def _with_placeholder_signature(data: bytes) -> bytes:
    """The shape today's agency systems write: a ``Signature`` in the edXML namespace,
    with a placeholder value, as the last child of edXMLHeader."""
    end = b"</edXML:edXMLHeader>"
    placeholder = b"<edXML:Signature><edXML:SignatureValue>PLACEHOLDER</edXML:SignatureValue>"
    assert data.count(end) == 1
    return data.replace(end, placeholder + b"</edXML:Signature>" + end)


# A new document from G22 to H41 and H53, as those systems send it.
PLACEHOLDER = _with_placeholder_signature((SAMPLES / "document-new-unsigned.edxml").read_bytes())
SENDER = "000.00.00.G22"
NGHE_AN = "000.00.00.H41"
TAY_NINH = "000.00.00.H53"


@pytest.fixture
async def broker(database_url: str, tmp_path: Path, seal_key: SealKey) -> AsyncIterator[Broker]:
    async with open_broker(database_url, seal_key_file=tmp_path / "seal.key") as opened:
        await opened.add(SENDER)
        await opened.add(NGHE_AN)
        await opened.add(TAY_NINH, endpoint_url="http://127.0.0.1:9/inbox")
        yield opened


async def _submit(broker: Broker, organ_id: str, data: bytes) -> Accepted:
    agency = await broker.runtime.registry.require(organ_id)
    return await broker.runtime.intake.submit(agency, data)


async def _refusal(broker: Broker, organ_id: str, data: bytes) -> Refusal:
    with pytest.raises(Refusal) as caught:
        await _submit(broker, organ_id, data)
    return caught.value


async def _let_in(broker: Broker, organ_id: str, days: int = 30) -> None:
    await transition.set_transition(
        broker.pool, organ_id, transition.today() + timedelta(days=days), actor="test"
    )


async def _stored(broker: Broker, message_id: str) -> tuple[str, str | None]:
    row = await broker.pool.fetchrow(
        "SELECT m.signature_algorithm, s.seal FROM messages m"
        " LEFT JOIN message_seals s ON s.message_id = m.id WHERE m.id = $1",
        message_id,
    )
    assert row is not None
    return row["signature_algorithm"], row["seal"]


async def test_off_by_default_unsigned_is_refused_with_a_hint_naming_the_policy(
    broker: Broker,
) -> None:
    missing = await _refusal(broker, SENDER, document(SENDER, [NGHE_AN]))
    assert missing.code == "signature.missing"
    assert "transition policy" in missing.message
    assert "--transition-until" in missing.message
    misplaced = await _refusal(broker, SENDER, PLACEHOLDER)
    assert misplaced.code == "signature.misplaced"
    assert "transition policy" in misplaced.message
    assert await broker.pool.fetchval("SELECT count(*) FROM messages") == 0


async def test_a_transition_agency_placeholder_envelope_is_sealed_never_signed(
    broker: Broker, seal_key: SealKey
) -> None:
    await _let_in(broker, SENDER)
    accepted = await _submit(broker, SENDER, PLACEHOLDER)
    assert accepted.created and accepted.recipients == (NGHE_AN, TAY_NINH)
    algorithm, seal = await _stored(broker, accepted.id)
    assert algorithm == SEALED_ALGORITHM
    assert seal is not None
    body = await broker.pool.fetchval(
        "SELECT string_agg(content, ''::bytea ORDER BY part) FROM message_bodies"
        " WHERE message_id = $1",
        accepted.id,
    )
    assert bytes(body) == PLACEHOLDER  # the bytes are never changed
    claims = verify_seal(seal, PLACEHOLDER, seal_key.certificate)
    assert (claims.agency, claims.channel, claims.authenticated_by) == (SENDER, "api", "bearer")
    assert (claims.message_id, claims.xml_signature) == (accepted.id, "placeholder")
    with pytest.raises(SealMismatch):
        verify_seal(seal, PLACEHOLDER + b" ", seal_key.certificate)


async def test_no_signature_at_all_is_sealed_too_and_a_repeat_keeps_one_seal(
    broker: Broker,
) -> None:
    await _let_in(broker, SENDER)
    data = document(SENDER, [NGHE_AN])
    first = await _submit(broker, SENDER, data)
    again = await _submit(broker, SENDER, data)
    assert first.created and not again.created and again.id == first.id
    assert await broker.pool.fetchval("SELECT count(*) FROM message_seals") == 1


async def test_after_the_end_date_it_is_refused_like_anyone_else(broker: Broker) -> None:
    await _let_in(broker, SENDER, days=0)
    assert (await _submit(broker, SENDER, document(SENDER, [NGHE_AN]))).created  # last day
    await _let_in(broker, SENDER, days=-1)
    refusal = await _refusal(broker, SENDER, document(SENDER, [NGHE_AN]))
    assert refusal.code == "signature.missing"
    assert "that period has ended" in refusal.message
    placeholder = await _refusal(broker, SENDER, PLACEHOLDER)
    assert placeholder.code == "signature.misplaced"
    recorded = await broker.pool.fetch("SELECT code FROM refusals ORDER BY id")
    assert [row["code"] for row in recorded][-2:] == ["signature.missing", "signature.misplaced"]


async def test_ending_the_transition_refuses_again(broker: Broker) -> None:
    await _let_in(broker, SENDER)
    assert await transition.clear_transition(broker.pool, SENDER)
    refusal = await _refusal(broker, SENDER, document(SENDER, [NGHE_AN]))
    assert refusal.code == "signature.missing" and "transition policy" in refusal.message


async def test_signed_wins_a_transition_agency_signed_envelope_is_verified_as_usual(
    broker: Broker,
) -> None:
    await _let_in(broker, SENDER)
    signed = broker.agencies[SENDER].sign(document(SENDER, [NGHE_AN]))
    accepted = await _submit(broker, SENDER, signed)
    algorithm, seal = await _stored(broker, accepted.id)
    assert algorithm.endswith("rsa-sha256") and seal is None
    # A signature that does not verify is refused, not sealed instead.
    tampered = signed.replace(b"V/v th", b"V/v Th")
    assert (await _refusal(broker, SENDER, tampered)).code == "signature.digest_mismatch"


async def test_a_transition_agency_is_still_only_itself(broker: Broker) -> None:
    await _let_in(broker, NGHE_AN)
    refusal = await _refusal(broker, NGHE_AN, document(SENDER, [TAY_NINH]))
    assert refusal.code == "sender.mismatch"


async def test_a_sealed_message_resubmitted_by_another_agency_never_becomes_signed(
    broker: Broker, seal_key: SealKey
) -> None:
    await _let_in(broker, SENDER)
    original = document(SENDER, [NGHE_AN])
    await _submit(broker, SENDER, original)
    # Nghệ An fetched it and submits it again: unsigned, so refused unless it too is
    # in transition (the axis's seal is not an XML signature and never counts as one).
    refused = await _refusal(broker, NGHE_AN, original)
    assert refused.code == "signature.missing"
    await _let_in(broker, NGHE_AN)
    # In transition, the same bytes are still the Government Office's, not its own.
    assert (await _refusal(broker, NGHE_AN, original)).code == "sender.mismatch"
    # Rewritten as its own envelope, it is its own unsigned envelope: sealed as Nghệ An's.
    own = original.replace(
        f"<From><OrganId>{SENDER}</OrganId>".encode(),
        f"<From><OrganId>{NGHE_AN}</OrganId>".encode(),
    ).replace(
        f"<To><OrganId>{NGHE_AN}</OrganId>".encode(), f"<To><OrganId>{TAY_NINH}</OrganId>".encode()
    )
    accepted = await _submit(broker, NGHE_AN, own)
    algorithm, seal = await _stored(broker, accepted.id)
    assert algorithm == SEALED_ALGORITHM and seal is not None
    assert verify_seal(seal, own, seal_key.certificate).agency == NGHE_AN


async def test_a_transition_agency_receipt_is_sealed(broker: Broker) -> None:
    data = broker.agencies[SENDER].sign(document(SENDER, [NGHE_AN]))
    await _submit(broker, SENDER, data)
    await _let_in(broker, NGHE_AN)
    receipt = await _submit(broker, NGHE_AN, status(NGHE_AN, SENDER, document_id_of(data), "01"))
    algorithm, seal = await _stored(broker, receipt.id)
    assert algorithm == SEALED_ALGORITHM and seal is not None


async def test_the_policy_only_lets_in_registered_agencies(broker: Broker) -> None:
    with pytest.raises(transition.TransitionNotFound):
        await transition.set_transition(broker.pool, "999.99.99.Z99", transition.today())
