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
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from tests.support.envelopes import TestAgency, open_broker
from tests.support.large_envelopes import LargeEnvelope, file_chunks, write_large_envelope
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


async def _raw_request(
    node: Node, head: bytes, body: AsyncIterator[bytes] | None, *, hang_up: bool = False
) -> bytes:
    """Sends ``head`` and ``body`` over a bare socket; returns what the server answered
    (nothing when ``hang_up``: the connection is closed as soon as the body is sent)."""
    host, port = node.server.base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(head)
        if body is not None:
            async for piece in body:
                writer.write(piece)
                await writer.drain()
        return b"" if hang_up else await asyncio.wait_for(reader.read(4096), 60)
    except ConnectionError:
        return b""
    finally:
        writer.close()


def _head(node: Node, content_length: int | None) -> bytes:
    length = f"Content-Length: {content_length}\r\n" if content_length is not None else ""
    chunked = "" if content_length is not None else "Transfer-Encoding: chunked\r\n"
    token = node.agencies[SENDER].secret
    return (
        f"POST /api/v1/messages HTTP/1.1\r\nHost: axis\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/xml\r\n{length}{chunked}\r\n"
    ).encode()


async def _chunked(pieces: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    async for piece in pieces:
        yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    yield b"0\r\n\r\n"


async def test_bad_large_bodies_are_refused_and_leave_nothing(node: Node, tmp_path: Path) -> None:
    credential = node.agencies[SENDER].credential
    over = tmp_path / "over.xml"
    with over.open("wb") as file:
        file.truncate(LIMIT + 1)  # 150 MiB + 1 byte (of zeros: refused on size first)

    # Honest Content-Length: refused before a byte of the body is read.
    answer = await _raw_request(node, _head(node, LIMIT + 1), None)
    assert answer.startswith(b"HTTP/1.1 413") and b"message.too_large" in answer
    await _healthy(node)

    # No Content-Length (chunked): refused once more than the limit has arrived.
    answer = await _raw_request(node, _head(node, None), _chunked(file_chunks(over)))
    assert answer == b"" or (answer.startswith(b"HTTP/1.1 413") and b"message.too_large" in answer)
    await _healthy(node)

    # A lying Content-Length: only that many bytes are the body (here not XML at all).
    answer = await _raw_request(node, _head(node, 4096), file_chunks(over))
    assert answer.startswith(b"HTTP/1.1 400") or answer == b""
    await _healthy(node)

    # A body that stops half-way: the client goes away; nothing stays behind.
    envelope = write_large_envelope(tmp_path, credential, PULLER, 40 * MB)
    half = file_chunks(envelope.path, limit=20 * MB)
    await _raw_request(node, _head(node, envelope.size), half, hang_up=True)
    await eventually(lambda: node.spool_files() == [], what="the spool file gone")
    await _healthy(node)

    # Corrupt base64 near the end of a huge attachment, signed as it is.
    corrupt = _signed_with(node, tmp_path, "corrupt", 60 * MB, _corrupt_base64_near_end)
    status, refused = await _post_file(node, corrupt)
    assert status == 422 and refused["code"] == "envelope.invalid", refused
    assert "not base64 ('*')" in str(refused["detail"])
    await _healthy(node)

    # A huge text node outside any attachment.
    # (The signer itself refuses it, so it goes unsigned: the parse refuses it first.)
    huge = _signed_with(node, tmp_path, "huge", 1 * MB, _huge_subject, signed=False)
    status, refused = await _post_file(node, huge)
    assert status == 400 and refused["code"] == "xml.text_too_large", refused
    await _healthy(node)


def _corrupt_base64_near_end(data: bytes) -> bytes:
    end = data.index(b"</ContentTransferEncoded>")
    return data[: end - 100] + b"*" + data[end - 99 :]


def _huge_subject(data: bytes) -> bytes:
    return data.replace(b"<Subject>", b"<Subject>" + b"x" * (20 * MB), 1)


def _signed_with(
    node: Node,
    folder: Path,
    name: str,
    size: int,
    change: Callable[[bytes], bytes],
    *,
    signed: bool = True,
) -> LargeEnvelope:
    from signing import sign
    from tests.support.envelopes import document

    credential = node.agencies[SENDER].credential
    data = change(document(SENDER, [PULLER], payload=os.urandom(size * 3 // 4)))
    if signed:
        data = sign(data, credential.private_key, credential.certificate)
    path = folder / f"{name}.xml"
    path.write_bytes(data)
    return LargeEnvelope(path, len(data), hashlib.sha256(data).hexdigest())
