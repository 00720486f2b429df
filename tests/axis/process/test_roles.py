"""Nodes of different roles on one database: ``axis serve --no-work`` and ``axis work``.

Real processes: the API-only node accepts and serves pulls, the worker node
pushes to a real loopback endpoint, and stopping a worker node hands its
unfinished pushes back to the database for the next one.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from axis.client.agency_client import AgencyClient
from axis.registry.agencies import AgencyCredentials
from axis.runtime import open_runtime
from axis.settings import Settings
from axis.storage import database
from signing import sign
from tests.support.agencies import credential_for, register_agency
from tests.support.envelopes import document
from tests.support.processes import (
    TEST_SECRET_KEY,
    ServerProcess,
    http_status,
    start_server,
    start_worker,
)
from tests.support.push_endpoint import Answer, PushEndpoint
from tests.support.waiting import eventually

SENDER = "000.00.00.G51"
PUSHED = "000.00.00.H51"
PULLED = "000.00.00.H52"
# INFO, so the logs show which services each node started.
LOGS = {"AXIS_LOG_LEVEL": "INFO"}


@dataclass
class Exchange:
    database_url: str
    endpoint: PushEndpoint
    sender: AgencyCredentials
    pulled: AgencyCredentials
    logs: Path

    def signed_document(self, recipients: list[str], number: int) -> bytes:
        body = document(SENDER, recipients, document_id=f"{SENDER},2026/11/21,{number}/ROLE")
        credential = credential_for(SENDER)
        return sign(body, credential.private_key, credential.certificate)

    async def api_node(self, name: str = "api") -> ServerProcess:
        node = start_server(
            ["--database-url", self.database_url, "--no-work"], self.logs / f"{name}.log", LOGS
        )
        await asyncio.to_thread(node.wait_ready)
        return node

    async def work_node(self, name: str, *arguments: str, **environment: str) -> ServerProcess:
        node = start_worker(
            ["--database-url", self.database_url, *arguments],
            self.logs / f"{name}.log",
            {**LOGS, **environment},
        )
        await asyncio.to_thread(node.wait_ready)
        return node


async def _stop(node: ServerProcess) -> int:
    return await asyncio.to_thread(node.stop, signal.SIGTERM)


async def _submit(node: ServerProcess, exchange: Exchange, body: bytes) -> str:
    async with AgencyClient(node.base_url, exchange.sender.secret) as client:
        return (await client.send(body)).id


async def _delivery(connection: asyncpg.Connection, message_id: str) -> asyncpg.Record:
    row = await connection.fetchrow(
        "SELECT transport_state, lease_owner, attempts FROM deliveries"
        " WHERE message_id = $1 AND recipient_id = $2",
        message_id,
        PUSHED,
    )
    assert row is not None
    return row


@pytest.fixture
async def exchange(database_url: str, tmp_path: Path) -> AsyncIterator[Exchange]:
    endpoint = await PushEndpoint().start()
    # The nodes get TEST_SECRET_KEY; the registry that stores secrets must agree.
    settings = Settings(database_url=database_url, secret_key=TEST_SECRET_KEY)
    pool = await database.create_pool(database_url, 2)
    try:
        runtime = open_runtime(settings, pool)
        sender = await register_agency(runtime, SENDER)
        pushed = await register_agency(runtime, PUSHED, endpoint_url=endpoint.url)
        pulled = await register_agency(runtime, PULLED)
        await runtime.close()
    finally:
        await pool.close()
    endpoint.secret = pushed.secret
    try:
        yield Exchange(database_url, endpoint, sender, pulled, tmp_path)
    finally:
        await endpoint.stop()


def _delivered(connection: asyncpg.Connection, message_id: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return bool((await _delivery(connection, message_id))["transport_state"] == "delivered")

    return check


async def test_api_node_and_worker_node_deliver_push_and_pull(
    exchange: Exchange, connection: asyncpg.Connection
) -> None:
    api = await exchange.api_node()
    try:
        worker = await exchange.work_node("work", "--workers", "2")
        try:
            # The supervisor is ready with its first child; both share the port.
            await asyncio.to_thread(worker.wait_logged, "axis.process.server: working", 2)
            for path in ("/healthz", "/readyz", "/metrics"):
                assert await asyncio.to_thread(http_status, worker.base_url + path) == 200
            assert await asyncio.to_thread(http_status, worker.base_url + "/api/v1/") == 404
            body = exchange.signed_document([PUSHED, PULLED], 1)
            message_id = await _submit(api, exchange, body)
            await exchange.endpoint.wait_for(lambda: len(exchange.endpoint.received) == 1)
            [push] = exchange.endpoint.received
            assert push.body == body and push.signature_valid
            assert push.message_id == message_id
            async with AgencyClient(api.base_url, exchange.pulled.secret) as client:
                page = await client.inbox(kind="edoc")
                assert [item["id"] for item in page["items"]] == [message_id]
                assert await client.get(message_id) == body
            await eventually(_delivered(connection, message_id), what="the push recorded")
        finally:
            assert await _stop(worker) == 0
        assert worker.log().count("axis.process.server: working") == 2
        assert worker.log().count("delivery worker stopped") == 2
    finally:
        assert await _stop(api) == 0
    assert "delivery worker" not in api.log(), "an API-only node ran a push worker"


async def test_api_node_alone_accepts_and_keeps_the_push_queued(
    exchange: Exchange, connection: asyncpg.Connection
) -> None:
    api = await exchange.api_node()
    try:
        assert "run `axis work`" in api.log()
        message_id = await _submit(api, exchange, exchange.signed_document([PUSHED], 2))
        # Absence needs a window: a worker claims within milliseconds of the
        # NOTIFY, so two seconds without a push means no one is pushing.
        await asyncio.sleep(2.0)
        assert exchange.endpoint.received == []
        row = await _delivery(connection, message_id)
        assert (row["transport_state"], row["lease_owner"], row["attempts"]) == ("queued", None, 0)
    finally:
        assert await _stop(api) == 0


async def test_sigterm_on_a_worker_node_releases_its_leases_for_the_next(
    exchange: Exchange, connection: asyncpg.Connection
) -> None:
    # The first push hangs past the shutdown timeout; later ones are answered.
    exchange.endpoint.answers.append(Answer(200, delay=60))
    api = await exchange.api_node()
    try:
        first = await exchange.work_node(
            "first-work", AXIS_SHUTDOWN_TIMEOUT="1", AXIS_PUSH_TIMEOUT="120"
        )
        try:
            message_id = await _submit(api, exchange, exchange.signed_document([PUSHED], 3))
            await exchange.endpoint.wait_for(lambda: len(exchange.endpoint.received) == 1)
            assert (await _delivery(connection, message_id))["lease_owner"] is not None
        finally:
            assert await _stop(first) == 0
        row = await _delivery(connection, message_id)
        assert (row["transport_state"], row["lease_owner"]) == ("queued", None)

        second = await exchange.work_node("second-work")
        try:
            await exchange.endpoint.wait_for(lambda: len(exchange.endpoint.received) == 2)
            await eventually(_delivered(connection, message_id), what="the push recorded")
        finally:
            assert await _stop(second) == 0
    finally:
        assert await _stop(api) == 0
    assert exchange.endpoint.pushes_per_message() == {message_id: 2}
