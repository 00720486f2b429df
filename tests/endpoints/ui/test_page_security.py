"""The pages' armour: headers on every answer, no inline script, actions re-checked by role."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from endpoints.ui.security_headers import CONTENT_SECURITY_POLICY
from tests.support.ui_pages import CLERK, OPERATOR, Pages, csrf_of, running_pages, sign_in

TEMPLATES = Path(__file__).resolve().parents[3] / "endpoints" / "ui" / "templates"


@pytest.fixture
async def pages(database_url: str) -> AsyncIterator[Pages]:
    async with running_pages(database_url) as running:
        yield running


def client() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


def test_no_template_carries_inline_script_style_or_handlers() -> None:
    """The policy allows no inline script or style, so none may be written."""
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template.name
        assert "<style" not in text and " style=" not in text, template.name
        assert not re.search(r"\son[a-z]+=", text), template.name


async def test_every_page_answer_forbids_framing_sniffing_and_foreign_script(
    pages: Pages,
) -> None:
    async with client() as http:
        for path in ("/ui/", "/ui/sent", "/ui/static/document.js", "/ui/no-such-page"):
            async with http.get(pages.base_url + path, allow_redirects=False) as answer:
                assert answer.headers["X-Frame-Options"] == "DENY", path
                assert answer.headers["X-Content-Type-Options"] == "nosniff", path
                assert answer.headers["Referrer-Policy"] == "same-origin", path
                policy = answer.headers["Content-Security-Policy"]
                assert policy == CONTENT_SECURITY_POLICY, path
                assert "frame-ancestors 'none'" in policy
                assert "unsafe-inline" not in policy
        async with http.get(pages.base_url + "/api/v1/openapi.json") as api:
            assert api.headers["X-Content-Type-Options"] == "nosniff"


async def test_a_clerk_cannot_post_an_operators_action(pages: Pages) -> None:
    message_id = await pages.send_document("V/v hỏng")
    pool = pages.broker.pool
    delivery_id = await pool.fetchval(
        "UPDATE deliveries SET transport_state = 'dead' WHERE message_id = $1 RETURNING id",
        message_id,
    )
    async with client() as http:
        await sign_in(http, pages.base_url, CLERK)
        async with http.get(pages.base_url + "/ui/sent") as page:
            token = csrf_of(await page.text())  # the clerk's own, valid token
        form = {"csrf": token, "delivery_id": str(delivery_id)}
        for action in ("retry", "discard"):
            async with http.post(pages.base_url + f"/ui/ops/dead/{action}", data=form) as refused:
                assert refused.status == 403, action
    assert await pool.fetchval(
        "SELECT transport_state FROM deliveries WHERE id = $1", delivery_id
    ) == "dead"  # fmt: skip
    # Signed out, the same post goes back to the sign-in page and changes nothing.
    async with (
        client() as http,
        http.post(
            pages.base_url + "/ui/ops/dead/retry", data=form, allow_redirects=False
        ) as anonymous,
    ):
        assert anonymous.status == 303 and anonymous.headers["Location"] == "/ui/"
    # Signing out needs the session's own token: a forged form cannot end it.
    async with client() as http:
        await sign_in(http, pages.base_url, OPERATOR)
        async with http.post(pages.base_url + "/ui/sign-out", data={"csrf": "sai"}) as forged:
            assert forged.status == 403
        async with http.get(pages.base_url + "/ui/ops") as still:
            assert still.status == 200
    assert await pool.fetchval(
        "SELECT transport_state FROM deliveries WHERE id = $1", delivery_id
    ) == "dead"  # fmt: skip
