"""Nothing accepted is lost: kill -9 of the server, and of the database, under load.

A real ``axis serve`` on its own embedded PostgreSQL takes a steady stream of
signed documents. The server is killed with SIGKILL mid-stream and started
again; later the database's postmaster is killed too. The sender resends
whatever got no answer, with identical bytes, as the VXP SDK does. At the end
every acknowledged submission is stored once, each recipient's inbox holds
each document exactly once, and the audit chain is intact.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from axis.client.agency_client import AgencyClient, ApiRefusal
from axis.runtime import open_runtime
from axis.settings import Settings
from axis.storage import database
from tests.support.agencies import credential_for, register_agency
from tests.support.envelopes import document
from tests.support.processes import (
    TEST_SECRET_KEY,
    ServerProcess,
    free_port,
    run_axis,
    start_server,
)
from tests.support.waiting import eventually

SENDER = "000.00.00.G31"
RECIPIENTS = ("000.00.00.H31", "000.00.00.H32")
DOCUMENTS = 240


@dataclass
class Ledger:
    """What the sender knows: answered submissions, and those still in doubt."""

    accepted: dict[str, str] = field(default_factory=dict)  # DocumentId -> message id
    in_doubt: dict[str, bytes] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
async def data_dir() -> AsyncIterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="axis-crash-", dir="/tmp"))
    try:
        yield folder / "data"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _kill_postmaster(data_dir: Path) -> None:
    pid = int((data_dir / "postgres" / "postmaster.pid").read_text().splitlines()[0])
    os.kill(pid, signal.SIGKILL)


async def _submit_all(
    base_url: str, secret: str, envelopes: dict[str, bytes], ledger: Ledger
) -> None:
    async def one(client: AgencyClient, document_id: str, body: bytes) -> None:
        try:
            submission = await client.send(body)
        except (TimeoutError, aiohttp.ClientError, OSError, ApiRefusal) as error:
            ledger.in_doubt[document_id] = body
            ledger.errors.append(repr(error))
            return
        ledger.in_doubt.pop(document_id, None)
        previous = ledger.accepted.setdefault(document_id, submission.id)
        assert previous == submission.id, "a resend created a second document"

    async with AgencyClient(base_url, secret, timeout=10) as client:
        items = list(envelopes.items())
        for offset in range(0, len(items), 8):
            await asyncio.gather(
                *(one(client, key, body) for key, body in items[offset : offset + 8])
            )


async def _until_accepted(ledger: Ledger, count: int) -> None:
    await eventually(
        lambda: len(ledger.accepted) >= count, timeout=10, what=f"{count} submissions accepted"
    )


async def test_accepted_documents_survive_kill_9_of_server_and_database(
    data_dir: Path, tmp_path: Path
) -> None:
    # The servers started below get TEST_SECRET_KEY; the registry must agree.
    settings = Settings(data_dir=data_dir, secret_key=TEST_SECRET_KEY)
    async with database.database_url(settings) as url:
        migrated = run_axis(["migrate", "--data-dir", str(data_dir)])
        assert migrated.returncode == 0, migrated.stderr
        pool = await database.create_pool(url, 2)
        runtime = open_runtime(settings, pool)
        sender = await register_agency(runtime, SENDER)
        recipients = [await register_agency(runtime, organ_id) for organ_id in RECIPIENTS]
        await pool.close()

    credential = credential_for(SENDER)
    from signing import sign

    envelopes: dict[str, bytes] = {}
    for index in range(DOCUMENTS):
        document_id = f"{SENDER},2026/11/21,{index}/CRASH"
        body = document(SENDER, list(RECIPIENTS), document_id=document_id, payload=os.urandom(2000))
        envelopes[document_id] = sign(body, credential.private_key, credential.certificate)
    batches = [
        dict(list(envelopes.items())[i : i + DOCUMENTS // 4])
        for i in range(0, DOCUMENTS, DOCUMENTS // 4)
    ]

    port = free_port()
    environment = {"AXIS_LOG_LEVEL": "WARNING"}
    ledger = Ledger()

    def start(name: str) -> ServerProcess:
        server = start_server(
            ["--data-dir", str(data_dir)], tmp_path / f"{name}.log", environment, port=port
        )
        server.wait_ready()
        return server

    server = start("first")
    await _submit_all(server.base_url, sender.secret, batches[0], ledger)
    # Crash the server in the middle of a batch.
    submitting = asyncio.create_task(
        _submit_all(server.base_url, sender.secret, batches[1], ledger)
    )
    await _until_accepted(ledger, len(ledger.accepted) + 15)
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    await submitting
    interrupted_by_server_crash = len(ledger.in_doubt)

    server = start("second")
    await _submit_all(server.base_url, sender.secret, batches[2], ledger)
    # Crash the database under load, then the server, and start again.
    submitting = asyncio.create_task(
        _submit_all(server.base_url, sender.secret, batches[3], ledger)
    )
    await _until_accepted(ledger, len(ledger.accepted) + 15)
    _kill_postmaster(data_dir)
    await submitting
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    interrupted_by_database_crash = len(ledger.in_doubt) - interrupted_by_server_crash
    # Both crashes hit submissions in flight, or this test proved nothing.
    assert interrupted_by_server_crash > 0
    assert interrupted_by_database_crash > 0

    server = start("third")
    try:
        for _ in range(5):
            if not ledger.in_doubt:
                break
            await _submit_all(server.base_url, sender.secret, dict(ledger.in_doubt), ledger)
        assert ledger.in_doubt == {}, ledger.errors[-3:]
        assert len(ledger.accepted) == DOCUMENTS

        for recipient in recipients:
            seen: list[str] = []
            async with AgencyClient(server.base_url, recipient.secret) as client:
                cursor = None
                while True:
                    page = await client.inbox(kind="edoc", limit=100, cursor=cursor)
                    seen += [item["id"] for item in page["items"]]
                    cursor = page.get("next_cursor")
                    if not cursor:
                        break
            assert len(seen) == len(set(seen)), "a document appears twice in an inbox"
            assert set(seen) == set(ledger.accepted.values()), "an accepted document is missing"

        audit = run_axis(["audit", "verify", "--data-dir", str(data_dir)])
        assert audit.returncode == 0, audit.stdout + audit.stderr
    finally:
        assert server.stop(signal.SIGTERM) == 0
