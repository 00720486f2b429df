"""The sealer chains every committed entry once, in an order commits cannot upset."""

from __future__ import annotations

import asyncio
import random

import pytest

from axis.audit import chain as audit
from axis.audit import sealer
from axis.storage import migrator
from axis.storage.database import Connection, connect, create_pool
from tests.axis.audit.chains import chain_ids, write_entries


async def _subjects_in_chain(connection: Connection) -> list[str]:
    rows = await connection.fetch(
        "SELECT e.subject FROM audit_seals s JOIN audit_log e ON e.id = s.entry_id "
        "ORDER BY s.position"
    )
    return [row["subject"] for row in rows]


async def test_an_entry_committed_later_with_a_lower_id_is_not_passed_by(
    database_url: str,
) -> None:
    early, late, sealing = [await connect(database_url) for _ in range(3)]
    try:
        slow = early.transaction()
        await slow.start()
        await audit.append(early, audit.AuditEntry("tester", "user.add", "first-id"))
        await write_entries(late, 1, prefix="committed-first")
        # The later id is committed, the earlier one is not: neither may be sealed yet,
        # or the earlier would land behind the chain.
        assert await sealer.seal_pending(sealing) == 0
        await slow.commit()
        assert await sealer.seal_pending(sealing) == 2
        assert await _subjects_in_chain(sealing) == ["first-id", "committed-first0"]
        assert (await audit.verify_chain(sealing)).intact
    finally:
        for connection in (early, late, sealing):
            await connection.close()


async def test_a_transaction_that_began_first_holds_sealing_back_until_it_ends(
    database_url: str,
) -> None:
    older, newer, sealing = [await connect(database_url) for _ in range(3)]
    try:
        first = older.transaction()
        await first.start()
        await older.fetchval("SELECT pg_current_xact_id()")  # has its transaction id
        await write_entries(newer, 2, prefix="newer")
        assert await sealer.seal_pending(sealing) == 0
        await audit.append(older, audit.AuditEntry("tester", "user.add", "older"))
        await first.commit()
        assert await sealer.seal_pending(sealing) == 3
        # The chain's order is the transactions' order, then the ids'.
        assert await _subjects_in_chain(sealing) == ["older", "newer0", "newer1"]
        assert (await audit.verify_chain(sealing)).intact
    finally:
        for connection in (older, newer, sealing):
            await connection.close()


async def test_rolled_back_entries_are_never_sealed(database_url: str) -> None:
    connection = await connect(database_url)
    try:
        rolled_back = connection.transaction()
        await rolled_back.start()
        await audit.append(connection, audit.AuditEntry("tester", "user.add", "vanished"))
        await rolled_back.rollback()
        await write_entries(connection, 1, prefix="kept")
        assert await sealer.seal_pending(connection) == 1
        assert await _subjects_in_chain(connection) == ["kept0"]
    finally:
        await connection.close()


async def test_concurrent_writers_and_two_sealers_seal_each_entry_once(database_url: str) -> None:
    pool = await create_pool(database_url, 10)
    writers, rounds = 6, 25
    stop = asyncio.Event()

    async def write(writer: int) -> None:
        for n in range(rounds):
            async with pool.acquire() as connection:
                transaction = connection.transaction()
                await transaction.start()
                entries = [
                    audit.AuditEntry("tester", "user.add", f"w{writer}-{n}-{k}")
                    for k in range(random.randint(1, 4))
                ]
                await audit.append_many(connection, entries)
                await asyncio.sleep(random.random() / 100)  # commits interleave
                if n % 7 == 3:
                    await transaction.rollback()
                else:
                    await transaction.commit()

    async def seal(name: str) -> None:
        # Two sealers at once, as if a lease had been lost: they must take turns.
        async with pool.acquire() as connection:
            while not stop.is_set():
                await sealer.seal_batch(connection, name, limit=7)
                await asyncio.sleep(0)

    sealers = [asyncio.create_task(seal(name)) for name in ("a", "b")]
    try:
        await asyncio.gather(*(write(w) for w in range(writers)))
    finally:
        stop.set()
        await asyncio.gather(*sealers)
    try:
        async with pool.acquire() as connection:
            await sealer.seal_pending(connection)
            committed = await connection.fetchval("SELECT count(*) FROM audit_log")
            ids = await chain_ids(connection)
            assert len(ids) == committed == len(set(ids))
            report = await audit.verify_chain(connection)
            assert report.intact and report.rows_checked == committed and report.unsealed == 0
            assert not await connection.fetchval(
                "SELECT count(*) FROM audit_log WHERE subject LIKE 'w%-3-%'"
            )
    finally:
        await pool.close()


def _legacy_hash(previous: bytes, row: dict[str, object]) -> bytes:
    return audit.entry_hash(previous, {**row, "legacy": True})


@pytest.mark.parametrize("legacy_rows", [0, 3])
async def test_a_chain_written_before_the_sealer_carries_on(
    empty_database_url: str, legacy_rows: int
) -> None:
    connection = await connect(empty_database_url)
    try:
        packaged = migrator.packaged_migrations()
        # Every migration before the one that took the chain off the commit path.
        unchained = next(m.version for m in packaged if "audit_unchained" in m.name)
        before = tuple(m for m in packaged if m.version < unchained)
        await migrator.migrate(connection, before)
        previous = audit.GENESIS_HASH
        for n in range(legacy_rows):  # as the lock-and-chain writer wrote them
            at = await connection.fetchval("SELECT now()")
            row = {"at": at, "actor": "old", "action": "user.add", "subject": f"o{n}",
                   "detail": {"n": n}, "id": 0}  # fmt: skip
            digest = _legacy_hash(previous, row)
            await connection.execute(
                "INSERT INTO audit_log (at, actor, action, subject, detail, previous_hash, hash) "
                "VALUES ($1, 'old', 'user.add', $2, $3, $4, $5)",
                at, f"o{n}", {"n": n}, previous, digest,
            )  # fmt: skip
            previous = digest
        await migrator.migrate(connection)
        assert (await audit.verify_chain(connection)).rows_checked == legacy_rows
        await write_entries(connection, 2, prefix="new")
        await sealer.seal_pending(connection)
        report = await audit.verify_chain(connection)
        assert report.intact and report.rows_checked == legacy_rows + 2
        if legacy_rows:
            await connection.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
            await connection.execute("UPDATE audit_log SET subject = 'x' WHERE subject = 'o1'")
            assert "was changed" in (await audit.verify_chain(connection)).reason
    finally:
        await connection.close()
