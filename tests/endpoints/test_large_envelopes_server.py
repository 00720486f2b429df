"""Envelopes larger than the axis may hold in memory, through a real ``axis serve`` (#17).

The server runs with its data segment limited (``RLIMIT_DATA``: heap and every
private writable mapping) to what it used idle plus ``HEADROOM``, less than
one envelope: a body buffered whole anywhere (read, parsed, canonicalised,
inserted, fetched, pushed) cannot be allocated and the road fails. The road
must still carry a 150 MB document in and out, to a puller and to a push
endpoint, byte for byte.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import resource
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from tests.support.envelopes import TestAgency, open_broker
from tests.support.large_envelopes import LargeEnvelope, write_large_envelope
from tests.support.processes import ServerProcess, start_server
from tests.support.waiting import eventually

SENDER = "000.00.00.G71"
PULLER = "000.00.00.H71"
PUSHED = "000.00.00.H72"
MB = 1_000_000
LIMIT = 150 * 1024 * 1024  # the default max_message_bytes
HEADROOM = 100 * 1024 * 1024
LARGE = 150 * MB


@dataclass
class HashingEndpoint:
    """A push endpoint that hashes what it receives instead of keeping it."""

    received: dict[str, str] = field(default_factory=dict)
    runner: web.AppRunner | None = None
    url: str = ""

    async def _receive(self, request: web.Request) -> web.Response:
        digest = hashlib.sha256()
        async for piece in request.content.iter_chunked(1 << 20):
            digest.update(piece)
        self.received[request.headers["X-Axis-Message-Id"]] = digest.hexdigest()
        return web.Response(text="ok")

    async def start(self) -> HashingEndpoint:
        app = web.Application()
        app.router.add_post("/inbound", self._receive)
        self.runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}/inbound"
        return self


@dataclass
class Node:
    server: ServerProcess
    agencies: dict[str, TestAgency]
    endpoint: HashingEndpoint
    http: aiohttp.ClientSession
    folder: Path

    @property
    def pid(self) -> int:
        return self.server.process.pid

    def headers(self, organ_id: str) -> dict[str, str]:
        return self.agencies[organ_id].headers

    def spool_files(self) -> list[str]:
        """What the server holds open or has named in its spool folder."""
        held = []
        for fd in os.listdir(f"/proc/{self.pid}/fd"):
            try:
                target = os.readlink(f"/proc/{self.pid}/fd/{fd}")
            except FileNotFoundError:
                continue
            if "/spool/" in target:
                held.append(target)
        spool = self.folder / "data" / "spool"
        return held + ([p.name for p in spool.iterdir()] if spool.is_dir() else [])


def _data_segment(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmData:\s+(\d+) kB", status)
    assert match is not None
    return int(match.group(1)) * 1024


@pytest.fixture
async def node(database_url: str, tmp_path: Path) -> AsyncIterator[Node]:
    endpoint = await HashingEndpoint().start()
    async with open_broker(database_url) as broker:
        agencies = {
            SENDER: await broker.add(SENDER),
            PULLER: await broker.add(PULLER),
            PUSHED: await broker.add(PUSHED, endpoint_url=endpoint.url),
        }
    server = start_server(
        ["--database-url", database_url, "--workers", "1"],
        tmp_path / "server.log",
        {"AXIS_DATA_DIR": str(tmp_path / "data"), "AXIS_LOG_LEVEL": "WARNING"},
    )
    try:
        await asyncio.to_thread(server.wait_ready)
        limit = _data_segment(server.process.pid) + HEADROOM
        resource.prlimit(server.process.pid, resource.RLIMIT_DATA, (limit, limit))
        timeout = aiohttp.ClientTimeout(total=300)
        async with aiohttp.ClientSession(server.base_url, timeout=timeout) as http:
            yield Node(server, agencies, endpoint, http, tmp_path)
        assert "MemoryError" not in server.log(), server.log()
    finally:
        assert endpoint.runner is not None
        await endpoint.runner.cleanup()
        assert server.stop() == 0, server.log()


async def _post_file(node: Node, envelope: LargeEnvelope) -> tuple[int, dict[str, object]]:
    with envelope.path.open("rb") as file:
        async with node.http.post(
            "/api/v1/messages", data=file, headers=node.headers(SENDER)
        ) as answer:
            return answer.status, await answer.json(content_type=None)


async def _fetched_sha256(node: Node, message_id: str, organ_id: str) -> str:
    digest = hashlib.sha256()
    async with node.http.get(
        f"/api/v1/messages/{message_id}", headers=node.headers(organ_id)
    ) as answer:
        assert answer.status == 200
        async for piece in answer.content.iter_chunked(1 << 20):
            digest.update(piece)
    return digest.hexdigest()


async def _healthy(node: Node) -> None:
    async with node.http.get("/readyz") as answer:
        assert answer.status == 200
    assert node.spool_files() == []


async def test_a_150_mb_document_travels_byte_exact_in_bounded_memory(
    node: Node, tmp_path: Path
) -> None:
    credential = node.agencies[SENDER].credential
    envelope = write_large_envelope(tmp_path, credential, PULLER, LARGE)
    assert envelope.size > HEADROOM  # buffered once, it would not fit
    status, accepted = await _post_file(node, envelope)
    assert status == 202, accepted
    message_id = str(accepted["id"])
    assert await _fetched_sha256(node, message_id, PULLER) == envelope.sha256
    assert await _fetched_sha256(node, message_id, SENDER) == envelope.sha256
    await _healthy(node)


async def test_a_150_mb_document_is_pushed_byte_exact(node: Node, tmp_path: Path) -> None:
    envelope = write_large_envelope(tmp_path, node.agencies[SENDER].credential, PUSHED, LARGE)
    status, accepted = await _post_file(node, envelope)
    assert status == 202, accepted
    message_id = str(accepted["id"])
    await eventually(lambda: message_id in node.endpoint.received, timeout=120, what="the push")
    assert node.endpoint.received[message_id] == envelope.sha256
    await _healthy(node)
