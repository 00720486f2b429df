"""The batch pull road: many messages' bytes in one request, many acks in one."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from axis.client.agency_client import AgencyClient
from axis.client.batches import read_batch
from axis.delivery.pull.service import BatchItem
from endpoints.api_batch import multipart
from tests.support.envelopes import Api, document, open_api

SENDER = "000.00.00.G22"
NGHE_AN = "000.00.00.H41"
STRANGER = "000.00.00.H01"


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[Api]:
    async with open_api(database_url, SENDER, NGHE_AN, STRANGER) as opened:
        yield opened


async def _fetch(api: Api, organ_id: str, ids: list[str]) -> tuple[int, str, bytes]:
    headers = api.agency(organ_id).headers
    async with api.client.post("/api/v1/inbox/fetch", json={"ids": ids}, headers=headers) as answer:
        return answer.status, answer.headers.get("Content-Type", ""), await answer.read()


async def test_a_batch_fetch_gives_the_exact_bytes_and_delivers_like_single_fetches(
    api: Api,
) -> None:
    sent = [
        await api.send(SENDER, document(SENDER, [NGHE_AN], subject=f"Số {n}")) for n in range(3)
    ]
    ids = [item["id"] for item in sent]
    status, content_type, body = await _fetch(api, NGHE_AN, [*ids, "nonexistent", ids[0]])
    assert status == 200 and content_type.startswith("multipart/mixed; boundary=")
    batch = read_batch(content_type, body)
    assert list(batch.messages) == ids
    for message_id, content in batch.messages.items():
        # The sender's own read changes nothing: what the single road answers.
        path = f"/api/v1/messages/{message_id}"
        async with api.client.get(path, headers=api.agency(SENDER).headers) as answer:
            assert content == await answer.read()
    assert batch.problems["nonexistent"]["code"] == "message.not_found"
    states = await api.broker.pool.fetch(
        "SELECT transport_state FROM deliveries WHERE message_id = ANY($1)", ids
    )
    assert {row["transport_state"] for row in states} == {"delivered"}
    delivered = await api.broker.pool.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'message.deliver' AND subject = ANY($1)", ids
    )
    assert delivered == 3  # the repeated id is one fetch, audited once


async def test_a_stranger_learns_nothing_and_marks_nothing(api: Api) -> None:
    sent = await api.send(SENDER, document(SENDER, [NGHE_AN]))
    status, content_type, body = await _fetch(api, STRANGER, [sent["id"]])
    assert status == 200
    batch = read_batch(content_type, body)
    assert batch.messages == {} and batch.problems[sent["id"]]["status"] == 404
    state = await api.broker.pool.fetchval(
        "SELECT transport_state FROM deliveries WHERE message_id = $1", sent["id"]
    )
    assert state == "queued"


async def test_a_batch_ack_acks_each_once_and_answers_in_order(api: Api) -> None:
    sent = [await api.send(SENDER, document(SENDER, [NGHE_AN])) for _ in range(2)]
    ids = [item["id"] for item in sent]
    acks = [{"id": ids[0]}, {"id": "nonexistent"}, {"id": ids[1], "result": "fail", "reason": "x"}]
    code, answer = await api.post_json(NGHE_AN, "/api/v1/inbox/ack", {"acks": acks})
    assert code == 200
    first, missing, failed = answer["items"]
    assert first["id"] == ids[0] and first["transport_state"] == "acked"
    assert first["result"] == "done"
    assert missing["id"] == "nonexistent" and missing["problem"]["code"] == "message.not_found"
    assert failed["result"] == "fail"
    code, again = await api.post_json(NGHE_AN, "/api/v1/inbox/ack", {"acks": [{"id": ids[0]}]})
    assert again["items"][0]["acked_at"] == first["acked_at"]
    code, page = await api.get_json(NGHE_AN, "/api/v1/inbox")
    assert page["items"] == []
    actions = await api.broker.pool.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'message.ack' AND subject = ANY($1)", ids
    )
    assert actions == 2


@pytest.mark.parametrize(
    "body",
    [{}, {"ids": []}, {"ids": ["a"] * 101}, {"ids": [3]}, {"ids": ["with space"]}, [1]],
)
async def test_a_bad_batch_is_refused(api: Api, body: object) -> None:
    headers = api.agency(NGHE_AN).headers
    async with api.client.post("/api/v1/inbox/fetch", json=body, headers=headers) as answer:
        assert answer.status == 400, await answer.text()


async def test_bad_acks_are_refused(api: Api) -> None:
    for body in ({"acks": [{"result": "done"}]}, {"acks": [{"id": "a", "result": "maybe"}]}):
        code, problem = await api.post_json(NGHE_AN, "/api/v1/inbox/ack", body)
        assert code == 400, problem


def test_the_multipart_reads_back_byte_exact_whatever_the_bytes() -> None:
    awkward = b"\r\n--\r\n\x00\xff<x/>\r\n\r\n"
    items = [
        BatchItem("a", awkward),
        BatchItem("b", missing=True),
        BatchItem("c"),
        BatchItem("d", b""),
    ]
    boundary, body = multipart(items, NGHE_AN)
    batch = read_batch(f'multipart/mixed; boundary="{boundary}"', body)
    assert batch.messages == {"a": awkward, "d": b""}
    assert batch.problems["b"]["code"] == "message.not_found"
    assert batch.problems["c"]["code"] == "batch.too_large"


async def test_the_agency_client_takes_the_batch_road(api: Api) -> None:
    sent = [await api.send(SENDER, document(SENDER, [NGHE_AN])) for _ in range(2)]
    ids = [item["id"] for item in sent]
    base_url = str(api.client.make_url("/")).rstrip("/")
    async with AgencyClient(base_url, api.agency(NGHE_AN).secret) as client:
        batch = await client.fetch_many(ids)
        assert list(batch.messages) == ids and batch.problems == {}
        answers = await client.ack_many([*ids, "nonexistent"])
    assert [answer["id"] for answer in answers] == [*ids, "nonexistent"]
    assert answers[2]["problem"]["code"] == "message.not_found"
    assert all(answer["transport_state"] == "acked" for answer in answers[:2])


async def test_past_the_byte_budget_a_message_is_left_to_fetch_alone_and_not_marked(
    api: Api,
) -> None:
    sent = [await api.send(SENDER, document(SENDER, [NGHE_AN])) for _ in range(2)]
    ids = [item["id"] for item in sent]
    size = await api.broker.pool.fetchval("SELECT size FROM messages WHERE id = $1", ids[0])
    items = await api.broker.runtime.pull.fetch_many(ids, NGHE_AN, max_bytes=size)
    assert items[0].body is not None and items[1].body is None and not items[1].missing
    states = await api.broker.pool.fetch(
        "SELECT message_id, transport_state FROM deliveries WHERE message_id = ANY($1)", ids
    )
    assert {row["message_id"]: row["transport_state"] for row in states} == {
        ids[0]: "delivered",
        ids[1]: "queued",
    }
