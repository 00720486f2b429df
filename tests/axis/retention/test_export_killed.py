"""An export killed with SIGKILL half way leaves no bundle under the real name; the
next export writes a whole one (a real process, a real kill -9)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from axis.retention import bundle
from axis.retention.months import Month, message_id_at
from axis.storage.database import Pool
from signing.seal import SealKey
from tests.support.processes import REPOSITORY_ROOT, axis_command, run_axis
from tests.support.retention_data import RECIPIENT, SENDER, add_agencies
from tests.support.waiting import eventually

pytestmark = pytest.mark.slow

MONTH = Month(2025, 3)
COUNT = 4000
BODY = 64 * 1024  # enough bytes that the export takes a moment to write


async def _fill(pool: Pool) -> None:
    messages, deliveries = [], []
    for n in range(COUNT):
        at = MONTH.starts_at + timedelta(minutes=n)
        message_id = message_id_at(at, os.urandom(10).hex())
        body = message_id.encode() * (BODY // 32)
        digest = hashlib.sha256(body).digest()
        messages.append(
            (message_id, "edoc", SENDER, message_id, body, digest, len(body), "t", "rsa", at)
        )
        deliveries.append((message_id, RECIPIENT, "edoc", "pull", "acked", at, at, at, at))
    async with pool.acquire() as connection:
        await add_agencies(connection)
        await connection.copy_records_to_table(
            "messages", records=messages,
            columns=["id", "kind", "sender_id", "document_id", "body", "sha256", "size",
                     "signer_fingerprint", "signature_algorithm", "accepted_at"],
        )  # fmt: skip
        await connection.copy_records_to_table(
            "deliveries", records=deliveries,
            columns=["message_id", "recipient_id", "kind", "mode", "transport_state",
                     "created_at", "next_attempt_at", "delivered_at", "acked_at"],
        )  # fmt: skip


async def test_a_killed_export_leaves_no_bundle_and_the_next_one_is_whole(
    pool: Pool, database_url: str, tmp_path: Path, seal_key: SealKey
) -> None:
    await _fill(pool)
    out = tmp_path / "bundles"
    # The seal_key fixture wrote the key there; an external database needs it named.
    environment = {**os.environ, "AXIS_SEAL_KEY_FILE": str(tmp_path / "seal.key")}
    arguments = ["archive", "export", "--month", str(MONTH), "--out", str(out),
                 "--database-url", database_url]  # fmt: skip
    process = subprocess.Popen(
        axis_command(*arguments), env=environment, cwd=REPOSITORY_ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    partial = out / f".{bundle.bundle_name(str(MONTH))}.partial"
    try:
        await eventually(
            lambda: partial.exists() and partial.stat().st_size > 1024 * 1024,
            timeout=60, what="the export writing",
        )  # fmt: skip
        process.send_signal(signal.SIGKILL)
    finally:
        await asyncio.to_thread(process.wait)
    assert process.returncode == -signal.SIGKILL
    assert not (out / bundle.bundle_name(str(MONTH))).exists()
    with pytest.raises(bundle.BundleFault, match="truncated"):
        bundle.verify(partial)

    done = await asyncio.to_thread(
        run_axis, [*arguments, "--json"], {"AXIS_SEAL_KEY_FILE": str(tmp_path / "seal.key")},
        300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    verified = bundle.verify(out / bundle.bundle_name(str(MONTH)))
    assert verified.bodies == COUNT and verified.key_fingerprint == seal_key.fingerprint
    assert not partial.exists()
