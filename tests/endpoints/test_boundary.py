"""Issue #15's examples of text that reached a parser or the database unchecked.

Each was a 500 (or a VXP error inside the axis) before the boundary; each is
now a refusal that names the field and the rule: a 400 problem ``input.<rule>``
on the native API and the pages, the SDK's FAIL shape on the VXP surface, a
422 refusal for a signed envelope whose identifier cannot be stored.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web

from axis.boundary import InputRefused
from axis.vxp.documents import parse_to
from endpoints.application import build_application
from tests.support import ui_pages
from tests.support.envelopes import Broker, document, open_broker
from tests.support.processes import free_port
from tests.support.vxp_client import Answer, VxpService

SENDER, RECIPIENT = "000.00.00.G22", "000.00.00.H41"


class Served:
    def __init__(self, broker: Broker, port: int) -> None:
        self.broker = broker
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"

    def sdk(self, organ_id: str) -> VxpService:
        agency = self.broker.agencies[organ_id]
        return VxpService(self.base_url + "/vxp", agency.organ_id, agency.secret)

    def headers(self, organ_id: str) -> dict[str, str]:
        return self.broker.agencies[organ_id].headers

    async def raw(self, request: bytes) -> tuple[int, bytes]:
        """One request written byte for byte; the status and the body of the answer."""

        def exchange() -> bytes:
            with socket.create_connection(("127.0.0.1", self.port), timeout=30) as sock:
                sock.sendall(request)
                chunks = []
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
                return b"".join(chunks)

        answer = await asyncio.to_thread(exchange)
        head, _, body = answer.partition(b"\r\n\r\n")
        return int(head.split(b" ", 2)[1]), body


@pytest.fixture
async def served(database_url: str) -> AsyncIterator[Served]:
    async with open_broker(database_url) as broker:
        await broker.add(SENDER)
        await broker.add(RECIPIENT)
        runner = web.AppRunner(build_application(broker.runtime))
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            yield Served(broker, port)
        finally:
            await runner.cleanup()


def _problem(status: int, body: bytes, code: str) -> dict[str, Any]:
    assert status == 400, body
    problem: dict[str, Any] = json.loads(body)
    assert problem["code"] == code, problem
    assert problem["status"] == 400
    return problem


async def _get(served: Served, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    async with (
        aiohttp.ClientSession() as client,
        client.get(served.base_url + path, headers=headers) as answer,
    ):
        return answer.status, await answer.read()


async def test_a_bearer_token_that_is_not_utf8_is_refused(served: Served) -> None:
    status, body = await served.raw(
        b"GET /api/v1/inbox HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Authorization: Bearer \xff\xfe\r\n\r\n"
    )
    problem = _problem(status, body, "input.not_utf8")
    assert "Authorization" in problem["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/messages/ab%00cd",
        "/api/v1/messages/ab%00cd/tracking",
        "/api/v1/agencies?q=%00",
        "/api/v1/agencies?parent=x%00",
        "/api/v1/agencies/000.00.00.G22%00",
        "/api/v1/inbox?cursor=%00",
    ],
)
async def test_nul_anywhere_in_the_target_is_refused(served: Served, path: str) -> None:
    status, body = await _get(served, path, served.headers(SENDER))
    problem = _problem(status, body, "input.control_character")
    assert "U+0000" in problem["detail"]


async def test_an_inbox_cursor_with_a_unicode_digit_is_refused(served: Served) -> None:
    status, body = await _get(served, "/api/v1/inbox?cursor=4.%C2%B2", served.headers(SENDER))
    problem = _problem(status, body, "input.malformed")
    assert problem["detail"].startswith("cursor:")


async def test_an_over_long_message_id_is_refused(served: Served) -> None:
    status, body = await _get(served, "/api/v1/messages/" + "a" * 129, served.headers(SENDER))
    _problem(status, body, "input.too_long")


async def test_a_validly_signed_document_with_a_huge_document_id_is_refused(
    served: Served,
) -> None:
    huge = f"{SENDER},2026/11/20,1/" + "X" * 5000
    data = served.broker.agencies[SENDER].sign(document(SENDER, [RECIPIENT], document_id=huge))
    async with (
        aiohttp.ClientSession() as client,
        client.post(
            served.base_url + "/api/v1/messages",
            data=data,
            headers={"Content-Type": "application/xml", **served.headers(SENDER)},
        ) as answer,
    ):
        status, problem = answer.status, await answer.json(content_type=None)
    assert status == 422, problem
    assert problem["code"] == "input.too_long"
    assert "MessageHeader/DocumentId" in problem["detail"]
    assert await served.broker.pool.fetchval("SELECT count(*) FROM messages") == 0
    assert await served.broker.pool.fetchval("SELECT code FROM refusals") == "input.too_long"


async def test_a_document_id_at_the_limit_is_stored(served: Served) -> None:
    at_limit = "Đ" * 512  # 1,024 UTF-8 bytes; 4-byte characters would be 2,048
    data = served.broker.agencies[SENDER].sign(document(SENDER, [RECIPIENT], document_id=at_limit))
    async with (
        aiohttp.ClientSession() as client,
        client.post(
            served.base_url + "/api/v1/messages",
            data=data,
            headers={"Content-Type": "application/xml", **served.headers(SENDER)},
        ) as answer,
    ):
        assert answer.status == 202, await answer.text()


async def _vxp(function: Any, *arguments: Any, **keywords: Any) -> dict[str, Any]:
    answer: Answer = await asyncio.to_thread(function, *arguments, **keywords)
    assert answer.status == 200, answer
    body: dict[str, Any] = json.loads(answer.body.decode("ascii"))
    assert {"status", "ErrorCode", "ErrorDesc"} <= set(body)
    return body


def _signed_only(sdk: VxpService, operation: str, header_json: dict[str, str], **kw: Any) -> Answer:
    """A request whose control characters travel only escaped inside the signed JSON:
    the plain header lines the SDK also sends are cleaned, as HTTP requires."""
    request = sdk.build_request(operation, header_json, **kw)
    head, _, body = request.partition(b"\r\n\r\n")
    lines = [
        line if line.lower().startswith(b"xroadvnpt-sign-header:") else line.replace(b"\x00", b"")
        for line in head.split(b"\r\n")
    ]
    return sdk.call(b"\r\n".join(lines) + b"\r\n\r\n" + body)


@pytest.mark.parametrize("operation", ["getEdoc", "updateStatus", "getSentEdocList"])
async def test_a_vxp_doc_id_with_nul_is_a_fail_answer(served: Served, operation: str) -> None:
    sdk = served.sdk(RECIPIENT)
    header = {"docId": "ab\u0000cd", "status": "done"}
    body = await _vxp(_signed_only, sdk, operation, header)
    assert (body["status"], body["ErrorCode"]) == ("FAIL", "400"), body
    assert "docid" in body["ErrorDesc"].lower()


async def test_a_vxp_download_with_nul_in_the_doc_id_is_empty(served: Served) -> None:
    sdk = served.sdk(RECIPIENT)
    answer = await asyncio.to_thread(
        _signed_only, sdk, "downloadEdoc", {"docId": "ab\u0000cd"}, method="GET"
    )
    assert (answer.status, answer.body) == (200, b"")


async def test_a_vxp_sign_header_of_nested_brackets_is_a_fail_answer(served: Served) -> None:
    secret = served.broker.agencies[RECIPIENT].secret
    sign_header = b'{"XroadVnpt-systemid":' + b"[" * 3000 + b"]" * 3000 + b"}"
    digest = hmac.new(secret.encode(), sign_header, hashlib.sha256).hexdigest().encode()
    status, body = await served.raw(
        b"POST /vxp/getReceivedEdocList HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"XroadVnpt-sign-header: " + sign_header + b"\r\n"
        b"XroadVnpt-hash-header: " + digest + b"\r\nContent-Length: 0\r\n\r\n"
    )
    answer = json.loads(body)
    assert (status, answer["status"], answer["ErrorCode"]) == (200, "FAIL", "401"), answer
    assert "nests" in answer["ErrorDesc"]


async def test_a_vxp_to_header_of_nested_brackets_is_a_fail_answer(served: Served) -> None:
    sdk = served.sdk(SENDER)
    data = served.broker.agencies[SENDER].sign(document(SENDER, [RECIPIENT]))
    nested = "[" * 3000 + "]" * 3000
    body = await _vxp(sdk.send_edoc, {"from": SENDER, "messagetype": "edoc", "to": nested}, data)
    assert (body["status"], body["ErrorCode"]) == ("FAIL", "400"), body
    assert body["DocId"] == ""
    assert body["ErrorDesc"].startswith("to:")


def test_a_to_value_of_nested_brackets_is_refused_without_recursion() -> None:
    with pytest.raises(InputRefused) as refused:
        parse_to("[" * 100_000 + "]" * 100_000)
    assert (refused.value.field, refused.value.code) == ("to", "input.too_deep")
    assert parse_to('["000.00.00.H41", "000.00.00.G22"]') == {"000.00.00.H41", "000.00.00.G22"}
    assert parse_to("000.00.00.H41") == {"000.00.00.H41"}


@pytest.mark.parametrize("system_id", ["a\u0000b", "x" * 65, "a b", "[1]"])
async def test_a_malformed_vxp_system_id_is_a_fail_answer(served: Served, system_id: str) -> None:
    sdk = served.sdk(RECIPIENT)
    body = await _vxp(_signed_only, sdk, "countReceiveEdoc", {"systemid": system_id}, body=b"{}")
    assert (body["status"], body["ErrorCode"], body["count"]) == ("FAIL", "401", 0), body


async def test_a_vxp_agency_code_with_nul_is_a_fail_answer(served: Served) -> None:
    body = await _vxp(_signed_only, served.sdk(SENDER), "deleteAgency", {"agencycode": "x\u0000"})
    assert (body["status"], body["ErrorCode"]) == ("FAIL", "400"), body


@pytest.fixture
async def pages(database_url: str) -> AsyncIterator[ui_pages.Pages]:
    async with ui_pages.running_pages(database_url) as running:
        yield running


async def test_nul_in_a_page_search_box_is_refused(pages: ui_pages.Pages) -> None:
    async with aiohttp.ClientSession() as client:
        await ui_pages.sign_in(client, pages.base_url, ui_pages.CLERK)
        async with client.get(pages.base_url + "/ui/sent?q=a%00b") as answer:
            status, body = answer.status, await answer.read()
    _problem(status, body, "input.control_character")


async def test_nul_in_a_sign_in_form_is_refused(pages: ui_pages.Pages) -> None:
    async with aiohttp.ClientSession() as client:
        async with client.get(pages.base_url + "/ui/") as page:
            token = ui_pages.csrf_of(await page.text())
        form = {"csrf": token, "username": "van\u0000thu", "password": "x"}
        async with client.post(pages.base_url + "/ui/sign-in", data=form) as answer:
            status, body = answer.status, await answer.read()
    _problem(status, body, "input.control_character")


@pytest.mark.parametrize(
    ("arguments", "wrong"),
    [
        (["agency", "show", "000.00.00.G22\x00"], "control character"),
        (["agency", "suspend", "x" * 65], "at most 64"),
        (["agency", "list", "--q", "a\x00"], "control character"),
        (["agency", "list", "--cursor", "4.²"], "printable ASCII"),
        (["user", "add", "van\x00thu", "--role", "operator"], "control character"),
    ],
)
def test_command_line_arguments_that_reach_the_database_are_checked(
    arguments: list[str], wrong: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from axis.cli import main

    assert main(arguments) == 2
    err = capsys.readouterr().err
    assert err.startswith("axis: ") and wrong in err and "Traceback" not in err


async def test_a_value_the_database_refuses_is_still_a_400() -> None:
    """The net under the boundary: the database's refusal of a value is the caller's error."""
    from aiohttp.test_utils import TestClient, TestServer

    from endpoints.problems import problem_middleware

    async def storing(request: web.Request) -> web.Response:
        raise asyncpg.exceptions.CharacterNotInRepertoireError("invalid byte sequence")

    app = web.Application(middlewares=[problem_middleware])
    app.router.add_get("/api/store", storing)
    async with TestClient(TestServer(app)) as client, client.get("/api/store") as answer:
        _problem(answer.status, await answer.read(), "input.refused_by_database")
