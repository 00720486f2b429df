"""Purging a month's bodies: only what the policy lets go, only what a bundle holds.

A body goes when its message is settled, its policy's days have passed,
no legal hold covers it, and (unless told ``without_archive``) the month's
bundle, verified again here, holds it with the same sha256. Metadata,
statuses, deliveries and the audit chain stay, so tracking, the pages,
statistics and ``axis audit verify`` are untouched; a fetch of a purged
body answers 410 ``message.purged`` naming the purge's bundle.

When every body of a month that has its own partition goes, the partition
is dropped; otherwise (bodies in the partition of the rows from before
partitioning, or some kept) they are removed in batches of
:data:`BATCH`, each its own short transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from axis.audit.chain import AuditEntry, append
from axis.errors import AxisError
from axis.retention import bundle, holds
from axis.retention.months import Month
from axis.retention.policy import Policy
from axis.storage import sql
from axis.storage.database import Connection, Pool
from axis.vocabulary import AuditAction

logger = logging.getLogger(__name__)

BATCH = 1000


class PurgeRefused(AxisError):
    """The month's bodies cannot be purged."""

    code = "retention.purge_refused"


@dataclass(frozen=True, slots=True)
class Candidate:
    message_id: str
    sha256: str
    due_at: datetime | None  # None: not settled yet


@dataclass(frozen=True, slots=True)
class Plan:
    month: Month
    purge: tuple[str, ...]
    held: tuple[str, ...]
    unsettled: tuple[str, ...]
    not_due: tuple[str, ...]
    next_due_at: datetime | None
    # When the last body not yet due will be: from then the month goes in one purge.
    ripe_at: datetime | None

    @property
    def everything(self) -> bool:
        return not (self.held or self.unsettled or self.not_due)


@dataclass(frozen=True, slots=True)
class Purged:
    month: str
    bodies: int
    body_bytes: int
    bundle: str | None
    kept_held: int
    kept_unsettled: int
    kept_not_due: int
    dropped_partition: bool


async def candidates(connection: Connection, month: Month, policy: Policy) -> list[Candidate]:
    """The month's messages that still hold a body, with when each may go."""
    rows = await connection.fetch(
        sql.query("retention_purge_candidates"), month.low_id, month.high_id
    )
    return [
        Candidate(
            row["id"],
            bytes(row["sha256"]).hex(),
            policy.body_due(row["kind"], row["sender_id"], row["settled_at"])
            if row["settled"]
            else None,
        )
        for row in rows
    ]


def plan(month: Month, found: list[Candidate], held: frozenset[str], now: datetime) -> Plan:
    purge, kept_held, unsettled, not_due = [], [], [], []
    later: list[datetime] = []
    for candidate in found:
        if candidate.due_at is None:
            unsettled.append(candidate.message_id)
        elif candidate.message_id in held:
            kept_held.append(candidate.message_id)
        elif candidate.due_at > now:
            not_due.append(candidate.message_id)
            later.append(candidate.due_at)
        else:
            purge.append(candidate.message_id)
    return Plan(
        month, tuple(purge), tuple(kept_held), tuple(unsettled), tuple(not_due),
        min(later, default=None), max(later, default=None),
    )  # fmt: skip


async def plan_month(pool: Pool, month: Month, policy: Policy, now: datetime) -> Plan:
    async with pool.acquire() as connection:
        found = await candidates(connection, month, policy)
        held = await holds.held_messages(connection) if found else frozenset()
    return plan(month, found, held, now)


def _check_bundle(
    verified: bundle.VerifiedBundle, month: Month, found: list[Candidate], purge: tuple[str, ...]
) -> None:
    if verified.month != str(month):
        raise PurgeRefused(f"The bundle is of {verified.month}, not of {month}.")
    archived = verified.body_hashes()
    digests = {c.message_id: c.sha256 for c in found}
    for message_id in purge:
        if archived.get(message_id) != digests[message_id]:
            raise PurgeRefused(
                f"The bundle does not hold the body of message {message_id} as stored: "
                "export the month again before purging it."
            )


async def _bundle_id(pool: Pool, verified: bundle.VerifiedBundle) -> int:
    row = await pool.fetchrow(sql.query("retention_bundle_by_manifest"), verified.manifest_sha256)
    if row is None:
        raise PurgeRefused(
            "The bundle verifies, but this axis has no record of exporting it: "
            "purge with a bundle this axis wrote."
        )
    return int(row["id"])


async def purge_month(
    pool: Pool,
    month: Month,
    policy: Policy,
    *,
    now: datetime,
    actor: str,
    bundle_path: Path | None,
    without_archive: bool = False,
) -> Purged:
    """Purges what the policy lets go of the month; refuses without a verified bundle."""
    if not month.is_over(now):
        raise PurgeRefused(f"The month {month} is not over: nothing of it is purged.")
    if bundle_path is None and not without_archive:
        raise PurgeRefused(
            f"The month {month} has no verified bundle: export it (axis archive export) "
            "and purge with --bundle, or purge --without-archive to lose the bodies."
        )
    verified = None if bundle_path is None else bundle.verify(bundle_path)
    async with pool.acquire() as connection:
        found = await candidates(connection, month, policy)
        held = await holds.held_messages(connection)
    decided = plan(month, found, held, now)
    bundle_id = None
    if verified is not None:
        _check_bundle(verified, month, found, decided.purge)
        bundle_id = await _bundle_id(pool, verified)
    return await _carry_out(pool, decided, bundle_id, verified, now=now, actor=actor)


async def _drop_partition_if_whole(pool: Pool, decided: Plan) -> int | None:
    """Drops the month's own partition when every body of the month goes; the bytes
    it held, or None if it was not dropped."""
    if not decided.everything:
        return None
    month = decided.month
    name = await pool.fetchval(sql.query("retention_month_partition"), month.partition_name)
    if name is None:
        return None
    async with pool.acquire() as connection, connection.transaction():
        if await _held_now(connection):
            return None  # a hold came meanwhile: the batches keep what it covers
        size = await connection.fetchval(
            sql.query("retention_month_piece_bytes"), month.low_id, month.high_id
        )
        await connection.execute(sql.query("retention_drop_body_partition"), name)
    return int(size)


async def _held_now(connection: Connection) -> frozenset[str]:
    """The held set, with new holds kept out until this transaction ends: a hold
    placed after the purge was planned still keeps its bodies."""
    await connection.execute(sql.query("retention_lock_holds"))
    return await holds.held_messages(connection)


async def _remove(pool: Pool, ids: tuple[str, ...]) -> tuple[int, int, int]:
    """Removes the bodies of ``ids`` in batches; (removed, bytes, kept by a new hold)."""
    removed = size = kept = 0
    for start in range(0, len(ids), BATCH):
        async with pool.acquire() as connection, connection.transaction():
            held = await _held_now(connection)
            batch = [i for i in ids[start : start + BATCH] if i not in held]
            kept += min(BATCH, len(ids) - start) - len(batch)
            size += int(await connection.fetchval(sql.query("retention_remove_bodies"), batch))
            removed += len(batch)
    return removed, size, kept


async def _carry_out(
    pool: Pool,
    decided: Plan,
    bundle_id: int | None,
    verified: bundle.VerifiedBundle | None,
    *,
    now: datetime,
    actor: str,
) -> Purged:
    # The purge is on record before any body goes, so a fetch never finds a
    # body gone without a purge to name, even if this run stops half way.
    purge_id = await pool.fetchval(
        sql.query("retention_start_purge"), str(decided.month), bundle_id, now
    )
    dropped = await _drop_partition_if_whole(pool, decided)
    removed, size, newly_held = await _remove(pool, decided.purge)
    result = Purged(
        str(decided.month), removed, size + (dropped or 0),
        None if verified is None else verified.path.name,
        len(decided.held) + newly_held, len(decided.unsettled), len(decided.not_due),
        dropped is not None,
    )  # fmt: skip
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(
            sql.query("retention_finish_purge"), purge_id, result.bodies, result.body_bytes,
            result.kept_held, result.kept_unsettled,
        )  # fmt: skip
        await append(connection, _audit_entry(result, actor))
    logger.info("month purged", extra={"month": result.month, "bodies": result.bodies})
    return result


def _audit_entry(result: Purged, actor: str) -> AuditEntry:
    return AuditEntry(
        actor,
        AuditAction.RETENTION_PURGE,
        result.month,
        {
            "bodies": result.bodies,
            "body_bytes": result.body_bytes,
            "bundle": result.bundle,
            "kept_held": result.kept_held,
            "kept_unsettled": result.kept_unsettled,
            "kept_not_due": result.kept_not_due,
            "without_archive": result.bundle is None,
        },
    )
