"""Whole roads through the native API: pull inbox, tracking, recall, linked documents."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import AsyncIterator

import pytest

from tests.support.envelopes import Api, document, document_id_of, open_api, status
from tests.support.waiting import eventually, inbox_waiting

SENDER = "000.00.00.G22"
NGHE_AN = "000.00.00.H41"
TAY_NINH = "000.00.00.H53"
STRANGER = "000.00.00.H01"


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[Api]:
    async with open_api(database_url, SENDER, NGHE_AN, TAY_NINH, STRANGER) as opened:
        yield opened


def _aware(text: str) -> datetime.datetime:
    moment = datetime.datetime.fromisoformat(text)
    assert moment.tzinfo is not None, text
    return moment


async def test_inbox_fetch_and_ack(api: Api) -> None:
    sent = [
        await api.send(SENDER, document(SENDER, [NGHE_AN], subject=f"Số {n}")) for n in range(3)
    ]
    code, page = await api.get_json(NGHE_AN, "/api/v1/inbox?limit=2")
    assert code == 200
    assert [item["id"] for item in page["items"]] == [sent[0]["id"], sent[1]["id"]]
    first = page["items"][0]
    assert first["from"] == SENDER and first["kind"] == "edoc" and first["subject"] == "Số 0"
    assert first["status_code"] is None and first["priority"] == 0 and first["size"] > 0
    _aware(first["received_at"])
    code, rest = await api.get_json(NGHE_AN, f"/api/v1/inbox?limit=2&cursor={page['next_cursor']}")
    assert [item["id"] for item in rest["items"]] == [sent[2]["id"]]
    assert rest["next_cursor"] is None
    assert (await api.get_json(TAY_NINH, "/api/v1/inbox"))[1]["items"] == []

    message_id = sent[0]["id"]
    headers = api.agency(NGHE_AN).headers
    async with api.client.get(f"/api/v1/messages/{message_id}", headers=headers) as answer:
        assert answer.status == 200 and answer.content_type == "application/xml"
        body = await answer.read()
    stored = await api.broker.pool.fetchrow(
        "SELECT (SELECT string_agg(content, ''::bytea ORDER BY part) FROM message_bodies b"
        " WHERE b.message_id = messages.id) AS body, sha256 FROM messages WHERE id = $1",
        message_id,
    )
    assert stored is not None and body == bytes(stored["body"])
    assert first["sha256"] == bytes(stored["sha256"]).hex()
    code, tracking = await api.get_json(SENDER, f"/api/v1/messages/{message_id}/tracking")
    assert tracking["recipients"][0]["transport_state"] == "delivered"
    _aware(tracking["recipients"][0]["delivered_at"])

    code, acked = await api.post_json(NGHE_AN, f"/api/v1/messages/{message_id}/ack",
                                      {"result": "done"})  # fmt: skip
    assert code == 200 and acked["transport_state"] == "acked"
    code, again = await api.post_json(NGHE_AN, f"/api/v1/messages/{message_id}/ack")
    assert code == 200 and again["acked_at"] == acked["acked_at"]
    code, page = await api.get_json(NGHE_AN, "/api/v1/inbox")
    assert message_id not in [item["id"] for item in page["items"]]
    actions = await api.broker.pool.fetch(
        "SELECT action FROM audit_log WHERE subject = $1 ORDER BY id", message_id
    )
    assert [row["action"] for row in actions] == ["message.accept", "message.deliver",
                                                  "message.ack"]  # fmt: skip


async def test_only_sender_and_recipients_see_a_message(api: Api) -> None:
    sent = await api.send(SENDER, document(SENDER, [NGHE_AN]))
    path = f"/api/v1/messages/{sent['id']}"
    async with api.client.get(path, headers=api.agency(SENDER).headers) as answer:
        assert answer.status == 200
    async with api.client.get(path, headers=api.agency(STRANGER).headers) as answer:
        assert answer.status == 404
        assert (await answer.json(content_type=None))["code"] == "message.not_found"
    code, body = await api.post_json(STRANGER, f"{path}/ack")
    assert (code, body["code"]) == (404, "message.not_found")
    code, body = await api.post_json(SENDER, f"{path}/ack")  # the sender is no recipient
    assert code == 404
    code, body = await api.get_json(NGHE_AN, f"{path}/tracking")  # only the sender tracks
    assert (code, body["code"]) == (404, "message.not_found")
    code, body = await api.get_json(NGHE_AN, "/api/v1/messages/nonexistent")
    assert code == 404
    # the sender reading its own message does not count as delivery
    state = await api.broker.pool.fetchval("SELECT transport_state FROM deliveries")
    assert state == "queued"


async def test_inbox_filters_by_kind_and_rejects_bad_queries(api: Api) -> None:
    unsigned = document(SENDER, [NGHE_AN])
    await api.send(SENDER, unsigned)
    receipt = await api.send(NGHE_AN, status(NGHE_AN, SENDER, document_id_of(unsigned), "01"))
    code, page = await api.get_json(SENDER, "/api/v1/inbox?kind=status")
    assert [(i["id"], i["kind"], i["status_code"]) for i in page["items"]] == [
        (receipt["id"], "status", "01")
    ]
    assert (await api.get_json(SENDER, "/api/v1/inbox?kind=edoc"))[1]["items"] == []
    for query in ("kind=memo", "limit=0", "limit=x", "cursor=abc", "wait=x", "wait=-1", "wait=31"):
        code, _body = await api.get_json(SENDER, f"/api/v1/inbox?{query}")
        assert code == 400, query


async def test_tracking_lists_statuses_from_two_recipients(api: Api) -> None:
    unsigned = document(SENDER, [NGHE_AN, TAY_NINH])
    sent = await api.send(SENDER, unsigned)
    document_id = document_id_of(unsigned)
    for organ_id, status_code in (
        (NGHE_AN, "01"),
        (TAY_NINH, "03"),
        (NGHE_AN, "03"),
        (NGHE_AN, "05"),
    ):
        routed = await api.send(organ_id, status(organ_id, SENDER, document_id, status_code))
        assert routed["recipients"] == [SENDER]
    code, tracking = await api.get_json(SENDER, f"/api/v1/messages/{sent['id']}/tracking")
    assert code == 200 and tracking["document_id"] == document_id
    rows = {row["organ_id"]: row for row in tracking["recipients"]}
    assert [s["code"] for s in rows[NGHE_AN]["statuses"]] == ["01", "03", "05"]
    assert [s["code"] for s in rows[TAY_NINH]["statuses"]] == ["03"]
    assert rows[NGHE_AN]["business_status"] == "05"
    entry = rows[TAY_NINH]["statuses"][0]
    assert entry["from"] == TAY_NINH and entry["description"] == "Đã tiếp nhận"
    vietnam = datetime.timezone(datetime.timedelta(hours=7))
    assert _aware(entry["at"]) == datetime.datetime(2026, 11, 20, 10, 2, 31, tzinfo=vietnam)
    assert rows[NGHE_AN]["attempts"] == 0 and rows[NGHE_AN]["last_error"] is None


async def test_recall_end_to_end(api: Api) -> None:
    unsigned = document(SENDER, [NGHE_AN, TAY_NINH])
    sent = await api.send(SENDER, unsigned)
    document_id = document_id_of(unsigned)
    await api.send(NGHE_AN, status(NGHE_AN, SENDER, document_id, "03"))
    recall = await api.send(
        SENDER, status(SENDER, SENDER, document_id, "13", description="Lấy lại")
    )
    assert recall["recipients"] == [NGHE_AN, TAY_NINH]
    for organ_id in (NGHE_AN, TAY_NINH):
        code, page = await api.get_json(organ_id, "/api/v1/inbox?kind=status")
        assert [item["id"] for item in page["items"]] == [recall["id"]]
    await api.send(NGHE_AN, status(NGHE_AN, SENDER, document_id, "15"))
    await api.send(TAY_NINH, status(TAY_NINH, SENDER, document_id, "16"))
    again = api.agency(NGHE_AN).sign(status(NGHE_AN, SENDER, document_id, "16", description="x"))
    code, body = await api.post(NGHE_AN, again)
    assert (code, body["code"]) == (422, "status.not_allowed")
    code, tracking = await api.get_json(SENDER, f"/api/v1/messages/{sent['id']}/tracking")
    rows = {row["organ_id"]: row for row in tracking["recipients"]}
    assert [s["code"] for s in rows[NGHE_AN]["statuses"]] == ["03", "13", "15"]
    assert [s["code"] for s in rows[TAY_NINH]["statuses"]] == ["13", "16"]
    assert rows[NGHE_AN]["statuses"][1]["from"] == SENDER


@pytest.mark.parametrize(("business_type", "name"), [(1, "revocation"), (2, "update"),
                                                     (3, "replacement")])  # fmt: skip
async def test_acting_documents_are_linked(api: Api, business_type: int, name: str) -> None:
    original = document(SENDER, [NGHE_AN])
    first = await api.send(SENDER, original)
    acting = await api.send(
        SENDER,
        document(SENDER, [NGHE_AN], business_type=business_type,
                 acts_on=document_id_of(original)),
    )  # fmt: skip
    _, tracking = await api.get_json(SENDER, f"/api/v1/messages/{acting['id']}/tracking")
    assert tracking["business_type"] == name
    assert tracking["acts_on"] == {"id": first["id"], "document_id": first["document_id"],
                                   "business_type": name}  # fmt: skip
    _code, tracking = await api.get_json(SENDER, f"/api/v1/messages/{first['id']}/tracking")
    assert [link["id"] for link in tracking["acted_on_by"]] == [acting["id"]]
    assert tracking["acts_on"] is None


async def test_acting_on_an_unknown_document_is_refused(api: Api) -> None:
    data = api.agency(SENDER).sign(document(SENDER, [NGHE_AN], business_type=1, acts_on="none"))
    code, body = await api.post(SENDER, data)
    assert (code, body["code"]) == (422, "business.unknown_document")


async def test_a_long_poll_over_http_answers_with_the_new_message(api: Api) -> None:
    waiting = asyncio.create_task(api.get_json(NGHE_AN, "/api/v1/inbox?wait=20"))
    await eventually(inbox_waiting(api.broker.runtime.pull.waiters, NGHE_AN), what="the wait")
    assert not waiting.done()
    sent = await api.send(SENDER, document(SENDER, [NGHE_AN]))
    code, page = await asyncio.wait_for(waiting, 20)
    assert code == 200
    assert [item["id"] for item in page["items"]] == [sent["id"]]
