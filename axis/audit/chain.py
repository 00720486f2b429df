"""The audit log: append-only and hash-chained.

Each row's hash is SHA-256 over the previous row's hash and the row's own
content, so changing or removing any row breaks every link after it.
Appenders serialise on a transaction-scoped advisory lock; callers append
inside the transaction that does the work being recorded, so the record
and the work commit (or vanish) together. Batches take the lock once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from axis.storage import sql
from axis.storage.database import Connection

GENESIS_HASH = bytes(32)
_CHAIN_LOCK_KEY = 0x61786973_61756474  # "axisaudt"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    actor: str
    action: str
    subject: str
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ChainReport:
    rows_checked: int
    first_broken_id: int | None
    reason: str

    @property
    def intact(self) -> bool:
        return self.first_broken_id is None


def _row_hash(
    previous_hash: bytes, at: datetime, actor: str, action: str, subject: str, detail: Any
) -> bytes:
    content = json.dumps(
        [at.isoformat(), actor, action, subject, detail],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(previous_hash + content.encode()).digest()


async def append(connection: Connection, *entries: AuditEntry) -> None:
    """Appends entries in order; call inside the transaction doing the work."""
    await append_many(connection, entries)


async def append_many(connection: Connection, entries: Sequence[AuditEntry]) -> None:
    if not entries:
        return
    await connection.execute(sql.query("lock_audit_chain"), _CHAIN_LOCK_KEY)
    previous = await connection.fetchval(sql.query("last_audit_hash")) or GENESIS_HASH
    rows = []
    at = datetime.now(UTC)
    for entry in entries:
        detail = json.loads(json.dumps(dict(entry.detail), default=str))
        digest = _row_hash(previous, at, entry.actor, entry.action, entry.subject, detail)
        rows.append((entry.actor, entry.action, entry.subject, detail, previous, digest))
        previous = digest
    # One INSERT from arrays rather than one execution per row: a batch of intake
    # writes audits 10-100 rows at once, under the chain's lock.
    columns = [list(column) for column in zip(*rows, strict=True)]
    await connection.execute(sql.query("insert_audit_rows"), at, *columns)


async def verify_chain(connection: Connection, batch_size: int = 5000) -> ChainReport:
    """Walks the whole chain; names the first row that was changed or removed.

    Ids may have gaps (a rolled-back transaction still uses up its ids); only
    the hash links decide.
    """
    previous = GENESIS_HASH
    checked = 0
    last_id = 0
    while True:
        rows = await connection.fetch(sql.query("audit_rows_after"), last_id, batch_size)
        if not rows:
            return ChainReport(checked, None, "the audit chain is intact")
        for row in rows:
            if bytes(row["previous_hash"]) != previous:
                return ChainReport(
                    checked,
                    row["id"],
                    f"audit row {row['id']} does not follow the row before it "
                    "(a row before it was changed or removed)",
                )
            expected = _row_hash(
                previous, row["at"], row["actor"], row["action"], row["subject"], row["detail"]
            )
            if bytes(row["hash"]) != expected:
                return ChainReport(
                    checked, row["id"], f"audit row {row['id']} was changed after it was written"
                )
            previous = expected
            checked += 1
            last_id = row["id"]
