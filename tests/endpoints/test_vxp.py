"""The VXP surface end to end in-process, spoken to by the SDK's wire behaviour."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web

from axis.delivery.pull import inbox
from axis.tracking import report as tracking
from axis.vocabulary import MessageKind
from endpoints.application import build_application
from tests.support import envelopes
from tests.support.envelopes import Broker, open_broker
from tests.support.processes import free_port
from tests.support.vxp_client import Answer, VxpService

SENDER, FIRST, SECOND = "000.00.00.G22", "000.00.00.H41", "000.00.00.H53"


def assert_no_nulls(value: Any, where: str = "$") -> None:
    assert value is not None, f"JSON null at {where}"
    if isinstance(value, dict):
        for key, item in value.items():
            assert_no_nulls(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            assert_no_nulls(item, f"{where}[{index}]")


def sdk_json(answer: Answer) -> Any:
    """What the SDK would parse: HTTP 200, ASCII, the three fields, no null."""
    assert answer.status == 200
    assert "Content-Encoding" not in answer.headers
    body = json.loads(answer.body.decode("ascii"))
    assert {"status", "ErrorCode", "ErrorDesc"} <= set(body)
    assert_no_nulls(body)
    return body


@dataclass
class Surface:
    broker: Broker
    base_url: str

    def sdk(self, agency: envelopes.TestAgency, *, endpoint: str | None = None) -> VxpService:
        return VxpService(endpoint or self.base_url + "/vxp", agency.organ_id, agency.secret)


@pytest.fixture(name="surface")
async def surface_fixture(database_url: str) -> AsyncIterator[Surface]:
    async with open_broker(database_url) as broker:
        for organ_id in (SENDER, FIRST, SECOND):
            await broker.add(organ_id)
        runner = web.AppRunner(build_application(broker.runtime))
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            yield Surface(broker, f"http://127.0.0.1:{port}")
        finally:
            await runner.cleanup()


def signed_document(surface: Surface, recipients: tuple[str, ...] = (FIRST, SECOND)) -> bytes:
    return surface.broker.agencies[SENDER].sign(envelopes.document(SENDER, recipients))


async def call(function: Any, *arguments: Any, **keywords: Any) -> Answer:
    answer: Answer = await asyncio.to_thread(function, *arguments, **keywords)
    return answer


EDOC = {"from": SENDER, "servicetype": "eDoc", "messagetype": "edoc"}


async def test_send_list_read_acknowledge_and_track(surface: Surface) -> None:
    agencies = surface.broker.agencies
    sender = surface.sdk(agencies[SENDER])
    data = signed_document(surface)
    # The first answer is lost; the SDK sends the same POST again.
    sent = sdk_json(await call(sender.send_edoc, {**EDOC, "to": [FIRST, SECOND]}, data,
                               lose_first_answer=True))  # fmt: skip
    assert sent["status"] == "OK" and sent["ErrorCode"] == "0", sent
    doc_id = sent["DocId"]
    again = sdk_json(await call(sender.resend_last))
    assert again["DocId"] == doc_id
    rows = await surface.broker.pool.fetch(
        "SELECT received_via, (SELECT string_agg(content, ''::bytea ORDER BY part)"
        " FROM message_bodies b WHERE b.message_id = messages.id) AS body FROM messages"
    )
    assert [(row["received_via"], bytes(row["body"])) for row in rows] == [("vxp", data)]

    recipient = surface.sdk(agencies[FIRST])
    count = sdk_json(await call(recipient.count_receive_edoc, {"servicetype": "eDoc",
                                                               "messagetype": "edoc"}))  # fmt: skip
    listed = sdk_json(await call(recipient.get_received_edoc_list,
                                 {"servicetype": "eDoc", "messagetype": "edoc"}))  # fmt: skip
    assert count["count"] == 1 == len(listed["data"])
    item = listed["data"][0]
    assert item["docId"] == doc_id and item["from"] == SENDER and item["to"] == FIRST
    assert all(isinstance(value, str) for value in item.values())
    statuses = sdk_json(await call(recipient.get_received_edoc_list, {"messagetype": "status"}))
    assert statuses["data"] == []

    fetched = sdk_json(await call(recipient.get_edoc, {"docId": doc_id, "filePath": "/tmp/x"}))
    assert base64.b64decode(fetched["data"]) == data
    downloaded = await call(recipient.download_edoc, {"docId": doc_id, "filePath": "/tmp/x"})
    assert downloaded.status == 200 and downloaded.body == data

    done = sdk_json(await call(recipient.update_status, {"docId": doc_id, "status": "done"}))
    assert done["status"] == "OK"
    # The same object still carries docId and status=done: lists must ignore them.
    after = sdk_json(await call(recipient.get_received_edoc_list, {"messagetype": "edoc"}))
    assert after["data"] == []
    assert sdk_json(await call(recipient.count_receive_edoc, {}))["count"] == 0
    second = surface.sdk(agencies[SECOND])
    failed = sdk_json(await call(second.update_status, {"docid": doc_id, "status": "fail"}))
    assert failed["status"] == "OK"

    sent_rows = sdk_json(await call(sender.get_sent_edoc_list, {"servicetype": "eDoc",
                                                                "messagetype": "edoc",
                                                                "docId": doc_id}))  # fmt: skip
    assert sorted(row["toCode"] for row in sent_rows["data"]) == [FIRST, SECOND]
    assert {row["sendStatus"] for row in sent_rows["data"]} == {"acked"}
    native = await tracking.tracking(surface.broker.pool, doc_id, SENDER)
    assert sorted(r["transport_state"] for r in native["recipients"]) == ["acked", "acked"]
    results = await surface.broker.pool.fetch(
        "SELECT recipient_id, ack_result FROM deliveries ORDER BY recipient_id"
    )
    assert [(r["recipient_id"], r["ack_result"]) for r in results] == [
        (FIRST, "done"), (SECOND, "fail")]  # fmt: skip


async def test_status_package_is_routed_by_response_for(surface: Surface) -> None:
    agencies = surface.broker.agencies
    accepted = await surface.broker.runtime.intake.submit(
        await surface.broker.runtime.registry.require(SENDER),
        signed_document(surface, (FIRST,)),
    )
    status = agencies[FIRST].sign(
        envelopes.status(FIRST, SENDER, accepted.document_id, "03", description="Đã nhận")
    )
    answer = sdk_json(await call(surface.sdk(agencies[FIRST]).send_edoc,
                                 {"from": FIRST, "servicetype": "eDoc", "messagetype": "status"},
                                 status))  # fmt: skip
    assert answer["status"] == "OK", answer
    sender = surface.sdk(agencies[SENDER])
    listed = sdk_json(await call(sender.get_received_edoc_list, {"messagetype": "status"}))
    assert [item["docId"] for item in listed["data"]] == [answer["DocId"]]
    assert sdk_json(await call(sender.count_receive_status, {}))["count"] == 1
    assert sdk_json(await call(sender.count_receive_edoc, {}))["count"] == 0


async def test_native_and_vxp_doors_share_one_core(surface: Surface) -> None:
    pool = surface.broker.pool
    agencies = surface.broker.agencies
    # Native in, VXP out.
    native = await surface.broker.runtime.intake.submit(
        await surface.broker.runtime.registry.require(SENDER), signed_document(surface, (FIRST,))
    )
    recipient = surface.sdk(agencies[FIRST])
    listed = sdk_json(await call(recipient.get_received_edoc_list, {"messagetype": "edoc"}))
    assert [item["docId"] for item in listed["data"]] == [native.id]
    sdk_json(await call(recipient.update_status, {"docId": native.id, "status": "done"}))
    page = await inbox.page(pool, FIRST, kind=MessageKind.DOCUMENT)
    assert list(page.items) == []
    # VXP in, native out.
    data = signed_document(surface, (SECOND,))
    sent = sdk_json(await call(surface.sdk(agencies[SENDER]).send_edoc, EDOC, data))
    page = await inbox.page(pool, SECOND, kind=MessageKind.DOCUMENT)
    assert [item.id for item in page.items] == [sent["DocId"]]
    assert await surface.broker.runtime.pull.fetch(sent["DocId"], SECOND) == data
    await surface.broker.runtime.pull.acknowledge(sent["DocId"], SECOND)
    listed = sdk_json(await call(surface.sdk(agencies[SECOND]).get_received_edoc_list, {}))
    assert listed["data"] == []
    actions = [r["action"] for r in await pool.fetch("SELECT action FROM audit_log ORDER BY id")]
    assert actions.count("message.ack") == 2


async def test_bad_signatures_and_bad_files_never_get_documents(surface: Surface) -> None:
    agencies = surface.broker.agencies
    data = signed_document(surface, (FIRST,))
    sent = sdk_json(await call(surface.sdk(agencies[SENDER]).send_edoc, EDOC, data))
    impostor = VxpService(surface.base_url + "/vxp", agencies[FIRST].organ_id, "wrong-secret")
    refused = sdk_json(await call(impostor.get_edoc, {"docId": sent["DocId"]}))
    assert (refused["status"], refused["ErrorCode"], refused["data"]) == ("FAIL", "401", "")
    nothing = await call(impostor.download_edoc, {"docId": sent["DocId"]})
    assert nothing.status == 200 and nothing.body == b""
    outsider = surface.sdk(agencies[SECOND])
    assert sdk_json(await call(outsider.get_edoc, {"docId": sent["DocId"]}))["data"] == ""
    assert (await call(outsider.download_edoc, {"docId": sent["DocId"]})).body == b""

    sender = surface.sdk(agencies[SENDER])
    sender.header_map["hash-file"] = "0"
    tampered = sender.build_request("sendEdoc", EDOC, content_type="application/octet-stream",
                                    body=data + b"\r\n", send_edoc=True)  # fmt: skip
    answer = sdk_json(await call(sender.call, tampered))
    assert (answer["status"], answer["DocId"]) == ("FAIL", "")
    wrong_to = sdk_json(await call(sender.send_edoc, {**EDOC, "to": SECOND},
                                   signed_document(surface, (FIRST,))))  # fmt: skip
    assert (wrong_to["status"], wrong_to["DocId"]) == ("FAIL", "")
    unsigned = sdk_json(await call(sender.send_edoc, EDOC, envelopes.document(SENDER, (FIRST,))))
    assert (unsigned["status"], unsigned["DocId"]) == ("FAIL", "")
    count = await surface.broker.pool.fetchval("SELECT count(*) FROM messages")
    assert count == 1


async def test_truncated_non_ascii_headers_fail_clearly(surface: Surface) -> None:
    agency = surface.broker.agencies[FIRST]
    client = VxpService(surface.base_url + "/vxp", agency.organ_id, agency.secret,
                        truncate_non_ascii=True)  # fmt: skip
    answer = sdk_json(await call(client.get_received_edoc_list, {"note": "Hà Nội"}))
    assert answer["status"] == "FAIL" and "ASCII" in answer["ErrorDesc"]
    utf8 = surface.sdk(agency)
    assert sdk_json(await call(utf8.get_received_edoc_list, {"note": "Hà Nội"}))["status"] == "OK"


async def test_routing_prefix_slashes_and_unknown_operations(surface: Surface) -> None:
    agency = surface.broker.agencies[FIRST]
    trailing = surface.sdk(agency, endpoint=surface.base_url + "/vxp/")
    assert sdk_json(await call(trailing.get_agencies_list))["status"] == "OK"
    unknown = sdk_json(await call(trailing.call, trailing.build_request("noSuchThing", {})))
    assert unknown["status"] == "FAIL"
    outside = surface.sdk(agency, endpoint=surface.base_url + "/elsewhere")
    assert (await call(outside.get_agencies_list)).status == 404


async def test_upload_limit_gives_a_fail_answer(database_url: str) -> None:
    async with open_broker(database_url, max_message_bytes=4096) as broker:
        sender = await broker.add(SENDER)
        await broker.add(FIRST)
        runner = web.AppRunner(build_application(broker.runtime))
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            client = VxpService(f"http://127.0.0.1:{port}/vxp", SENDER, sender.secret)
            big = sender.sign(envelopes.document(SENDER, (FIRST,), payload=b"x" * 8000))
            answer = sdk_json(await call(client.send_edoc, EDOC, big))
            assert (answer["status"], answer["ErrorCode"], answer["DocId"]) == ("FAIL", "413", "")
        finally:
            await runner.cleanup()
