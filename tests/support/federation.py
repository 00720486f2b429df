"""Three real axes over loopback: province A, the nation, province B (issue #16).

Each axis is an ``axis serve`` process with its own database (cloned from
the session's migrated template on the test PostgreSQL server) and its own
``AXIS_NAME``; all three trust the session's test CA, so an envelope signed
by an agency of A verifies at the nation and at B exactly as at A. Peers are
wired the way an operator wires them: ``axis peer add`` on each side prints
the secret the other side then gives to ``axis peer set-secret``.

Once a peer's directory is synced, an axis refuses a recipient routed to it
that the copy lacks (federation.md, Routing), and each process syncs its
peers as it starts. So whenever a running member of the federation starts or
registers an agency, the harness syncs the running axes' copies as ``axis
peer sync`` does, the nation's first (it relays the provinces' agencies),
then the provinces': a test may register agencies and send at once.

    async with federation(server_url, template, tmp_path) as fed:
        sender = await fed.a.register(SENDER_A)
        reader = await fed.b.register(READER_B)
        ...

Routes: A and B each send everything they do not serve to the nation
(``--serves '*'``); the nation sends ``*.*.*.H40`` to A and ``*.*.*.H53`` to B.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from axis.registry.agencies import AgencyCredentials
from axis.registry.directory_sync import default_sources, sync_peer
from axis.runtime import Runtime, open_runtime
from axis.settings import Settings
from axis.storage import database
from axis.storage.database import Pool
from tests.support.agencies import register_agency, trust_test_ca
from tests.support.databases import with_database
from tests.support.processes import (
    TEST_SECRET_KEY,
    ServerProcess,
    free_port,
    run_axis,
    start_server,
)

PROVINCE_A = "province-a"
NATION = "nation"
PROVINCE_B = "province-b"
# The OrganIds each province serves: every unit whose last segment is its code.
A_PATTERN = "*.*.*.H40"
B_PATTERN = "*.*.*.H53"

# Short enough that a test waiting on a retry is quick.
AXIS_ENVIRONMENT = {"AXIS_LOG_LEVEL": "INFO", "AXIS_PUSH_TIMEOUT": "5"}


@dataclass
class Axis:
    """One axis of the federation: its process, database and an in-test runtime."""

    name: str
    database_url: str
    log_path: Path
    pool: Pool
    runtime: Runtime
    port: int = field(default_factory=free_port)
    process: ServerProcess | None = None
    environment: dict[str, str] = field(default_factory=dict)
    # Called once this axis started or registered an agency (the federation's
    # directory sync); None for an axis outside a federation.
    changed: Callable[[], Awaitable[None]] | None = None

    # Started and answering (a process still starting cannot be synced from).
    running: bool = False

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _environment(self) -> dict[str, str]:
        return {
            **AXIS_ENVIRONMENT,
            "AXIS_NAME": self.name,
            "AXIS_DATABASE_URL": self.database_url,
            **self.environment,
        }

    async def start(self) -> None:
        """Starts (or starts again) on the same port and database."""
        log = self.log_path.with_name(f"{self.log_path.stem}-{uuid.uuid4().hex[:6]}.log")
        self.process = start_server([], log, self._environment(), port=self.port)
        await asyncio.to_thread(self.process.wait_ready)
        self.running = True
        if self.changed is not None:
            await self.changed()

    async def stop(self, stop_signal: int = signal.SIGTERM) -> None:
        self.running = False
        if self.process is not None:
            await asyncio.to_thread(self.process.stop, stop_signal)
            self.process = None

    async def register(
        self, organ_id: str, *, endpoint_url: str | None = None
    ) -> AgencyCredentials:
        """Registers a local agency (trusting the test CA), as ``axis agency add`` would."""
        credentials = await register_agency(self.runtime, organ_id, endpoint_url=endpoint_url)
        if self.changed is not None:
            await self.changed()
        return credentials

    async def sync_from(self, peer_name: str) -> None:
        """Copies ``peer_name``'s directory now, as ``axis peer sync NAME`` does."""
        peer = await self.runtime.peers.require(peer_name)
        sources = default_sources(self.runtime.settings)
        await sync_peer(self.runtime.peers, peer, sources, own_name=self.name)

    def cli(self, *arguments: str) -> str:
        """Runs ``axis ARGUMENTS`` against this axis's database; its standard output."""
        done = run_axis(arguments, self._environment())
        if done.returncode != 0:
            raise AssertionError(f"axis {' '.join(arguments)} failed:\n{done.stderr}")
        return done.stdout

    async def peer_add(self, name: str, url: str, *serves: str) -> str:
        """``axis peer add NAME --url URL --serves P... --json``; the secret it printed."""
        arguments = ["peer", "add", name, "--url", url, "--json"]
        for pattern in serves:
            arguments += ["--serves", pattern]
        done = await asyncio.to_thread(run_axis, arguments, self._environment())
        if done.returncode != 0:
            raise AssertionError(f"axis peer add {name} failed:\n{done.stderr}")
        return str(json.loads(done.stdout)["secret"])

    async def peer_set_secret(self, name: str, secret: str) -> None:
        """``axis peer set-secret NAME SECRET``: what this axis presents to ``name``."""
        done = await asyncio.to_thread(
            run_axis, ["peer", "set-secret", name, secret], self._environment()
        )
        if done.returncode != 0:
            raise AssertionError(f"axis peer set-secret {name} failed:\n{done.stderr}")

    async def outbound_secret(self, peer_name: str) -> str:
        """The secret this axis presents to ``peer_name`` (to play that hop by hand)."""
        peer = await self.runtime.peers.require(peer_name)
        assert peer.outbound_secret is not None
        return peer.outbound_secret

    async def fetchval(self, query: str, *arguments: Any) -> Any:
        """A read for assertions (tests may read the database; the code may not do this)."""
        return await self.pool.fetchval(query, *arguments)


async def wire(left: Axis, right: Axis, left_sends: str, right_sends: str) -> None:
    """Makes ``left`` and ``right`` peers: each adds the other and keeps the secret it got.

    ``left_sends``: the pattern ``left`` routes to ``right``, and the other way round.
    """
    secret_for_right = await left.peer_add(right.name, right.base_url, left_sends)
    secret_for_left = await right.peer_add(left.name, left.base_url, right_sends)
    await right.peer_set_secret(left.name, secret_for_right)
    await left.peer_set_secret(right.name, secret_for_left)


@dataclass
class Federation:
    a: Axis
    nation: Axis
    b: Axis
    # One sync at a time: two interleaved could leave a province a copy read
    # before the nation's was up to date.
    syncing: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def axes(self) -> tuple[Axis, Axis, Axis]:
        return (self.a, self.nation, self.b)

    async def sync_directories(self) -> None:
        """The running axes' copies of each other's directories, brought up to date.

        The nation's copies first, so the provinces' copies of the nation's
        directory then hold every province's agencies.
        """
        async with self.syncing:
            if not self.nation.running:
                return
            provinces = [axis for axis in (self.a, self.b) if axis.running]
            for province in provinces:
                await self.nation.sync_from(province.name)
            for province in provinces:
                await province.sync_from(self.nation.name)


async def _create_database(server_url: str, template: str) -> str:
    name = f"axis_fed_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await connection.close()
    return name


async def _drop_database(server_url: str, name: str) -> None:
    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def open_axis(server_url: str, template: str, name: str, logs: Path) -> AsyncIterator[Axis]:
    """One axis named ``name`` on a fresh database cloned from ``template``, not started.

    It trusts the test CA; its process starts with :meth:`Axis.start`, and
    everything (process, runtime, database) is gone on exit.
    """
    database_name = await _create_database(server_url, template)
    url = with_database(server_url, database_name)
    pool = await database.create_pool(url, 4)
    runtime = open_runtime(Settings(secret_key=TEST_SECRET_KEY, name=name), pool)
    axis = Axis(name, url, logs / f"{name}.log", pool, runtime)
    # Every axis trusts the same CA, so a signature verifies at each hop.
    await trust_test_ca(pool)
    try:
        yield axis
    finally:
        await axis.stop()
        await runtime.close()
        await pool.close()
        await _drop_database(server_url, database_name)


@contextlib.asynccontextmanager
async def federation(
    server_url: str, template: str, logs: Path, *, start: bool = True
) -> AsyncIterator[Federation]:
    """Province A, the nation and province B, wired and (unless ``start`` is False) serving.

    Wiring needs each axis's URL, not its process: peers are added before the
    processes start, so a test may register agencies first and start later.
    """
    async with contextlib.AsyncExitStack() as stack:
        a, nation, b = [
            await stack.enter_async_context(open_axis(server_url, template, name, logs))
            for name in (PROVINCE_A, NATION, PROVINCE_B)
        ]
        await wire(a, nation, "*", A_PATTERN)
        await wire(b, nation, "*", B_PATTERN)
        fed = Federation(a, nation, b)
        for axis in fed.axes:
            axis.changed = fed.sync_directories
        if start:
            await asyncio.gather(*(axis.start() for axis in fed.axes))
        yield fed
