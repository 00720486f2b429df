"""People: argon2id hashes, sign-in, lock-out, audit, and ``axis user add``."""

from __future__ import annotations

import io
import json
import sys

import asyncpg
import pytest

from axis.accounts import users
from axis.cli import main
from axis.registry.agencies import Registry
from axis.registry.secret_box import SecretBox
from axis.storage import database
from tests.support.processes import TEST_SECRET_KEY, run_axis


@pytest.fixture
async def pool(database_url: str):  # type: ignore[no-untyped-def]
    pool = await database.create_pool(database_url, 4)
    registry = Registry(pool, SecretBox.from_passphrase(TEST_SECRET_KEY))
    await registry.add("000.00.01.H53", "Văn phòng Bộ")
    yield pool
    await pool.close()


async def test_a_clerk_signs_in_with_the_right_password(pool: asyncpg.Pool) -> None:
    await users.add_user(pool, "vanthu", "clerk", "mat-khau-1", organ_id="000.00.01.H53")
    user = await users.authenticate(pool, "vanthu", "mat-khau-1")
    assert user == users.User("vanthu", "clerk", "000.00.01.H53")
    stored = await pool.fetchval("SELECT password_hash FROM users WHERE username = 'vanthu'")
    assert stored.startswith("$argon2id$")
    assert "mat-khau-1" not in stored


async def test_a_wrong_password_is_refused_in_vietnamese(pool: asyncpg.Pool) -> None:
    await users.add_user(pool, "vanthu", "clerk", "mat-khau-1", organ_id="000.00.01.H53")
    with pytest.raises(users.SignInRefused) as refused:
        await users.authenticate(pool, "vanthu", "sai-mat-khau")
    assert refused.value.message == "Tên đăng nhập hoặc mật khẩu không đúng."
    with pytest.raises(users.SignInRefused) as unknown:
        await users.authenticate(pool, "khong-co", "sai-mat-khau")
    assert unknown.value.message == refused.value.message


async def test_five_failures_make_their_source_wait_even_for_the_right_password(
    pool: asyncpg.Pool,
) -> None:
    await users.add_user(pool, "vanhanh", "operator", "mat-khau-1")
    for _ in range(users.MAX_FAILURES - 1):
        with pytest.raises(users.SignInRefused) as refused:
            await users.authenticate(pool, "vanhanh", "sai")
        assert not isinstance(refused.value, users.AccountLocked)
    with pytest.raises(users.AccountLocked):
        await users.authenticate(pool, "vanhanh", "sai")
    with pytest.raises(users.AccountLocked):
        await users.authenticate(pool, "vanhanh", "mat-khau-1")
    actions = [
        row["action"]
        for row in await pool.fetch("SELECT action FROM audit_log WHERE subject = 'vanhanh'")
    ]
    assert actions.count("user.sign_in_failed") == users.MAX_FAILURES + 1
    assert "user.locked" in actions
    # After the wait the right password works again.
    await pool.execute("UPDATE sign_in_failures SET next_attempt_at = now() - interval '1 second'")
    assert (await users.authenticate(pool, "vanhanh", "mat-khau-1")).is_operator


async def test_a_stranger_cannot_lock_a_clerk_out_of_her_own_address(pool: asyncpg.Pool) -> None:
    """Failures slow down the (user name, source) that sends them, with waits that double."""
    await users.add_user(pool, "vanthu", "clerk", "mat-khau-1", organ_id="000.00.01.H53")
    for _ in range(users.MAX_FAILURES):
        with pytest.raises(users.SignInRefused):
            await users.authenticate(pool, "vanthu", "doan-bua", source="203.0.113.9")
    with pytest.raises(users.AccountLocked):
        await users.authenticate(pool, "vanthu", "mat-khau-1", source="203.0.113.9")
    # The clerk at her own desk signs in as ever.
    user = await users.authenticate(pool, "vanthu", "mat-khau-1", source="10.0.0.7")
    assert user.username == "vanthu"
    waits = []
    for _ in range(3):
        await pool.execute("UPDATE sign_in_failures SET next_attempt_at = now()")
        with pytest.raises(users.AccountLocked):
            await users.authenticate(pool, "vanthu", "doan-bua", source="203.0.113.9")
        waits.append(
            await pool.fetchval(
                "SELECT extract(epoch FROM next_attempt_at - last_failure_at)::float8 "
                "FROM sign_in_failures WHERE source = '203.0.113.9'"
            )
        )
    assert [round(wait) for wait in waits] == [
        round(users.FIRST_WAIT_SECONDS * 2**n) for n in (1, 2, 3)
    ]
    # Unknown names are slowed down alike, so the wait tells nothing.
    for _ in range(users.MAX_FAILURES):
        with pytest.raises(users.SignInRefused):
            await users.authenticate(pool, "khong-co", "x", source="203.0.113.9")
    with pytest.raises(users.AccountLocked):
        await users.authenticate(pool, "khong-co", "x", source="203.0.113.9")


async def test_users_are_checked_before_they_are_stored(pool: asyncpg.Pool) -> None:
    with pytest.raises(users.UserError, match="--organ-id"):
        await users.add_user(pool, "a", "clerk", "mat-khau-1")
    with pytest.raises(users.UserError, match="whole axis"):
        await users.add_user(pool, "a", "operator", "mat-khau-1", organ_id="000.00.01.H53")
    with pytest.raises(users.UserError, match="No agency"):
        await users.add_user(pool, "a", "clerk", "mat-khau-1", organ_id="000.00.09.H53")
    with pytest.raises(users.UserError, match="too short"):
        await users.add_user(pool, "a", "operator", "ngan")
    await users.add_user(pool, "a", "operator", "mat-khau-1")
    with pytest.raises(users.UserExists):
        await users.add_user(pool, "a", "operator", "mat-khau-1")


async def test_cli_adds_a_clerk_from_stdin(
    pool: asyncpg.Pool,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("mat-khau-cli\n"))
    code = await _run_main(
        ["user", "add", "vanthu2", "--role", "clerk", "--organ-id", "000.00.01.H53",
         "--password-stdin", "--database-url", database_url, "--json"]
    )  # fmt: skip
    assert code == 0
    assert json.loads(capsys.readouterr().out) == {
        "username": "vanthu2", "role": "clerk", "organ_id": "000.00.01.H53"
    }  # fmt: skip
    assert (await users.authenticate(pool, "vanthu2", "mat-khau-cli")).organ_id == "000.00.01.H53"


async def _run_main(argv: list[str]) -> int:
    # main() runs its own event loop; keep it off the test's loop.
    import asyncio

    return await asyncio.to_thread(main, argv)


def test_cli_subprocess_refuses_without_password_stdin(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = run_axis(["user", "add", "x", "--role", "operator", "--data-dir", str(tmp_path)])
    assert result.returncode == 2
    assert "--password-stdin" in result.stderr
    assert "Traceback" not in result.stderr


async def test_cli_subprocess_adds_an_operator(pool: asyncpg.Pool, database_url: str) -> None:
    import asyncio
    import subprocess

    from tests.support.processes import axis_command

    process = await asyncio.to_thread(
        subprocess.run,
        axis_command("user", "add", "vanhanh", "--role", "operator", "--password-stdin",
                     "--database-url", database_url),
        input="mat-khau-van-hanh\n", capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert process.returncode == 0, process.stderr
    assert "added operator vanhanh" in process.stdout
    assert (await users.authenticate(pool, "vanhanh", "mat-khau-van-hanh")).is_operator
