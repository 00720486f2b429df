"""``axis archive restore``: a purged month's bodies back, for an inquiry.

Only a bundle this axis wrote is restored: it must verify, be signed by this
axis's key, and its chain segment must be this database's chain. Bodies go
back only where a body is missing and the message's recorded sha256 is the
bundle's, so a restore never overwrites anything; a bundle none of whose
bodies is missing is refused, and so is one naming messages this database
does not have.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from axis.audit.chain import AuditEntry, append
from axis.errors import AxisError
from axis.retention import bundle
from axis.storage import sql
from axis.storage.database import Connection, Pool
from axis.vocabulary import AuditAction
from signing.seal import SealKey

logger = logging.getLogger(__name__)

BATCH = 500


class RestoreRefused(AxisError):
    """The bundle cannot be restored here."""

    code = "archive.restore_refused"


@dataclass(frozen=True, slots=True)
class Restored:
    month: str
    bodies: int
    body_bytes: int
    already_held: int


async def _check_chain(connection: Connection, verified: bundle.VerifiedBundle) -> None:
    """The segment's seals must be this database's seals at the same positions."""
    chain = bundle.chain_of(verified.path)
    for entry in chain["entries"][:1] + chain["entries"][-1:]:
        seal = await connection.fetchrow(sql.query("retention_seal_at"), entry["position"])
        if seal is None or bytes(seal["hash"]).hex() != entry["hash"]:
            raise RestoreRefused(
                f"The bundle's audit chain is not this axis's chain (the seal at position "
                f"{entry['position']} differs): the bundle is from another axis or database."
            )


async def _missing_bodies(connection: Connection, expected: dict[str, str]) -> tuple[set[str], int]:
    rows = await connection.fetch(sql.query("retention_restore_targets"), list(expected))
    found = {row["id"]: row for row in rows}
    unknown = sorted(set(expected) - set(found))
    if unknown:
        raise RestoreRefused(
            f"The bundle names messages this database does not have (such as {unknown[0]}): "
            "it is not restored here."
        )
    missing, held = set(), 0
    for message_id, digest in expected.items():
        row = found[message_id]
        if bytes(row["sha256"]).hex() != digest:
            raise RestoreRefused(
                f"Message {message_id} is recorded with another sha256 than the bundle's body."
            )
        if row["has_body"]:
            held += 1
        else:
            missing.add(message_id)
    return missing, held


async def restore(pool: Pool, path: Path, key: SealKey, *, now: datetime, actor: str) -> Restored:
    verified = bundle.verify(path)
    if verified.key_fingerprint != key.fingerprint:
        raise RestoreRefused(
            f"The bundle was signed by another axis (key {verified.key_fingerprint[:16]}…, "
            f"this axis {key.fingerprint[:16]}…): it is not restored here."
        )
    async with pool.acquire() as connection:
        await _check_chain(connection, verified)
        missing, held = await _missing_bodies(connection, verified.body_hashes())
    if not missing:
        raise RestoreRefused(
            f"Every body of {verified.month} in the bundle is already held here: "
            "a restore never overwrites, so there is nothing to do."
        )
    restored, size = await _put_back(pool, path, missing)
    async with pool.acquire() as connection, connection.transaction():
        await append(
            connection,
            AuditEntry(actor, AuditAction.RETENTION_RESTORE, verified.month,
                       {"bundle": path.name, "bodies": restored, "at": now.isoformat()}),
        )  # fmt: skip
    logger.info("month restored", extra={"month": verified.month, "bodies": restored})
    return Restored(verified.month, restored, size, held)


async def _put_back(pool: Pool, path: Path, missing: set[str]) -> tuple[int, int]:
    restored = size = 0
    pending: list[tuple[str, bytes]] = []
    for message_id, body in bundle.bodies(path):
        if message_id in missing:
            pending.append((message_id, body))
        if len(pending) >= BATCH:
            size += await _write(pool, pending)
            restored += len(pending)
            pending = []
    if pending:
        size += await _write(pool, pending)
        restored += len(pending)
    return restored, size


async def _write(pool: Pool, pending: list[tuple[str, bytes]]) -> int:
    async with pool.acquire() as connection, connection.transaction():
        await connection.executemany(sql.query("retention_put_back_body"), pending)
    return sum(len(body) for _, body in pending)
