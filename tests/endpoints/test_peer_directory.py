"""Directory sync against a second, real ``axis serve`` (the nation) on its own database.

This axis is the province of Nghệ An (``nghe-an``); the nation serves its own
ministry and relays Tây Ninh's directory. Every JSON page the sync reads is
checked against the served OpenAPI (the autouse fixture of this folder).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from axis.registry.agencies import Registry
from axis.registry.directory_sync import (
    DirectorySyncer,
    DirectorySyncFailed,
    NativeDirectory,
    sync_peer,
)
from axis.registry.peers import DirectoryEntry, PeerProtocol, Peers
from axis.registry.secret_box import SecretBox
from axis.settings import Settings
from axis.storage import database
from axis.storage.database import Pool
from tests.support.databases import with_database
from tests.support.processes import TEST_SECRET_KEY, ServerProcess, run_axis, start_server
from tests.support.waiting import eventually

BOX = SecretBox.from_passphrase(TEST_SECRET_KEY)
HERE = "nghe-an"


@dataclass(frozen=True)
class Nation:
    server: ServerProcess
    # What the nation issued to this province (its inbound secret for us).
    secret_for_us: str


@pytest.fixture
async def nation_database(server_url: str, template_database: str) -> AsyncIterator[str]:
    name = f"axis_test_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    finally:
        await connection.close()
    try:
        yield with_database(server_url, name)
    finally:
        connection = await asyncpg.connect(server_url)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()


async def _prepare_nation(url: str) -> str:
    pool = await database.create_pool(url, 2)
    try:
        registry, peers = Registry(pool, BOX), Peers(pool, BOX)
        await registry.add("000.00.00.G22", "Bộ Nội vụ")
        await registry.add("000.00.01.G22", "Vụ Chính quyền địa phương")
        await registry.add("000.00.09.G22", "Vụ tạm ngừng")
        await registry.set_active("000.00.09.G22", False)
        _, for_us = await peers.add_peer(HERE, "http://127.0.0.1:9", ["*.*.*.H40"])
        await peers.add_peer("tay-ninh", "http://127.0.0.1:9", ["*.*.*.H53"])
        # As the nation synced them: Tây Ninh's own, and ours coming back.
        await peers.replace_directory(
            "tay-ninh",
            [
                DirectoryEntry("000.00.01.H53", "Sở Nội vụ Tây Ninh", "000.00.00.H53", "tay-ninh"),
                DirectoryEntry("000.00.02.H53", "Sở Tư pháp Tây Ninh", "000.00.00.H53", "tay-ninh"),
            ],
            own_name="nation",
        )
        await peers.replace_directory(
            HERE,
            [DirectoryEntry("000.00.01.H40", "Sở Nội vụ Nghệ An", "000.00.00.H40", HERE)],
            own_name="nation",
        )
        return for_us
    finally:
        await pool.close()


@pytest.fixture
def nation(nation_database: str, tmp_path: Path) -> Iterator[Nation]:
    secret = asyncio.run(_prepare_nation(nation_database))
    server = start_server(
        ["--database-url", nation_database],
        tmp_path / "nation.log",
        {"AXIS_NAME": "nation", "AXIS_OPERATOR_TOKEN": "nation-operator"},
    )
    try:
        server.wait_ready()
        yield Nation(server, secret)
    finally:
        server.stop()


@pytest.fixture
async def province(pool: Pool, nation: Nation) -> Peers:
    """This axis: one agency of its own, the nation as its peer for everything."""
    await Registry(pool, BOX).add("000.00.01.H40", "Sở Nội vụ Nghệ An")
    peers = Peers(pool, BOX)
    await peers.add_peer("nation", nation.server.base_url, ["*"])
    await peers.set_outbound_secret("nation", nation.secret_for_us)
    return peers


async def _directory(pool: Pool) -> dict[str, tuple[str, str]]:
    rows = await pool.fetch("SELECT organ_id, name, served_by FROM peer_directory")
    return {row["organ_id"]: (row["name"], row["served_by"]) for row in rows}


EXPECTED = {
    "000.00.00.G22": ("Bộ Nội vụ", "nation"),
    "000.00.01.G22": ("Vụ Chính quyền địa phương", "nation"),
    "000.00.01.H53": ("Sở Nội vụ Tây Ninh", "tay-ninh"),
    "000.00.02.H53": ("Sở Tư pháp Tây Ninh", "tay-ninh"),
}


async def test_the_nations_directory_is_its_own_and_its_peers_without_ours(
    pool: Pool, province: Peers, nation: Nation
) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            nation.server.base_url + "/api/v1/agencies",
            headers={"Authorization": f"Bearer {nation.secret_for_us}"},
        ) as answer,
    ):
        assert answer.status == 200
        served = {item["organ_id"]: item for item in (await answer.json())["items"]}
    assert served["000.00.01.H53"]["served_by"] == "tay-ninh"
    assert served["000.00.01.H53"]["delivery_mode"] == "relay"
    assert served["000.00.00.G22"]["served_by"] is None
    assert "000.00.09.G22" not in served  # suspended: only operators see it

    peer = await province.require("nation")
    # Two entries a page: the sync follows every cursor.
    sources = {PeerProtocol.NATIVE: NativeDirectory(page_size=2)}
    assert await sync_peer(province, peer, sources, own_name=HERE) == 4
    assert await _directory(pool) == EXPECTED
    synced = await province.require("nation")
    assert synced.directory_synced_at is not None and synced.directory_size == 4
    assert await province.directory_knows("nation", "000.00.02.H53") is True
    assert await province.directory_knows("nation", "000.00.07.H53") is False


async def test_a_wrong_secret_is_refused_and_the_previous_copy_stays(
    pool: Pool, province: Peers
) -> None:
    sources = {PeerProtocol.NATIVE: NativeDirectory()}
    await sync_peer(province, await province.require("nation"), sources, own_name=HERE)
    await province.set_outbound_secret("nation", "not-what-the-nation-issued")
    with pytest.raises(DirectorySyncFailed, match="401"):
        await sync_peer(province, await province.require("nation"), sources, own_name=HERE)
    assert await _directory(pool) == EXPECTED


async def test_axis_peer_sync_on_the_command_line(
    pool: Pool, province: Peers, database_url: str
) -> None:
    environment = {"AXIS_NAME": HERE}
    done = await asyncio.to_thread(
        run_axis, ["peer", "sync", "--json", "--database-url", database_url], environment
    )
    assert done.returncode == 0, done.stderr
    assert '"agencies": 4' in done.stdout
    assert await _directory(pool) == EXPECTED
    listed = await asyncio.to_thread(
        run_axis, ["peer", "list", "--database-url", database_url], environment
    )
    assert "4 agencies" in listed.stdout and "synced" in listed.stdout


async def test_the_background_sync_runs_on_one_node_and_syncs_again_when_due(
    pool: Pool, province: Peers
) -> None:
    settings = Settings(name=HERE, peer_sync_seconds=0.5)
    sources = {PeerProtocol.NATIVE: NativeDirectory()}
    nodes = [DirectorySyncer(pool, province, settings, sources) for _ in range(2)]
    for node in nodes:
        await node.start()
    try:
        await eventually(lambda: _directory_has_entries(pool), what="the first sync")
        first = (await province.require("nation")).directory_synced_at
        assert first is not None

        async def synced_again() -> bool:
            later = (await province.require("nation")).directory_synced_at
            return later is not None and later > first

        await eventually(synced_again, what="a sync once the period is over")
        assert sum(node.holds_lease for node in nodes) == 1
    finally:
        for node in nodes:
            await node.stop()
    assert await _directory(pool) == EXPECTED


async def _directory_has_entries(pool: Pool) -> bool:
    return bool(await pool.fetchval("SELECT count(*) FROM peer_directory"))
