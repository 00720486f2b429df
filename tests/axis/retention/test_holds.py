"""Legal holds: audited with a reason, refused on what does not exist, cascading."""

from __future__ import annotations

import pytest

from axis.audit.sealer import seal_pending
from axis.retention import holds
from axis.storage.database import Pool
from tests.support.retention_data import OTHER, RECIPIENT, add_agencies, add_message, utc

NOW = utc(2026, 3, 1)


async def test_a_hold_is_audited_with_its_reason_and_lifted_on_record(pool: Pool) -> None:
    async with pool.acquire() as connection:
        await add_agencies(connection)
        document = await add_message(connection, utc(2026, 1, 5))
    assert await holds.place(pool, document, "  Thanh tra 12/2026 ", "op", NOW)
    assert not await holds.place(pool, document, "again", "op", NOW)  # one active hold
    [hold] = await holds.active(pool)
    assert hold.message_id == document and hold.reason == "Thanh tra 12/2026"
    with pytest.raises(holds.HoldRefused, match="reason"):
        await holds.lift(pool, document, "  ", "op", NOW)
    await holds.lift(pool, document, "Closed", "op", NOW)
    assert await holds.active(pool) == []
    with pytest.raises(holds.HoldRefused, match="no hold"):
        await holds.lift(pool, document, "Closed", "op", NOW)
    async with pool.acquire() as connection:
        await seal_pending(connection)
        rows = await connection.fetch(
            "SELECT action, detail FROM audit_log WHERE subject = $1 ORDER BY id", document
        )
        kept = await connection.fetchval("SELECT count(*) FROM legal_holds")
    assert [(r["action"], r["detail"]["reason"]) for r in rows] == [
        ("retention.hold", "Thanh tra 12/2026"), ("retention.hold_lift", "Closed"),
    ]  # fmt: skip
    assert kept == 1


async def test_holds_on_unknown_documents_and_on_statuses_are_refused(pool: Pool) -> None:
    async with pool.acquire() as connection:
        await add_agencies(connection)
        document = await add_message(connection, utc(2026, 1, 5))
        answer = await add_message(
            connection, utc(2026, 1, 6), kind="status", answers=document, sender=RECIPIENT
        )
    with pytest.raises(holds.UnknownDocument, match="nothing to hold"):
        await holds.place(pool, "0190000000000000000000000000dead", "why", "op", NOW)
    with pytest.raises(holds.HoldRefused, match="is a status"):
        await holds.place(pool, answer, "why", "op", NOW)
    with pytest.raises(holds.HoldRefused, match="reason"):
        await holds.place(pool, document, "", "op", NOW)
    assert await holds.active(pool) == []


async def test_a_hold_covers_linked_documents_and_statuses_even_later_ones(pool: Pool) -> None:
    async with pool.acquire() as connection:
        await add_agencies(connection)
        original = await add_message(connection, utc(2026, 1, 5))
        update = await add_message(connection, utc(2026, 1, 6), acts_on=original)
        unrelated = await add_message(connection, utc(2026, 1, 6))
    await holds.place(pool, update, "Inquiry", "op", NOW)
    async with pool.acquire() as connection:
        # Arriving after the hold: a revocation of the original, and a status on it.
        revocation = await add_message(connection, utc(2026, 3, 2), acts_on=original)
        answer = await add_message(
            connection, utc(2026, 3, 3), kind="status", answers=revocation, sender=RECIPIENT,
            recipients={OTHER: "acked"},
        )  # fmt: skip
        covered = await holds.held_messages(connection)
    assert {original, update, revocation, answer} <= covered
    assert unrelated not in covered
