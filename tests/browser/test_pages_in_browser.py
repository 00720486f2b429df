"""A clerk and an operator in a real browser (Debian's chromium, driven by Playwright).

Screenshots land in test-artifacts/screenshots/ for people to look at.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.browser.conftest import SCREENSHOTS, sign_in
from tests.support.ui_pages import CLERK, OPERATOR, PASSWORD, Pages, running_pages


@pytest.fixture
async def pages(database_url: str) -> AsyncIterator[Pages]:
    async with running_pages(database_url) as running:
        yield running


async def test_clerk_watches_a_status_arrive_without_reloading(pages: Pages, browser: Any) -> None:
    message_id = await pages.send_document("V/v triển khai trục liên thông năm 2027")
    page = await (await browser.new_context(viewport={"width": 1280, "height": 800})).new_page()

    await sign_in(page, pages.base_url, CLERK, "mat-khau-sai")
    alert = page.locator("p.error")
    await alert.wait_for()
    assert await alert.inner_text() == "Tên đăng nhập hoặc mật khẩu không đúng."
    await page.screenshot(path=str(SCREENSHOTS / "01-wrong-password.png"))

    await sign_in(page, pages.base_url, CLERK, PASSWORD)
    await page.wait_for_url("**/ui/sent")
    row = page.locator("table.list tbody tr", has_text="triển khai trục liên thông")
    await row.wait_for()
    await page.screenshot(path=str(SCREENSHOTS / "02-sent-list.png"))

    await row.locator("a").click()
    await page.wait_for_url(f"**/ui/documents/{message_id}")
    timeline = page.locator("#recipients tbody")
    assert "Chưa có phản hồi" in await timeline.inner_text()
    # Marks the document so a reload would be noticed: the mark must survive.
    await page.evaluate("window.__notReloaded = true")

    await pages.send_status(message_id, "01")
    await pages.send_status(message_id, "03")
    await page.locator("#recipients li", has_text="Đã tiếp nhận").wait_for(timeout=10_000)
    assert await page.evaluate("window.__notReloaded === true")
    text = await timeline.inner_text()
    assert text.index("Đã đến") < text.index("Đã tiếp nhận")
    await page.screenshot(path=str(SCREENSHOTS / "03-document-live-status.png"), full_page=True)


async def test_operator_sees_backlog_and_retries_a_dead_delivery(
    pages: Pages, browser: Any
) -> None:
    alive = await pages.send_document("V/v đang chờ")
    dead = await pages.send_document("V/v gửi hỏng")
    pool = pages.broker.pool
    await pool.execute(
        "UPDATE deliveries SET transport_state = 'dead', attempts = 12, "
        "last_error = 'HTTP 503 Service Unavailable' WHERE message_id = $1",
        dead,
    )
    waiting = await pool.fetchval(
        "SELECT count(*) FROM deliveries WHERE transport_state = 'queued'"
    )
    assert alive and waiting >= 1
    page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
    await sign_in(page, pages.base_url, OPERATOR, PASSWORD)
    await page.wait_for_url("**/ui/ops")
    assert await page.inner_text("td[data-state=queued]") == str(waiting)
    assert await page.inner_text("td[data-state=dead]") == "1"
    assert "gửi không thành công" in await page.inner_text("section.alerts")
    await page.screenshot(path=str(SCREENSHOTS / "04-ops-dashboard.png"), full_page=True)

    await (
        page.locator("#dead tbody tr", has_text="HTTP 503")
        .get_by_role("button", name="Gửi lại")
        .click()
    )
    await page.locator("p.notice").wait_for()
    assert await page.inner_text("td[data-state=dead]") == "0"
    state = await pool.fetchval(
        "SELECT transport_state FROM deliveries WHERE message_id = $1", dead
    )
    assert state == "queued"
    await page.screenshot(path=str(SCREENSHOTS / "05-ops-after-retry.png"), full_page=True)
