"""A far VXP platform for the VXP peer's tests: a real ``axis serve`` on a database of its own.

The far axis's VXP surface stands in for the national platform. Its
registry holds the near axis's system (``NEAR_SYSTEM``: the agency whose
system id and secret the near axis's peer presents) and a pull agency of its
own (``FAR_AGENCY``); both trust the session CA, as the near axis does.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from axis.registry.agencies import AgencyCredentials, Registry
from axis.registry.peers import Peer, PeerProtocol
from axis.registry.routes import PeerPattern
from axis.registry.secret_box import secret_box_for
from axis.settings import Settings
from axis.storage.database import create_pool
from tests.support.agencies import certificate_pem, trust_test_ca
from tests.support.databases import with_database
from tests.support.processes import TEST_SECRET_KEY, ServerProcess, free_port, start_server

NEAR_SYSTEM = "000.00.00.H40"
FAR_AGENCY = "000.00.00.G22"
PEER = "national"


@dataclass
class FarPlatform:
    database_url: str
    log_dir: Path
    port: int
    system: AgencyCredentials
    agency: AgencyCredentials
    server: ServerProcess | None = None
    starts: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def vxp_url(self) -> str:
        return self.base_url + "/vxp"

    async def start(self) -> None:
        self.starts += 1
        self.server = start_server(
            ["--database-url", self.database_url],
            self.log_dir / f"far-{self.starts}.log",
            port=self.port,
        )
        await asyncio.to_thread(self.server.wait_ready)

    def stop(self) -> None:
        if self.server is not None:
            assert self.server.stop(signal.SIGTERM) == 0
            self.server = None

    async def submit(self, data: bytes) -> dict[str, Any]:
        """``FAR_AGENCY`` submits through the far axis's native API."""
        headers = {
            "Authorization": f"Bearer {self.agency.secret}",
            "Content-Type": "application/xml",
        }
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.base_url + "/api/v1/messages", data=data, headers=headers) as answer,
        ):
            body: dict[str, Any] = await answer.json()
            assert answer.status == 202, body
            return body

    async def fetch(self, message_id: str) -> bytes:
        """What ``FAR_AGENCY`` reads of a message through the native API."""
        headers = {"Authorization": f"Bearer {self.agency.secret}"}
        url = f"{self.base_url}/api/v1/messages/{message_id}"
        async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as answer:
            assert answer.status == 200, await answer.text()
            return await answer.read()

    async def rows(self, query: str, *arguments: object) -> list[asyncpg.Record]:
        connection = await asyncpg.connect(self.database_url)
        try:
            return list(await connection.fetch(query, *arguments))
        finally:
            await connection.close()


@pytest.fixture
async def far_database_url(server_url: str, template_database: str) -> AsyncIterator[str]:
    name = f"axis_far_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    finally:
        await admin.close()
    try:
        yield with_database(server_url, name)
    finally:
        admin = await asyncpg.connect(server_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture
def far_logs(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "far"
    directory.mkdir()
    yield directory


@pytest.fixture
async def far(far_database_url: str, far_logs: Path) -> AsyncIterator[FarPlatform]:
    pool = await create_pool(far_database_url, 2)
    try:
        await trust_test_ca(pool)
        registry = Registry(pool, secret_box_for(Settings(secret_key=TEST_SECRET_KEY)))
        system = await registry.add(
            NEAR_SYSTEM, "UBND tỉnh H40", certificates=[certificate_pem(NEAR_SYSTEM)], actor="test"
        )
        agency = await registry.add(
            FAR_AGENCY, "Bộ G22", certificates=[certificate_pem(FAR_AGENCY)], actor="test"
        )
    finally:
        await pool.close()
    platform = FarPlatform(far_database_url, far_logs, free_port(), system, agency)
    await platform.start()
    try:
        yield platform
    finally:
        with contextlib.suppress(AssertionError):
            platform.stop()


def vxp_peer(far: FarPlatform, *, secret: str | None = None) -> Peer:
    """The near axis's peer for the far platform, as the registry would load it."""
    return Peer(
        name=PEER,
        url=far.vxp_url,
        protocol=PeerProtocol.VXP,
        system_id=far.system.system_id,
        patterns=(PeerPattern.parse("*"),),
        outbound_secret=secret if secret is not None else far.system.secret,
        directory_synced_at=None,
    )
