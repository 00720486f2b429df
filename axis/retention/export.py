"""``axis archive export``: one month's bodies, manifest and chain segment, signed.

The month is read in one repeatable-read transaction, so the manifest, the
bodies and the chain segment describe one moment. Each body is checked
against the sha256 recorded at intake before it goes in: a body damaged in
storage is refused here, not archived as if it were the original. The file
is written under a temporary name and renamed when complete, so a crash
never leaves a half bundle under the real name.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import logging
import os
import tarfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg

from axis.audit.chain import AuditEntry, append
from axis.errors import AxisError
from axis.retention import bundle
from axis.retention.months import Month
from axis.storage import sql
from axis.storage.database import Connection, Pool
from axis.vocabulary import AuditAction
from signing.seal import SealKey

logger = logging.getLogger(__name__)


class ExportRefused(AxisError):
    """The month cannot be exported."""

    code = "archive.export_refused"


@dataclass(frozen=True, slots=True)
class Exported:
    path: Path
    month: str
    messages: int
    bodies: int
    body_bytes: int
    chain_entries: int
    manifest_sha256: bytes


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _add(archive: tarfile.TarFile, name: str, data: bytes, mtime: datetime) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(mtime.timestamp())
    info.mode = 0o444
    archive.addfile(info, io.BytesIO(data))


def _entry(row: asyncpg.Record, body_name: str | None) -> dict[str, Any]:
    return {
        "id": row["id"],
        "kind": row["kind"],
        "sender": row["sender_id"],
        "document_id": row["document_id"],
        "sha256": bytes(row["sha256"]).hex(),
        "size": row["size"],
        "received_at": _iso(row["accepted_at"]),
        "answers": row["answers_message_id"],
        "acts_on": row["acts_on_message_id"],
        "business_type": row["business_type"],
        "status_code": row["status_code"],
        "recipients": row["recipients"],
        "statuses": row["statuses"],
        "body": body_name,
    }


@dataclass(slots=True)
class _Totals:
    bodies: int = 0
    body_bytes: int = 0


async def _write_messages(
    connection: Connection, month: Month, archive: tarfile.TarFile, now: datetime
) -> tuple[list[dict[str, Any]], _Totals]:
    messages: list[dict[str, Any]] = []
    totals = _Totals()
    query = sql.query("retention_month_manifest")
    async for row in connection.cursor(query, month.low_id, month.high_id, prefetch=200):
        body_name = None
        if row["body"] is not None:
            body = bytes(row["body"])
            if hashlib.sha256(body).digest() != bytes(row["sha256"]):
                raise ExportRefused(
                    f"The stored body of message {row['id']} does not match the sha256 "
                    "recorded when it was accepted: storage is damaged; nothing was exported."
                )
            body_name = bundle.BODIES + row["id"]
            _add(archive, body_name, body, now)
            totals.bodies += 1
            totals.body_bytes += len(body)
        messages.append(_entry(row, body_name))
    return messages, totals


def _seal_row(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "position": row["position"],
        "previous_hash": bytes(row["previous_hash"]).hex(),
        "hash": bytes(row["hash"]).hex(),
        "id": row["id"],
        "legacy": row["legacy"],
        "at": row["at"].isoformat(),
        "actor": row["actor"],
        "action": row["action"],
        "subject": row["subject"],
        "detail": row["detail"],
    }


async def chain_segment(connection: Connection, month: Month) -> dict[str, Any]:
    """The sealed audit entries of the month, with the links to their neighbours."""
    span = await connection.fetchrow(
        sql.query("retention_chain_span"), month.starts_at, month.ends_at
    )
    assert span is not None
    if span["first"] is None:
        # Nothing sealed in the month: the segment is the link between neighbours.
        return {"before": {"position": 0, "hash": bytes(32).hex()}, "entries": [], "after": None}
    rows = await connection.fetch(sql.query("retention_chain_segment"), span["first"], span["last"])
    entries = [_seal_row(row) for row in rows]
    after = await connection.fetchrow(sql.query("retention_seal_at"), span["last"] + 1)
    return {
        "before": {"position": span["first"] - 1, "hash": entries[0]["previous_hash"]},
        "entries": entries,
        "after": None
        if after is None
        else {"position": after["position"], "previous_hash": bytes(after["previous_hash"]).hex()},
    }


async def _write(
    connection: Connection, month: Month, archive: tarfile.TarFile, key: SealKey, now: datetime
) -> Exported:
    messages, totals = await _write_messages(connection, month, archive, now)
    segment = await chain_segment(connection, month)
    chain = bundle.canonical(segment)
    manifest = bundle.canonical(
        {
            "format": bundle.FORMAT,
            "month": str(month),
            "key_fingerprint": key.fingerprint,
            "exported_at": now.isoformat(),
            "chain_sha256": hashlib.sha256(chain).hexdigest(),
            "messages": messages,
        }
    )
    _add(archive, bundle.CHAIN, chain, now)
    _add(archive, bundle.MANIFEST, manifest, now)
    signature = base64.b64encode(key.private_key.sign(manifest))
    _add(archive, bundle.SIGNATURE, signature, now)
    _add(archive, bundle.CERTIFICATE, key.certificate_pem(), now)
    return Exported(
        Path(), str(month), len(messages), totals.bodies, totals.body_bytes,
        len(segment["entries"]),
        hashlib.sha256(manifest).digest(),
    )  # fmt: skip


def _free_name(out_dir: Path, month: str) -> Path:
    """The bundle's file: a month exported again (after a partial purge) gets the next
    number, so an earlier bundle, which a purge may name, is never overwritten."""
    path = out_dir / bundle.bundle_name(month)
    number = 1
    while path.exists():
        number += 1
        path = out_dir / bundle.bundle_name(month, number)
    return path


async def export_month(
    pool: Pool, month: Month, out_dir: Path, key: SealKey, *, now: datetime, actor: str
) -> Exported:
    """Writes ``out_dir/axis-archive-YYYY-MM.tar``; refuses a month that is not over."""
    if not month.is_over(now):
        raise ExportRefused(
            f"The month {month} is still open (it ends {month.ends_at.isoformat()}): "
            "a bundle is written once the month is over."
        )
    await asyncio.to_thread(out_dir.mkdir, parents=True, exist_ok=True)
    final = _free_name(out_dir, str(month))
    partial = final.with_name(f".{final.name}.partial")
    async with pool.acquire() as connection:
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            with partial.open("wb") as file, tarfile.open(fileobj=file, mode="w:") as archive:
                written = await _write(connection, month, archive, key, now)
            with partial.open("rb+") as written_file:
                os.fsync(written_file.fileno())
        os.replace(partial, final)
        async with connection.transaction():
            await _record(connection, written, final, now, actor)
    logger.info("archive bundle written", extra={"month": str(month), "path": str(final)})
    return Exported(
        final, written.month, written.messages, written.bodies, written.body_bytes,
        written.chain_entries, written.manifest_sha256,
    )  # fmt: skip


async def _record(
    connection: Connection, written: Exported, final: Path, now: datetime, actor: str
) -> None:
    await connection.fetchval(
        sql.query("retention_record_bundle"), written.month, final.name,
        written.manifest_sha256, written.messages, written.body_bytes, now,
    )  # fmt: skip
    await append(
        connection,
        AuditEntry(
            actor,
            AuditAction.RETENTION_EXPORT,
            written.month,
            {
                "bundle": final.name,
                "messages": written.messages,
                "bodies": written.bodies,
                "manifest_sha256": written.manifest_sha256.hex(),
            },
        ),
    )
