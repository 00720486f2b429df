"""``axis audit verify``: an intact chain passes; a changed or removed row is named.

Entries are sealed before they are tampered with: an unsealed entry is not
in the chain yet (it shows as the sealer's lag).
"""

from __future__ import annotations

import asyncio
import json
import os

import asyncpg
import pytest

from axis.audit import chain as audit
from axis.audit import sealer
from axis.cli import main
from axis.storage.database import connect
from tests.support.processes import TEST_SECRET_KEY, run_axis


async def _write_chain(database_url: str, count: int) -> list[int]:
    connection = await connect(database_url)
    try:
        async with connection.transaction():
            await audit.append_many(
                connection,
                [audit.AuditEntry("tester", "user.add", f"s{n}", {"n": n}) for n in range(count)],
            )
        await sealer.seal_pending(connection)
        rows = await connection.fetch("SELECT id FROM audit_log ORDER BY id")
        return [row["id"] for row in rows]
    finally:
        await connection.close()


async def _tamper(database_url: str, statement: str, *args: object) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        await connection.execute(statement, *args)
        await connection.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
    finally:
        await connection.close()


def _verify(database_url: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    os.environ.setdefault("AXIS_SECRET_KEY", TEST_SECRET_KEY)
    code = main(["audit", "verify", "--database-url", database_url])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def test_an_intact_chain_verifies(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await _write_chain(database_url, 5)
    code, out, _ = await asyncio.to_thread(_verify, database_url, capsys)
    assert code == 0 and "intact" in out


async def test_a_changed_row_is_named(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = await _write_chain(database_url, 5)
    await _tamper(database_url, "UPDATE audit_log SET subject = 'forged' WHERE id = $1", ids[2])
    code, _, err = await asyncio.to_thread(_verify, database_url, capsys)
    assert code == 2
    assert f"audit row {ids[2]} was changed" in err


async def test_a_removed_row_is_named(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = await _write_chain(database_url, 5)
    await _tamper(database_url, "DELETE FROM audit_log WHERE id = $1", ids[1])
    code, _, err = await asyncio.to_thread(_verify, database_url, capsys)
    assert code == 2
    assert f"audit row {ids[2]} does not follow" in err


async def test_verify_in_a_real_process(database_url: str) -> None:
    ids = await _write_chain(database_url, 3)
    intact = await asyncio.to_thread(
        run_axis, ["audit", "verify", "--json", "--database-url", database_url]
    )
    assert intact.returncode == 0, intact.stderr
    assert '"intact": true' in intact.stdout
    await _tamper(database_url, "UPDATE audit_log SET detail = '{}' WHERE id = $1", ids[0])
    broken = await asyncio.to_thread(run_axis, ["audit", "verify", "--database-url", database_url])
    assert broken.returncode == 2
    assert f"audit row {ids[0]}" in broken.stderr and "Traceback" not in broken.stderr


async def test_verify_reports_how_far_sealing_lags(database_url: str) -> None:
    connection = await connect(database_url)
    try:
        async with connection.transaction():
            await audit.append(connection, audit.AuditEntry("tester", "user.add", "waiting"))
    finally:
        await connection.close()
    answer = await asyncio.to_thread(
        run_axis, ["audit", "verify", "--json", "--database-url", database_url]
    )
    assert answer.returncode == 0, answer.stderr
    report = json.loads(answer.stdout)
    assert report["intact"] and report["unsealed"] == 1
    assert report["oldest_unsealed_seconds"] >= 0
    text = await asyncio.to_thread(run_axis, ["audit", "verify", "--database-url", database_url])
    assert "1 entries wait to be sealed" in text.stdout
