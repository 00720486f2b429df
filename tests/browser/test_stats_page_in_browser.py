"""Thống kê trách nhiệm and Văn bản quá hạn in a real browser (chromium via Playwright).

Like the other browser tests: FAILS in CI without chromium, skips elsewhere.
Screenshots land in test-artifacts/screenshots/.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from axis.stats.refresh import refresh_with
from tests.browser.conftest import SCREENSHOTS, sign_in
from tests.support import histories
from tests.support.histories import AgencyRecord
from tests.support.stats_expectations import Model, Rules
from tests.support.ui_pages import (
    CLERK,
    OPERATOR,
    OTHER,
    PASSWORD,
    RECIPIENT,
    SENDER,
    Pages,
    running_pages,
)

PROVINCE = "000.00.00.H53"
AGENCIES = tuple(AgencyRecord(o, f"Agency {o}", PROVINCE) for o in (SENDER, RECIPIENT, OTHER))
FIRST, LAST = date(2025, 4, 20), date(2025, 5, 20)


@pytest.fixture
async def pages(database_url: str) -> AsyncIterator[Pages]:
    async with running_pages(database_url) as running:
        yield running


async def _history(pages: Pages) -> Model:
    documents = list(
        histories.documents(
            random.Random(4), AGENCIES, 500, start=histories.utc(2025, 4, 21), days=20,
            silent=frozenset({OTHER}),
        )
    )  # fmt: skip
    async with pages.broker.pool.acquire() as connection:
        await histories.insert_documents(connection, documents)
    await refresh_with(pages.broker.pool, pages.broker.runtime.settings)
    return Model(AGENCIES, documents, Rules())


async def _column(page: Any, field: str) -> list[int]:
    texts = await page.locator(f"#ranking tbody td[data-field={field}]").all_inner_texts()
    return [int(text) for text in texts]


async def test_operator_ranks_agencies_and_drills_into_a_province(
    pages: Pages, browser: Any
) -> None:
    model = await _history(pages)
    now = datetime.now(UTC)
    page = await (await browser.new_context(viewport={"width": 1400, "height": 900})).new_page()
    await sign_in(page, pages.base_url, OPERATOR, PASSWORD)
    await page.wait_for_url("**/ui/ops")
    await page.get_by_role("link", name="Thống kê trách nhiệm").click()
    await page.wait_for_url("**/ui/ops/stats")
    await page.fill("#period input[name=from]", FIRST.isoformat())
    await page.fill("#period input[name=to]", LAST.isoformat())
    await page.get_by_role("button", name="Xem").click()
    await page.wait_for_url("**/ui/ops/stats?*from=2025-04-20*")

    province = model.figures(PROVINCE, FIRST, LAST, now)
    row = page.locator(f'#ranking tr[data-organ="{PROVINCE}"]')
    assert await row.locator("td[data-field=overdue_receipt]").inner_text() == str(
        province["overdue_receipt"]
    )
    assert "chưa đăng ký" in await row.inner_text()
    assert await page.locator("#chart-slowest rect.bar-main").count() == 1
    await page.screenshot(path=str(SCREENSHOTS / "06-stats-ranking.png"), full_page=True)

    await row.get_by_role("link").click()
    await page.wait_for_url(f"**parent={PROVINCE}*")
    assert await page.locator("#ranking tbody tr").count() == 3
    await page.locator("#ranking th[data-sort=overdue_receipt] a").click()
    await page.wait_for_url("**sort=overdue_receipt*")
    worst_first = await _column(page, "overdue_receipt")
    expected = {
        o: model.figures(o, FIRST, LAST, now, rollup=False)["overdue_receipt"]
        for o, _ in ((a.organ_id, a) for a in AGENCIES)
    }
    assert (
        sorted(worst_first, reverse=True) == worst_first == sorted(expected.values(), reverse=True)
    )
    assert await page.locator("#chart-slowest rect.bar-main").count() == 2  # OTHER never answers
    assert await page.locator("#silent tbody tr[data-organ]").count() == 1
    await page.screenshot(
        path=str(SCREENSHOTS / "07-stats-province-by-overdue.png"), full_page=True
    )

    await page.locator("#ranking th[data-sort=overdue_receipt] a").click()
    await page.wait_for_url("**order=asc*")
    assert await _column(page, "overdue_receipt") == sorted(worst_first)
    async with page.expect_download() as download_info:
        await page.locator("#csv").click()
    download = await download_info.value
    assert download.suggested_filename.endswith(".csv")


async def test_clerk_sees_the_documents_overdue_at_its_recipients(
    pages: Pages, browser: Any
) -> None:
    model = await _history(pages)
    expected = model.overdue(datetime.now(UTC), senders={SENDER})
    page = await (await browser.new_context(viewport={"width": 1400, "height": 900})).new_page()
    await sign_in(page, pages.base_url, CLERK, PASSWORD)
    await page.wait_for_url("**/ui/sent")
    await page.get_by_role("link", name="Văn bản quá hạn").click()
    await page.wait_for_url("**/ui/overdue")
    assert await page.inner_text("[data-count=total]") == str(len(expected))
    assert await page.locator("#overdue tbody tr[data-delivery]").count() == min(len(expected), 50)
    await page.screenshot(path=str(SCREENSHOTS / "08-clerk-overdue.png"), full_page=True)
