"""A purged body: 410 message.purged on the native fetch and FAIL 410 on VXP getEdoc,
naming the bundle; tracking and the audit chain keep working."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from axis.audit.chain import verify_chain
from axis.audit.sealer import seal_pending
from axis.retention.export import export_month
from axis.retention.months import Month
from axis.retention.policy import Policy
from axis.retention.purge import purge_month
from axis.retention.restore import restore
from axis.vxp import documents, wire
from axis.vxp.authentication import Caller
from signing.seal import SealKey
from tests.support.envelopes import Api, document, open_api

SENDER = "000.00.00.G22"
RECIPIENT = "000.00.00.H41"


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[Api]:
    async with open_api(database_url, SENDER, RECIPIENT) as opened:
        yield opened


async def _settled_document(api: Api) -> str:
    sent = await api.send(SENDER, document(SENDER, [RECIPIENT], subject="Lưu trữ"))
    message_id = str(sent["id"])
    path = f"/api/v1/messages/{message_id}"
    async with api.client.get(path, headers=api.agency(RECIPIENT).headers) as answer:
        assert answer.status == 200
    code, _ = await api.post_json(RECIPIENT, f"{path}/ack", {"result": "done"})
    assert code == 200
    return message_id


async def test_a_purged_body_answers_410_with_its_bundle(
    api: Api, tmp_path: Path, seal_key: SealKey
) -> None:
    message_id = await _settled_document(api)
    pool = api.broker.pool
    month = Month.of_message(message_id)
    assert month is not None
    later = month.ends_at + timedelta(days=120)  # the controllable clock
    async with pool.acquire() as connection:
        await seal_pending(connection)
    exported = await export_month(pool, month, tmp_path / "b", seal_key, now=later, actor="op")
    purged = await purge_month(
        pool, month, Policy(), now=later, actor="op", bundle_path=exported.path
    )
    assert purged.bodies == 1

    path = f"/api/v1/messages/{message_id}"
    for organ_id in (RECIPIENT, SENDER):
        code, problem = await api.get_json(organ_id, path)
        assert code == 410, problem
        assert problem["code"] == "message.purged"
        assert problem["bundle"] == exported.path.name
        assert problem["purged_at"] == later.isoformat()
        assert problem["archived_at"] == later.isoformat()
        assert exported.path.name in problem["detail"]
    # Tracking still answers from the metadata, which stays.
    code, tracking = await api.get_json(SENDER, f"{path}/tracking")
    assert code == 200 and tracking["recipients"][0]["transport_state"] == "acked"

    agency = await api.broker.runtime.registry.get(RECIPIENT)
    assert agency is not None
    caller = Caller(agency, {"docid": message_id})
    vxp_answer = await documents.get(api.broker.runtime.pull, caller)
    assert isinstance(vxp_answer, wire.Answer)  # a purged body is a failure, never a file
    assert vxp_answer.error_code == wire.GONE and exported.path.name in vxp_answer.description
    assert vxp_answer.extra == {"data": ""}
    assert await documents.read(api.broker.runtime.pull, caller) is None  # downloadEdoc: empty

    async with pool.acquire() as connection:
        await seal_pending(connection)
        assert (await verify_chain(connection)).intact

    await restore(pool, exported.path, seal_key, now=later, actor="op")
    async with api.client.get(path, headers=api.agency(RECIPIENT).headers) as response:
        assert response.status == 200
        body = await response.read()
    digest = await pool.fetchval("SELECT sha256 FROM messages WHERE id = $1", message_id)
    assert hashlib.sha256(body).digest() == bytes(digest)  # byte-exact after the round trip


async def test_a_body_purged_without_archive_says_so(
    api: Api, tmp_path: Path, seal_key: SealKey
) -> None:
    message_id = await _settled_document(api)
    month = Month.of_message(message_id)
    assert month is not None
    later = month.ends_at + timedelta(days=120)
    await purge_month(
        api.broker.pool, month, Policy(), now=later, actor="op", bundle_path=None,
        without_archive=True,
    )  # fmt: skip
    code, problem = await api.get_json(RECIPIENT, f"/api/v1/messages/{message_id}")
    assert code == 410 and problem["bundle"] is None
    assert "without an archive bundle" in problem["detail"]
