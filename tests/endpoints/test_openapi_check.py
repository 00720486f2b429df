"""The check every /api/v1 JSON answer goes through in these tests (tests.support.openapi_check)."""

from __future__ import annotations

import json

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from tests.support import openapi_check
from tests.support.openapi_check import UndescribedAnswer, served_description

PROBLEM = "application/problem+json"


async def test_a_described_answer_passes() -> None:
    description = await served_description()
    problem = {
        "type": "about:blank",
        "title": "Not found",
        "status": 404,
        "code": "x",
        "detail": "d",
    }
    body = json.dumps(problem).encode()
    description.check("GET", "/api/v1/messages/abc/tracking", 404, PROBLEM, body)


@pytest.mark.parametrize(
    ("method", "path", "status", "content_type", "body", "complaint"),
    [
        ("GET", "/api/v1/nowhere", 200, "application/json", b"{}", "no path"),
        ("DELETE", "/api/v1/inbox", 200, "application/json", b"{}", "describes no DELETE"),
        ("GET", "/api/v1/inbox", 418, "application/json", b"{}", "no 418 answer"),
        ("GET", "/api/v1/inbox", 200, "text/plain", b"{}", "declares no text/plain"),
        ("GET", "/api/v1/inbox", 200, "application/json", b"[1]", "breaks"),
    ],
)  # fmt: skip
async def test_an_undescribed_answer_fails(
    method: str, path: str, status: int, content_type: str, body: bytes, complaint: str
) -> None:
    description = await served_description()
    with pytest.raises(UndescribedAnswer, match=complaint):
        description.check(method, path, status, content_type, body)


async def test_literal_paths_win_over_templates() -> None:
    description = await served_description()
    templated = [path for path in description.document["paths"] if "{" in path]
    assert templated, "the document has templated paths"
    for path in description.document["paths"]:
        if "{" not in path:
            assert description.route_of(path) == path


async def test_the_check_is_on_for_every_client_of_these_tests() -> None:
    async def nowhere(request: web.Request) -> web.Response:
        return web.json_response({"surprise": True})

    app = web.Application()
    app.router.add_get("/api/v1/nowhere", nowhere)
    before = openapi_check.checked_answers[0]
    async with TestClient(TestServer(app)) as client:
        with pytest.raises(UndescribedAnswer, match="no path"):
            await client.get("/api/v1/nowhere")
    assert openapi_check.checked_answers[0] == before + 1
