"""Helpers for the audit tests: write entries, tamper with the tables as an intruder would."""

from __future__ import annotations

import asyncpg

from axis.audit import chain as audit
from axis.storage.database import Connection


async def write_entries(connection: Connection, count: int, prefix: str = "s") -> None:
    async with connection.transaction():
        await audit.append_many(
            connection,
            [
                audit.AuditEntry("tester", "user.add", f"{prefix}{n}", {"n": n})
                for n in range(count)
            ],
        )


async def tamper(database_url: str, *statements: tuple[str, tuple[object, ...]]) -> None:
    """Runs statements with the append-only triggers off, as someone with the keys could."""
    connection = await asyncpg.connect(database_url)
    try:
        for table in ("audit_log", "audit_seals"):
            await connection.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        for statement, args in statements:
            await connection.execute(statement, *args)
        for table in ("audit_log", "audit_seals"):
            await connection.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    finally:
        await connection.close()


async def chain_ids(connection: Connection) -> list[int]:
    """Entry ids in the chain's order."""
    rows = await connection.fetch("SELECT entry_id FROM audit_seals ORDER BY position")
    return [row["entry_id"] for row in rows]
