"""Every tampering with sealed entries is found: edited, inserted, reordered, deleted."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from axis.audit import chain as audit
from axis.audit import sealer
from axis.storage.database import Connection, connect
from tests.axis.audit.chains import chain_ids, tamper, write_entries


@pytest.fixture
async def sealed(database_url: str) -> AsyncIterator[tuple[Connection, list[int]]]:
    connection = await connect(database_url)
    try:
        await write_entries(connection, 6)
        assert await sealer.seal_pending(connection) == 6
        # Two more, not sealed yet: lag, not breakage.
        await write_entries(connection, 2, prefix="later")
        yield connection, await chain_ids(connection)
    finally:
        await connection.close()


async def _report(connection: Connection) -> audit.ChainReport:
    return await audit.verify_chain(connection)


async def test_an_untouched_chain_is_intact_and_reports_its_lag(
    sealed: tuple[Connection, list[int]],
) -> None:
    connection, _ = sealed
    report = await _report(connection)
    assert report.intact and report.rows_checked == 6
    assert report.unsealed == 2 and report.oldest_unsealed_age is not None
    assert await sealer.seal_pending(connection) == 2
    report = await _report(connection)
    assert report.intact and report.rows_checked == 8 and report.unsealed == 0


async def test_an_edited_entry_is_named(
    database_url: str, sealed: tuple[Connection, list[int]]
) -> None:
    connection, ids = sealed
    await tamper(
        database_url, ("UPDATE audit_log SET detail = '{\"n\": 9}' WHERE id = $1", (ids[3],))
    )
    report = await _report(connection)
    assert report.first_broken_id == ids[3] and "was changed" in report.reason


async def test_an_entry_slipped_in_behind_the_chain_is_named(
    database_url: str, sealed: tuple[Connection, list[int]]
) -> None:
    connection, ids = sealed
    # With the transaction id of sealed entries and an id before theirs, as if
    # it had always been there.
    await tamper(
        database_url,
        (
            "INSERT INTO audit_log (id, xact, actor, action, subject) "
            "SELECT $1, xact, 'intruder', 'user.add', 'forged' FROM audit_log WHERE id = $2",
            (0, ids[2]),
        ),
    )
    report = await _report(connection)
    assert report.first_broken_id == 0 and "not in the chain" in report.reason


async def test_a_forged_seal_inserted_in_the_chain_breaks_the_link_after_it(
    database_url: str, sealed: tuple[Connection, list[int]]
) -> None:
    connection, ids = sealed
    row = await connection.fetchrow(
        "SELECT s.hash, e.xact FROM audit_seals s JOIN audit_log e ON e.id = s.entry_id "
        "WHERE position = 3"
    )
    assert row is not None
    forged = {
        "id": 999_999, "at": (await connection.fetchval("SELECT now()")), "actor": "intruder",
        "action": "user.add", "subject": "forged", "detail": {}, "legacy": False,
    }  # fmt: skip
    forged_hash = audit.entry_hash(bytes(row["hash"]), forged)
    await tamper(
        database_url,
        ("UPDATE audit_seals SET position = -position WHERE position > 3", ()),
        ("UPDATE audit_seals SET position = 1 - position WHERE position < 0", ()),
        (
            "INSERT INTO audit_log (id, at, xact, actor, action, subject) "
            "VALUES ($1, $2, $3::xid8, 'intruder', 'user.add', 'forged')",
            (999_999, forged["at"], row["xact"]),
        ),
        (
            "INSERT INTO audit_seals (position, entry_id, previous_hash, hash) "
            "VALUES (4, 999999, $1, $2)",
            (bytes(row["hash"]), forged_hash),
        ),
    )
    report = await _report(connection)
    assert report.first_broken_id == ids[3] and "does not follow" in report.reason


async def test_swapped_entries_are_found(
    database_url: str, sealed: tuple[Connection, list[int]]
) -> None:
    connection, ids = sealed
    # The seals swapped: the chain now lists ids[2] after ids[1]'s place.
    await tamper(
        database_url,
        ("UPDATE audit_seals SET position = -position WHERE position IN (2, 3)", ()),
        ("UPDATE audit_seals SET position = 5 + position WHERE position IN (-2, -3)", ()),
    )
    report = await _report(connection)
    assert report.first_broken_id == ids[2] and "does not follow" in report.reason


async def test_swapped_entry_ids_are_found(
    database_url: str, sealed: tuple[Connection, list[int]]
) -> None:
    connection, ids = sealed
    # Content moved between ids, each seal still naming its old id.
    await tamper(
        database_url,
        ("UPDATE audit_log SET id = -id WHERE id IN ($1, $2)", (ids[1], ids[2])),
        ("UPDATE audit_log SET id = $1 WHERE id = $2", (ids[1], -ids[2])),
        ("UPDATE audit_log SET id = $1 WHERE id = $2", (ids[2], -ids[1])),
    )
    report = await _report(connection)
    assert report.first_broken_id == ids[1] and "was changed" in report.reason


async def test_a_deleted_entry_breaks_the_link_after_it(
    database_url: str, sealed: tuple[Connection, list[int]]
) -> None:
    connection, ids = sealed
    await tamper(database_url, ("DELETE FROM audit_log WHERE id = $1", (ids[4],)))
    report = await _report(connection)
    assert report.first_broken_id == ids[5] and "does not follow" in report.reason


async def test_an_entry_deleted_with_its_seal_breaks_the_link_after_it(
    database_url: str, sealed: tuple[Connection, list[int]]
) -> None:
    connection, ids = sealed
    await tamper(
        database_url,
        ("DELETE FROM audit_seals WHERE entry_id = $1", (ids[1],)),
        ("DELETE FROM audit_log WHERE id = $1", (ids[1],)),
    )
    report = await _report(connection)
    assert report.first_broken_id == ids[2] and "does not follow" in report.reason


async def test_a_removed_seal_leaves_its_entry_behind_the_chain(
    database_url: str, sealed: tuple[Connection, list[int]]
) -> None:
    connection, ids = sealed
    # Renumbered to hide the gap; the link after it still breaks.
    await tamper(
        database_url,
        ("DELETE FROM audit_seals WHERE entry_id = $1", (ids[2],)),
        ("UPDATE audit_seals SET position = position - 1 WHERE position > 3", ()),
    )
    report = await _report(connection)
    assert report.first_broken_id == ids[3] and "does not follow" in report.reason
