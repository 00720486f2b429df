"""The audit log: append-only, and hash-chained by a sealer.

Callers append entries inside the transaction that does the work being
recorded, so the record and the work commit (or vanish) together. Appending
takes no lock and reads nothing: an entry goes in unchained, with the id of
the transaction that wrote it. The sealer (:mod:`axis.audit.sealer`, one at a
time across the fleet) then chains committed entries: each seal's hash is
SHA-256 over the previous seal's hash and its entry's content, so changing,
inserting, reordering or removing any sealed entry breaks every link after
it. :func:`verify_chain` walks the seals and reports how far sealing lags.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from axis.storage import sql
from axis.storage.database import Connection

GENESIS_HASH = bytes(32)


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
    # Entries committed but not sealed yet (not checked: nothing covers them yet).
    unsealed: int = 0
    oldest_unsealed_age: timedelta | None = None

    @property
    def intact(self) -> bool:
        return self.first_broken_id is None


def entry_hash(previous_hash: bytes, row: Mapping[str, Any]) -> bytes:
    """A seal's hash: over the previous hash and the entry's content.

    Entries sealed since the sealer came (they carry the writing transaction's
    id) bind their own id too, so renumbering entries breaks the chain; the
    chain written before keeps the form it was written with.
    """
    content: list[Any] = [row["at"].isoformat(), row["actor"], row["action"], row["subject"]]
    content.append(row["detail"])
    if not row["legacy"]:
        content.insert(0, row["id"])
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(previous_hash + text.encode()).digest()


async def append(connection: Connection, *entries: AuditEntry) -> None:
    """Appends entries in order; call inside the transaction doing the work."""
    await append_many(connection, entries)


async def append_many(connection: Connection, entries: Sequence[AuditEntry]) -> None:
    if not entries:
        return
    rows = [
        (e.actor, e.action, e.subject, json.loads(json.dumps(dict(e.detail), default=str)))
        for e in entries
    ]
    # One INSERT from arrays rather than one execution per row: a batch of intake
    # writes audits 10-100 rows at once.
    columns = [list(column) for column in zip(*rows, strict=True)]
    await connection.execute(sql.query("insert_audit_entries"), datetime.now(UTC), *columns)


@dataclass(slots=True)
class _Walk:
    previous: bytes = GENESIS_HASH
    position: int = 0
    checked: int = 0
    last_xact: int | None = None
    last_id: int | None = None


def _before(row: asyncpg.Record, walk: _Walk) -> bool:
    if walk.last_xact is None or walk.last_id is None:
        return False
    return (row["xact"], row["id"]) <= (walk.last_xact, walk.last_id)


def _check(walk: _Walk, row: asyncpg.Record) -> str | None:
    """Why this seal breaks the chain, or None; advances the walk when it holds."""
    if bytes(row["previous_hash"]) != walk.previous or row["position"] != walk.position + 1:
        return (
            f"audit row {row['id']} does not follow the row before it "
            "(a row before it was changed, inserted or removed)"
        )
    expected = entry_hash(walk.previous, dict(row))
    if bytes(row["hash"]) != expected:
        return f"audit row {row['id']} was changed after it was written"
    # The chain's order is (transaction, id): a seal out of it was moved.
    if not row["legacy"] and _before(row, walk):
        return f"audit row {row['id']} is out of the chain's order (entries were reordered)"
    walk.previous, walk.position = expected, row["position"]
    walk.checked += 1
    walk.last_xact, walk.last_id = row["xact"], row["id"]
    return None


async def verify_chain(connection: Connection, batch_size: int = 5000) -> ChainReport:
    """Walks the sealed chain; names the first entry that was tampered with.

    Entry ids may have gaps (a rolled-back transaction still uses up its ids)
    and the chain's order is the sealer's, not the ids'; only the seals'
    links decide. An unsealed entry behind the last sealed one was slipped in
    (or its seal removed); unsealed entries after it are the sealer's lag.
    """
    walk = _Walk()
    while True:
        rows = await connection.fetch(sql.query("audit_chain_after"), walk.position, batch_size)
        if not rows:
            break
        for row in rows:
            reason = _check(walk, row)
            if reason is not None:
                return ChainReport(walk.checked, row["id"], reason)
    unsealed = await connection.fetchrow(sql.query("audit_unsealed"), walk.last_xact, walk.last_id)
    assert unsealed is not None
    if unsealed["first_behind"] is not None:
        return ChainReport(
            walk.checked,
            unsealed["first_behind"],
            f"audit row {unsealed['first_behind']} is not in the chain although entries "
            "after it are (it was inserted afterwards, or its seal was removed)",
        )
    oldest = unsealed["oldest_waiting_at"]
    return ChainReport(
        walk.checked,
        None,
        "the audit chain is intact",
        unsealed=unsealed["waiting"],
        oldest_unsealed_age=None if oldest is None else unsealed["now"] - oldest,
    )
