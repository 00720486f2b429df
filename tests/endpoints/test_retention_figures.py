"""Retention on /metrics and on the operators' dashboard: bytes held, oldest unsettled,
next purge, held documents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from axis.retention import holds
from axis.retention.policy import Policy
from axis.retention.task import run_once
from tests.support.ui_pages import OPERATOR, Pages, running_pages, sign_in


@pytest.fixture
async def pages(database_url: str) -> AsyncIterator[Pages]:
    async with running_pages(database_url) as running:
        yield running


async def test_metrics_and_dashboard_show_retention(pages: Pages) -> None:
    message_id = await pages.send_document("V/v lưu giữ")
    pool = pages.broker.pool
    await holds.place(pool, message_id, "Thanh tra", "op", datetime.now(UTC))
    report = await run_once(pool, Policy(), None, now=datetime.now(UTC), holder="test")
    assert report.body_bytes_held > 0
    async with aiohttp.ClientSession() as http, http.get(pages.base_url + "/metrics") as answer:
        text = await answer.text()
    found = {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    assert found["axis_retention_body_bytes"] == report.body_bytes_held
    assert found["axis_retention_held_documents"] == 1
    # The document is not acked yet: it is the oldest unsettled one.
    assert found["axis_retention_oldest_unsettled_timestamp_seconds"] > 0
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await sign_in(http, pages.base_url, OPERATOR)
        async with http.get(pages.base_url + "/ui/ops") as page:
            html = await page.text()
    assert 'id="retention"' in html
    assert f"{report.body_bytes_held:,}" in html
    assert '<td data-figure="held-documents">1</td>' in html


async def test_the_clerks_pages_and_statistics_work_after_a_purge(pages: Pages) -> None:
    from datetime import timedelta

    from axis.retention.months import Month
    from axis.retention.purge import purge_month
    from axis.stats.refresh import refresh_with
    from tests.support.ui_pages import CLERK

    message_id = await pages.send_document("V/v đã xoá nội dung")
    pool = pages.broker.pool
    await pool.execute(
        "UPDATE deliveries SET transport_state = 'acked', acked_at = now() WHERE message_id = $1",
        message_id,
    )
    month = Month.of_message(message_id)
    assert month is not None
    later = month.ends_at + timedelta(days=120)
    purged = await purge_month(
        pool, month, Policy(), now=later, actor="op", bundle_path=None, without_archive=True
    )
    assert purged.bodies >= 1
    assert await refresh_with(pool, pages.broker.runtime.settings) is not None
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await sign_in(http, pages.base_url, CLERK)
        for path in ("/ui/sent", f"/ui/documents/{message_id}"):
            async with http.get(pages.base_url + path) as page:
                assert page.status == 200, path
                assert "V/v đã xoá nội dung" in await page.text()
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await sign_in(http, pages.base_url, OPERATOR)
        async with http.get(pages.base_url + "/ui/ops/stats") as page:
            assert page.status == 200
