"""Thống kê trách nhiệm and Văn bản quá hạn over HTTP: who may see them, and what they show."""

from __future__ import annotations

import csv
import io
import random
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import aiohttp
import pytest

from axis.stats.refresh import refresh_with
from tests.support import histories
from tests.support.histories import AgencyRecord
from tests.support.stats_expectations import Model, Rules
from tests.support.ui_pages import CLERK, OPERATOR, OTHER, RECIPIENT, SENDER, Pages, running_pages
from tests.support.ui_pages import sign_in as sign_in_as

# The page server's agencies; their parent 000.00.00.H53 is not registered.
PROVINCE = "000.00.00.H53"
AGENCIES = tuple(AgencyRecord(o, f"Agency {o}", PROVINCE) for o in (SENDER, RECIPIENT, OTHER))
AGENCIES_IDS = tuple(a.organ_id for a in AGENCIES)
PERIOD = "from=2025-04-20&to=2025-05-20"
FIRST, LAST = date(2025, 4, 20), date(2025, 5, 20)


@pytest.fixture
async def pages(database_url: str) -> AsyncIterator[Pages]:
    async with running_pages(database_url) as running:
        yield running


@pytest.fixture
async def model(pages: Pages) -> Model:
    documents = list(
        histories.documents(
            random.Random(3), AGENCIES, 400, start=histories.utc(2025, 4, 21), days=20
        )
    )
    async with pages.broker.pool.acquire() as connection:
        await histories.insert_documents(connection, documents)
    await refresh_with(pages.broker.pool, pages.broker.runtime.settings)
    return Model(AGENCIES, documents, Rules())


def client() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


def _cells(html: str, organ_id: str, field: str) -> str:
    row = re.search(rf'<tr data-organ="{re.escape(organ_id)}">(.*?)</tr>', html, re.S)
    assert row is not None, organ_id
    cell = re.search(rf'data-field="{field}">([^<]*)<', row[1])
    assert cell is not None, field
    return cell[1]


async def test_the_operator_ranking_shows_the_figures(pages: Pages, model: Model) -> None:
    now = datetime.now(UTC)
    async with client() as http:
        await sign_in_as(http, pages.base_url, OPERATOR)
        async with http.get(f"{pages.base_url}/ui/ops/stats?{PERIOD}") as page:
            assert page.status == 200
            html = await page.text()
        province = model.figures(PROVINCE, FIRST, LAST, now)
        assert "Thống kê trách nhiệm" in html and "chưa đăng ký" in html
        assert _cells(html, PROVINCE, "overdue_receipt") == str(province["overdue_receipt"])
        assert _cells(html, PROVINCE, "overdue_due_date") == str(province["overdue_due_date"])
        assert html.count("<polyline") == 2 and 'id="chart-slowest"' in html
        async with http.get(f"{pages.base_url}/ui/ops/stats?{PERIOD}&flat=1&sort=sent") as page:
            html = await page.text()
        sent = [model.figures(o, FIRST, LAST, now, rollup=False)["sent"] for o in AGENCIES_IDS]
        shown = re.findall(r'<tr data-organ="([^"]+)">', html.split('id="silent"')[0])
        assert shown == [
            o for _, o in sorted(zip(sent, AGENCIES_IDS, strict=True), key=lambda p: -p[0])
        ]
        async with http.get(f"{pages.base_url}/ui/ops/stats.csv?{PERIOD}&flat=1") as export:
            assert export.status == 200 and export.content_type == "text/csv"
            data = await export.read()
        assert data.startswith(b"\xef\xbb\xbf")
        lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert lines[0][:3] == ["Mã định danh", "Tên cơ quan", "Cơ quan cấp trên"]
        received = {line[0]: int(line[6]) for line in lines[1:]}
        assert received == {
            o: model.figures(o, FIRST, LAST, now, rollup=False)["received"] for o in AGENCIES_IDS
        }


async def test_clerks_may_not_see_the_ranking(pages: Pages, model: Model) -> None:
    async with client() as http:
        await sign_in_as(http, pages.base_url, CLERK)
        for path in ("/ui/ops/stats", "/ui/ops/stats.csv", "/ui/ops/overdue"):
            async with http.get(pages.base_url + path) as page:
                assert page.status == 403, path
    async with (
        client() as anonymous,
        anonymous.get(pages.base_url + "/ui/ops/stats", allow_redirects=False) as page,
    ):
        assert page.status == 303


def _summary(html: str) -> tuple[int, int, int]:
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', html))
    return int(counts["total"]), int(counts["receipt"]), int(counts["due_date"])


async def test_overdue_lists_for_the_clerk_and_the_operator(pages: Pages, model: Model) -> None:
    now = datetime.now(UTC)
    async with client() as http:
        await sign_in_as(http, pages.base_url, CLERK)
        for side, senders, recipients in (
            ("sent", {SENDER}, None),
            ("received", None, {SENDER}),
        ):
            async with http.get(f"{pages.base_url}/ui/overdue?side={side}") as page:
                html = await page.text()
            expected = model.overdue(now, senders=senders, recipients=recipients)
            assert _summary(html) == (
                len(expected),
                sum(1 for flags in expected.values() if flags[0]),
                sum(1 for flags in expected.values() if flags[1]),
            )
            rows = html.count("<tr data-delivery=")
            assert rows == min(len(expected), 50) and rows > 0
    async with client() as http:
        await sign_in_as(http, pages.base_url, OPERATOR)
        async with http.get(f"{pages.base_url}/ui/ops/overdue?recipient={OTHER}") as page:
            html = await page.text()
        assert _summary(html)[0] == len(model.overdue(now, recipients={OTHER}))
