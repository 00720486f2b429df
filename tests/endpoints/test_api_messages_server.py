"""The native API through a real ``axis serve`` process and real HTTP."""

from __future__ import annotations

import asyncio
import json
import urllib.parse
import urllib.request
from pathlib import Path

from tests.support.envelopes import document, open_broker
from tests.support.openapi_check import served_description
from tests.support.processes import start_server

SENDER = "000.00.00.G22"
RECIPIENT = "000.00.00.H41"


def _exchange(
    url: str, secret: str, data: bytes | None, content_type: str
) -> tuple[str, int, str, bytes]:
    method = "POST" if data is not None else "GET"
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {secret}")
    if data is not None:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return method, int(answer.status), answer.headers.get_content_type(), answer.read()
    except urllib.error.HTTPError as error:
        return method, int(error.code), error.headers.get_content_type(), error.read()


async def _call(
    url: str, secret: str, data: bytes | None = None, content_type: str = "application/xml"
) -> tuple[int, bytes]:
    """One request to the real server; a JSON answer is checked against the served OpenAPI."""
    method, status, answer_type, body = await asyncio.to_thread(
        _exchange, url, secret, data, content_type
    )
    if answer_type in ("application/json", "application/problem+json"):
        description = await served_description()
        description.check(method, urllib.parse.urlsplit(url).path, status, answer_type, body)
    return status, body


async def test_send_pull_and_ack_through_a_real_server(database_url: str, tmp_path: Path) -> None:
    async with open_broker(database_url) as broker:
        sender = await broker.add(SENDER)
        recipient = await broker.add(RECIPIENT)
    server = start_server(["--database-url", database_url, "--workers", "2"], tmp_path / "s.log")
    try:
        await asyncio.to_thread(server.wait_ready)
        base = server.base_url + "/api/v1"
        data = sender.sign(document(SENDER, [RECIPIENT]))
        code, body = await _call(f"{base}/messages", sender.secret, data)
        assert code == 202, body
        message_id = json.loads(body)["id"]
        code, body = await _call(f"{base}/messages", sender.secret, data)
        assert code == 200 and json.loads(body)["id"] == message_id
        code, body = await _call(f"{base}/inbox", recipient.secret)
        assert [item["id"] for item in json.loads(body)["items"]] == [message_id]
        code, body = await _call(f"{base}/messages/{message_id}", recipient.secret)
        assert (code, body) == (200, data)
        code, body = await _call(
            f"{base}/messages/{message_id}/ack", recipient.secret, b"", "application/json"
        )
        assert code == 200, body
        code, body = await _call(f"{base}/messages/{message_id}/tracking", sender.secret)
        assert json.loads(body)["recipients"][0]["transport_state"] == "acked"
        code, body = await _call(f"{base}/messages", "wrong", data)
        assert code == 401 and json.loads(body)["code"] == "auth.invalid"
    finally:
        assert server.stop() == 0, server.log()
