"""The database away: restart, failover, a node started before its database.

Real processes throughout: a PostgreSQL primary with a synchronous standby
made by ``pg_basebackup`` (``tests.support.replication``), one ``axis serve``
on the multi-host URL ``h1,h2?target_session_attrs=read-write``, and an
agency submitting signed documents without pause. Every document the axis
accepted (202/200) must be stored exactly once afterwards; meanwhile the
node answers only 503 ``database.unavailable`` with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from axis.registry.agencies import AgencyCredentials
from signing import sign
from tests.support.agencies import credential_for
from tests.support.envelopes import document
from tests.support.processes import (
    ContinuousSubmission,
    ServerProcess,
    SubmissionOutcomes,
    start_server,
)
from tests.support.replication import ReplicatedPair, prepare_exchange, stored_documents
from tests.support.vxp_client import VxpService
from tests.support.waiting import eventually

SENDER = "000.00.00.G61"
RECIPIENT = "000.00.00.H61"
LOGS = {"AXIS_LOG_LEVEL": "INFO"}
# Documents accepted before the fault, and again after it, to call intake working.
STEADY = 20


@dataclass
class Cluster:
    pair: ReplicatedPair
    sender: AgencyCredentials
    logs: Path

    def signed_document(self, number: int) -> bytes:
        body = document(SENDER, [RECIPIENT], document_id=f"{SENDER},2026/12/01,{number}/AWAY")
        credential = credential_for(SENDER)
        return sign(body, credential.private_key, credential.certificate)

    def node(self, name: str = "node") -> ServerProcess:
        return start_server(["--database-url", self.pair.url], self.logs / f"{name}.log", LOGS)

    def submission(self, node: ServerProcess) -> ContinuousSubmission:
        return ContinuousSubmission([node.base_url], self.sender.secret, self.signed_document)


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[Cluster]:
    # Not under tmp_path: PostgreSQL's socket path must stay under ~100 bytes.
    pair = ReplicatedPair(Path(tempfile.mkdtemp(prefix="axis-pair-")))
    try:
        await asyncio.to_thread(pair.start)
        yield Cluster(pair, await prepare_exchange(pair.url, SENDER, RECIPIENT), tmp_path)
    finally:
        await asyncio.to_thread(pair.stop)


async def _accepted_past(submission: ContinuousSubmission, count: int) -> None:
    await eventually(
        lambda: len(submission.outcomes.accepted) >= count,
        timeout=90,
        what=f"{count} documents accepted",
    )


async def _stored_exactly_once(url: str, outcomes: SubmissionOutcomes) -> None:
    stored = await stored_documents(url, SENDER)
    assert outcomes.failures == []
    missing = set(outcomes.accepted) - set(stored)
    assert not missing, f"{len(missing)} accepted documents lost"
    assert {document_id: copies for document_id, (copies, _) in stored.items() if copies != 1} == {}
    for document_id, message_id in outcomes.accepted.items():
        assert stored[document_id][1] == message_id


async def _under_fault(cluster: Cluster, fault: str) -> SubmissionOutcomes:
    node = cluster.node()
    try:
        await asyncio.to_thread(node.wait_ready)
        submission = cluster.submission(node).start()
        await _accepted_past(submission, STEADY)
        mark = len(submission.outcomes.accepted)
        fail = cluster.pair.primary.restart if fault == "restart" else cluster.pair.fail_over
        await asyncio.to_thread(fail)
        await _accepted_past(submission, mark + STEADY)
        outcomes = await submission.stop()
    finally:
        assert await asyncio.to_thread(node.stop) == 0
    assert "Traceback" not in node.log()
    return outcomes


async def test_restart_of_the_primary_loses_no_accepted_document(cluster: Cluster) -> None:
    outcomes = await _under_fault(cluster, "restart")
    await _stored_exactly_once(cluster.pair.url, outcomes)


async def test_failover_to_the_synchronous_standby_loses_no_accepted_document(
    cluster: Cluster,
) -> None:
    outcomes = await _under_fault(cluster, "failover")
    # The promoted standby is now the only member that accepts writes.
    await _stored_exactly_once(cluster.pair.url, outcomes)


async def _answers(node: ServerProcess, secret: str, body: bytes) -> tuple[int, dict[str, str]]:
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/xml"}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.post(node.base_url + "/api/v1/messages", data=body) as response,
    ):
        answer = await response.json(content_type=None)
        return response.status, {"code": answer.get("code"), **response.headers}


async def _readiness(node: ServerProcess) -> tuple[int, dict[str, str]]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(node.base_url + "/readyz") as response,
    ):
        return response.status, {**(await response.json()), **response.headers}


async def test_while_the_database_is_away_the_node_answers_503_and_says_so(
    cluster: Cluster,
) -> None:
    node = cluster.node()
    sdk = VxpService(node.base_url + "/vxp", cluster.sender.system_id, cluster.sender.secret)
    try:
        await asyncio.to_thread(node.wait_ready)
        listed = await asyncio.to_thread(sdk.get_received_edoc_list, {"messagetype": "edoc"})
        assert listed.json()["status"] == "OK"
        await asyncio.to_thread(cluster.pair.primary.stop)
        # VXP answers in its own shape: HTTP 200, FAIL with the native API's status.
        away = await asyncio.to_thread(sdk.get_received_edoc_list, {"messagetype": "edoc"})
        assert away.status == 200
        assert (away.json()["status"], away.json()["ErrorCode"]) == ("FAIL", "503")
        status, answer = await _answers(node, cluster.sender.secret, cluster.signed_document(1))
        assert status == 503
        assert answer["code"] == "database.unavailable"
        assert int(answer["Retry-After"]) > 0
        status, ready = await _readiness(node)
        assert (status, ready["status"], ready["code"]) == (
            503,
            "not ready",
            "database.unavailable",
        )
        assert int(ready["Retry-After"]) > 0
        await asyncio.to_thread(cluster.pair.primary.start)
        await asyncio.to_thread(node.wait_ready)
        status, _ = await _answers(node, cluster.sender.secret, cluster.signed_document(2))
        assert status == 202
    finally:
        assert await asyncio.to_thread(node.stop) == 0
    assert "Traceback" not in node.log()


async def test_a_node_started_while_the_database_is_away_waits_for_it(cluster: Cluster) -> None:
    # Only the read-only standby answers: no member accepts writes yet.
    await asyncio.to_thread(cluster.pair.primary.stop)
    node = cluster.node()
    try:
        await asyncio.to_thread(node.wait_logged, "waiting for the database")
        assert node.process.poll() is None
        await asyncio.to_thread(cluster.pair.primary.start)
        await asyncio.to_thread(node.wait_ready)
        assert node.log().count("waiting for the database") == 1
        assert "the database is reachable after" in node.log()
    finally:
        assert await asyncio.to_thread(node.stop) == 0
    assert "Traceback" not in node.log()


async def test_a_node_stopped_while_waiting_for_the_database_exits_cleanly(
    cluster: Cluster,
) -> None:
    await asyncio.to_thread(cluster.pair.primary.stop)
    node = cluster.node()
    await asyncio.to_thread(node.wait_logged, "waiting for the database")
    assert await asyncio.to_thread(node.stop) == 0
    assert "Traceback" not in node.log()
