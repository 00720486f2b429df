"""A page on another origin tries to frame the axis's pages, in a real Chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.support.ui_pages import Pages, running_pages
from tests.support.waiting import eventually


@pytest.fixture
async def pages(database_url: str) -> AsyncIterator[Pages]:
    async with running_pages(database_url) as running:
        yield running


async def _attacker(target: str) -> TestServer:
    """Another origin (another port): a page that frames ``target`` under a lure."""

    async def lure(_: web.Request) -> web.Response:
        html = (
            "<!doctype html><title>Quà tặng</title><p>Bấm vào đây!</p>"
            f'<iframe id="victim" src="{target}" width="800" height="600"></iframe>'
        )
        return web.Response(text=html, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", lure)
    server = TestServer(app)
    await server.start_server()
    return server


async def test_another_origin_that_frames_the_pages_gets_nothing(
    pages: Pages, browser: Any
) -> None:
    attacker = await _attacker(pages.base_url + "/ui/")
    try:
        page = await (await browser.new_context()).new_page()
        # The load event waits for the frame too, refused or not.
        await page.goto(str(attacker.make_url("/")), wait_until="load")
        await eventually(lambda: len(page.frames) == 2, what="the frame")
        frame = next(frame for frame in page.frames if frame != page.main_frame)
        # Chromium refuses to render it: the frame holds its own error page,
        # never the sign-in form the lure wanted to put under the visitor's click.
        assert await frame.locator("input[name=username]").count() == 0
        assert not frame.url.startswith(pages.base_url)
        # The same page opened directly, not framed, works.
        await page.goto(pages.base_url + "/ui/")
        assert await page.locator("input[name=username]").count() == 1
    finally:
        await attacker.close()
