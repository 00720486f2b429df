"""Urgent first over HTTP: the native inbox with its cursor, and the VXP lists."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from endpoints.application import build_application
from tests.support.envelopes import Api, Broker, document, open_api, open_broker
from tests.support.processes import free_port
from tests.support.vxp_client import VxpService

SENDER = "000.00.00.G22"
RECIPIENT = "000.00.00.H41"
PRIORITIES = (0, 2, 4, 0, 1, 4, 3, 0)


def urgent_first(sent: list[tuple[str, int]]) -> list[str]:
    ranked = sorted(enumerate(sent), key=lambda entry: (-entry[1][1], entry[0]))
    return [message_id for _, (message_id, _) in ranked]


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[Api]:
    async with open_api(database_url, SENDER, RECIPIENT) as opened:
        yield opened


async def send(api: Api, priority: int) -> str:
    body = await api.send(SENDER, document(SENDER, [RECIPIENT], priority=priority))
    return str(body["id"])


async def inbox_pass(api: Api, limit: int) -> list[str]:
    listed: list[str] = []
    cursor: str | None = None
    while True:
        query = f"/api/v1/inbox?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        code, page = await api.get_json(RECIPIENT, query)
        assert code == 200, page
        listed.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return listed


async def test_inbox_pages_urgent_first_and_an_arrival_between_pages(api: Api) -> None:
    sent = [(await send(api, priority), priority) for priority in PRIORITIES]
    assert await inbox_pass(api, 3) == urgent_first(sent)

    code, first = await api.get_json(RECIPIENT, "/api/v1/inbox?limit=3")
    assert code == 200
    urgent = await send(api, 4)
    code, second = await api.get_json(
        RECIPIENT, f"/api/v1/inbox?limit=100&cursor={first['next_cursor']}"
    )
    assert code == 200
    pass_ids = [item["id"] for item in first["items"] + second["items"]]
    # Page 1 ended in priority 3, so the hỏa tốc arrival ranks before the
    # cursor: not in this pass (which repeats nothing), but on the next pass,
    # from the start, among the urgent ones.
    assert pass_ids == urgent_first(sent)
    assert await inbox_pass(api, 3) == urgent_first([*sent, (urgent, 4)])


@pytest.fixture
async def vxp(database_url: str) -> AsyncIterator[tuple[Broker, str]]:
    async with open_broker(database_url) as broker:
        for organ_id in (SENDER, RECIPIENT):
            await broker.add(organ_id)
        runner = web.AppRunner(build_application(broker.runtime))
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            yield broker, f"http://127.0.0.1:{port}/vxp"
        finally:
            await runner.cleanup()


async def vxp_data(function: Any, header: dict[str, Any]) -> list[dict[str, str]]:
    answer = await asyncio.to_thread(function, header)
    body = json.loads(answer.body)
    assert body["ErrorCode"] == "0", body
    items: list[dict[str, str]] = body["data"]
    return items


async def test_vxp_received_and_sent_lists_are_urgent_first(vxp: tuple[Broker, str]) -> None:
    broker, url = vxp
    agency = await broker.runtime.registry.require(SENDER)
    sent = []
    for priority in PRIORITIES:
        data = broker.agencies[SENDER].sign(document(SENDER, [RECIPIENT], priority=priority))
        sent.append(((await broker.runtime.intake.submit(agency, data)).id, priority))
    header = {"servicetype": "eDoc", "messagetype": "edoc"}

    recipient = VxpService(url, RECIPIENT, broker.agencies[RECIPIENT].secret)
    received = await vxp_data(recipient.get_received_edoc_list, header)
    assert [item["docId"] for item in received] == urgent_first(sent)

    sender = VxpService(url, SENDER, broker.agencies[SENDER].secret)
    listed = await vxp_data(sender.get_sent_edoc_list, header)
    # Sent messages never leave the list, so it is the most recent ones (all
    # of them here), urgent first and newest first within a priority.
    newest_first = list(reversed(sent))
    assert [item["senderDocId"] for item in listed] == urgent_first(newest_first)
