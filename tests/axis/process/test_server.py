"""``axis serve`` as a real process: start-up, readiness, shutdown, restarts."""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.support.processes import http_status, run_axis, start_server


def _postgres_running_in(directory: Path) -> bool:
    found = subprocess.run(
        ["pgrep", "-f", f"postgres -D {directory.resolve()}"], capture_output=True, check=False
    )
    return found.returncode == 0


def test_serves_health_and_readiness_against_external_database(
    database_url: str, tmp_path: Path
) -> None:
    server = start_server(["--database-url", database_url], tmp_path / "serve.log")
    try:
        server.wait_ready()
        assert http_status(server.base_url + "/healthz") == 200
        assert http_status(server.base_url + "/readyz") == 200
        assert server.base_url in server.log()
    finally:
        assert server.stop(signal.SIGTERM) == 0
    assert "stopped" in server.log()


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Outside pytest's tmp_path: pytest keeps /tmp/pytest-of-<user> at mode 0700,
    # which the embedded server's own system user (when run as root) cannot enter.
    directory = Path(tempfile.mkdtemp(prefix="axis-serve-", dir="/tmp"))
    try:
        yield directory / "data"
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def test_embedded_database_starts_survives_restart_and_stops(
    data_dir: Path, tmp_path: Path
) -> None:
    first = start_server(["--data-dir", str(data_dir)], tmp_path / "first.log")
    try:
        first.wait_ready()
        assert _postgres_running_in(data_dir / "postgres")
    finally:
        assert first.stop(signal.SIGINT) == 0
    assert not _postgres_running_in(data_dir / "postgres"), "embedded PostgreSQL left running"

    # The second start finds the same database: the instance id is unchanged.
    second = start_server(["--data-dir", str(data_dir)], tmp_path / "second.log")
    try:
        second.wait_ready()
        assert "applying migration" not in second.log()
    finally:
        assert second.stop(signal.SIGINT) == 0
    assert not _postgres_running_in(data_dir / "postgres")


def test_two_workers_share_one_port(database_url: str, tmp_path: Path) -> None:
    server = start_server(
        ["--database-url", database_url, "--workers", "2"], tmp_path / "workers.log"
    )
    try:
        server.wait_ready()
        statuses = {http_status(server.base_url + "/healthz") for _ in range(20)}
        assert statuses == {200}
        # A synchronous test: the deadline poll of tests.support.waiting, by hand.
        deadline = time.monotonic() + 10
        while (
            server.log().count("axis.process.server: serving") < 2 and time.monotonic() < deadline
        ):
            time.sleep(0.1)
        assert server.log().count("axis.process.server: serving") == 2
    finally:
        assert server.stop(signal.SIGTERM) == 0


def test_bad_port_is_one_sentence() -> None:
    result = run_axis(["serve"], {"AXIS_PORT": "abc"})
    assert result.returncode == 2
    assert result.stderr.strip() == "axis: Setting AXIS_PORT must be a whole number, not 'abc'."
    assert "Traceback" not in result.stderr


def test_unreachable_database_is_one_sentence() -> None:
    result = run_axis(["migrate"], {"AXIS_DATABASE_URL": "postgresql://axis@127.0.0.1:1/axis"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("axis: The database at postgresql://axis@127.0.0.1:1/axis")
    assert "cannot be reached" in lines[-1]
    assert "Traceback" not in result.stderr


async def test_migrate_command_applies_and_reports(
    empty_database_url: str,
) -> None:
    result = run_axis(["migrate", "--database-url", empty_database_url])
    assert result.returncode == 0, result.stderr
    assert "applied 0001_instance.sql" in result.stdout
    again = run_axis(["migrate", "--database-url", empty_database_url])
    assert again.returncode == 0
    assert "up to date" in again.stdout
    connection = await asyncpg.connect(empty_database_url)
    try:
        assert await connection.fetchval("SELECT count(*) FROM axis_instance") == 1
    finally:
        await connection.close()
