"""Dead deliveries through the library and the ``axis delivery`` commands."""

from __future__ import annotations

import asyncio
import json
import os

import asyncpg
import pytest

from axis.cli import main
from axis.delivery import dead_letters
from axis.storage.database import Pool
from tests.support.deliveries import add_agency, add_delivery, delivery_state
from tests.support.processes import run_axis
from tests.support.runtimes import RuntimeFactory


@pytest.fixture
async def dead_delivery(
    make_runtime: RuntimeFactory, connection: asyncpg.Connection
) -> tuple[str, int]:
    runtime = make_runtime()
    await add_agency(runtime.registry, "sender.gov")
    await add_agency(runtime.registry, "receiver.gov", "http://127.0.0.1:9/none")
    message_id, delivery_id = await add_delivery(
        connection, "sender.gov", "receiver.gov", state="dead"
    )
    await connection.execute(
        "UPDATE deliveries SET attempts = 7, last_error = 'HTTP 400 Bad Request' WHERE id = $1",
        delivery_id,
    )
    await add_delivery(connection, "sender.gov", "receiver.gov", state="queued")
    return message_id, delivery_id


async def test_list_shows_only_dead_by_default(pool: Pool, dead_delivery: tuple[str, int]) -> None:
    message_id, delivery_id = dead_delivery
    rows = await dead_letters.list_deliveries(pool)
    assert [(row.id, row.message_id, row.attempts) for row in rows] == [
        (delivery_id, message_id, 7)
    ]
    assert len(await dead_letters.list_deliveries(pool, None)) == 2


async def test_retry_requeues_keeps_attempts_and_audits(
    pool: Pool, connection: asyncpg.Connection, dead_delivery: tuple[str, int]
) -> None:
    message_id, delivery_id = dead_delivery
    await dead_letters.retry(pool, delivery_id, actor="op-lan")
    row = await delivery_state(connection, delivery_id)
    assert row["transport_state"] == "queued" and row["attempts"] == 7
    audit = await connection.fetchrow(
        "SELECT actor, subject, detail FROM audit_log WHERE action = 'delivery.retry'"
    )
    assert audit is not None
    assert audit["actor"] == "op-lan" and audit["subject"] == message_id
    with pytest.raises(dead_letters.DeliveryNotDead):
        await dead_letters.retry(pool, delivery_id)


async def test_discard_and_unknown_ids(
    pool: Pool, connection: asyncpg.Connection, dead_delivery: tuple[str, int]
) -> None:
    _, delivery_id = dead_delivery
    await dead_letters.discard(pool, delivery_id)
    assert (await delivery_state(connection, delivery_id))["transport_state"] == "discarded"
    assert await dead_letters.list_deliveries(pool) == []
    assert (
        await connection.fetchval(
            "SELECT count(*) FROM audit_log WHERE action = 'delivery.discard'"
        )
        == 1
    )
    with pytest.raises(dead_letters.DeliveryNotFound):
        await dead_letters.discard(pool, 999_999)


async def test_cli_list_retry_discard(
    database_url: str,
    connection: asyncpg.Connection,
    dead_delivery: tuple[str, int],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AXIS_SECRET_KEY", "delivery-test-key")
    _, delivery_id = dead_delivery

    # main() runs its own event loop; the test's loop is busy, so run it in a thread.
    def run(*argv: str) -> int:
        return main([*argv, "--database-url", database_url])

    assert await asyncio.to_thread(run, "delivery", "list", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [item["id"] for item in listed["items"]] == [delivery_id]

    assert await asyncio.to_thread(run, "delivery", "discard", str(delivery_id)) == 0
    assert f"delivery {delivery_id} is discarded" in capsys.readouterr().out
    assert await asyncio.to_thread(run, "delivery", "retry", str(delivery_id)) == 2
    assert "not dead" in capsys.readouterr().err


async def test_cli_retry_in_a_real_process(
    database_url: str, connection: asyncpg.Connection, dead_delivery: tuple[str, int]
) -> None:
    _, delivery_id = dead_delivery
    environment = {"AXIS_DATABASE_URL": database_url, "PATH": os.environ.get("PATH", "")}
    done = await asyncio.to_thread(
        run_axis, ["delivery", "retry", str(delivery_id), "--json"], environment
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"id": delivery_id, "transport_state": "queued"}
    assert (await delivery_state(connection, delivery_id))["transport_state"] == "queued"
    missing = await asyncio.to_thread(run_axis, ["delivery", "discard", "424242"], environment)
    assert missing.returncode == 2
    assert missing.stderr.strip() == "axis: No delivery has id 424242."
