"""A clerk follows a document relayed to another province's axis, in a real browser."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from axis.registry.peers import DirectoryEntry
from tests.browser.conftest import SCREENSHOTS, sign_in
from tests.support.ui_pages import CLERK, PASSWORD, RECIPIENT, Pages, running_pages

REMOTE = "000.00.07.H40"


@pytest.fixture
async def pages(database_url: str) -> AsyncIterator[Pages]:
    async with running_pages(database_url) as running:
        peers = running.broker.runtime.peers
        await peers.add_peer("nation", "https://nation.example", ["*"])
        await peers.replace_directory(
            "nation", [DirectoryEntry(REMOTE, "Sở Nội vụ Nghệ An", None, "nghe-an")],
            own_name="here",
        )  # fmt: skip
        yield running


async def test_clerk_finds_the_remote_recipient_and_sees_the_hop(
    pages: Pages, browser: Any
) -> None:
    local = await pages.send_document("V/v gửi trong tỉnh", (RECIPIENT,))
    relayed = await pages.send_document("V/v gửi sang Nghệ An", (RECIPIENT,))
    # As the relay road writes a recipient beyond the nation, once the nation took it.
    await pages.broker.pool.execute(
        "UPDATE deliveries SET recipient_id = $2, mode = 'relay', via = 'nation', "
        "transport_state = 'relayed' WHERE message_id = $1",
        relayed, REMOTE,
    )  # fmt: skip
    assert local
    page = await (await browser.new_context(viewport={"width": 1280, "height": 800})).new_page()
    await sign_in(page, pages.base_url, CLERK, PASSWORD)
    await page.wait_for_url("**/ui/sent")
    option = page.locator("select[name=recipient] option", has_text="Sở Nội vụ Nghệ An")
    assert "qua trục nghe-an" in await option.inner_text()
    await page.select_option("select[name=recipient]", REMOTE)
    await page.get_by_role("button", name="Lọc").click()
    await page.wait_for_url(f"**recipient={REMOTE}**")
    rows = page.locator("table.list tbody tr")
    assert await rows.count() == 1
    assert "gửi sang Nghệ An" in await rows.first.inner_text()

    await rows.first.locator("a").click()
    await page.wait_for_url(f"**/ui/documents/{relayed}")
    timeline = page.locator("#recipients tbody")
    text = await timeline.inner_text()
    assert "Sở Nội vụ Nghệ An (000.00.07.H40)" in text
    assert "Đã chuyển tiếp qua nation" in text
    await page.screenshot(path=str(SCREENSHOTS / "20-relayed-document.png"), full_page=True)
