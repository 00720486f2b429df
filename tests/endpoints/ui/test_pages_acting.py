"""The clerks' pages show what revocations, updates and replacements did (issue #14)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.support import envelopes
from tests.support.ui_pages import (
    CLERK,
    OTHER,
    RECIPIENT,
    RECIPIENT_CLERK,
    SENDER,
    Pages,
    running_pages,
    sign_in,
)


@pytest.fixture
async def pages(database_url: str) -> AsyncIterator[Pages]:
    async with running_pages(database_url) as running:
        yield running


def client() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def _submit(pages: Pages, organ_id: str, unsigned: bytes) -> str:
    data = pages.broker.agencies[organ_id].sign(unsigned)
    agency = await pages.broker.runtime.registry.require(organ_id)
    return (await pages.broker.runtime.intake.submit(agency, data)).id


async def _document_id(pages: Pages, message_id: str) -> str:
    found = await pages.broker.pool.fetchval(
        "SELECT document_id FROM messages WHERE id = $1", message_id
    )
    assert isinstance(found, str)
    return found


async def test_a_revoked_copy_is_marked_and_the_recall_is_one_story(pages: Pages) -> None:
    original = await pages.send_document("V/v lịch họp tháng 12", (RECIPIENT, OTHER))
    document_id = await _document_id(pages, original)
    await _submit(pages, SENDER, envelopes.status(SENDER, SENDER, document_id, "13"))
    await pages.send_status(original, "15")
    # As agencies' systems write it: no Bussiness/DocumentId, the original's own repeated.
    revocation = await _submit(
        pages,
        SENDER,
        envelopes.document(SENDER, [RECIPIENT], document_id=document_id, business_type=1),
    )
    async with client() as http:
        await sign_in(http, pages.base_url, RECIPIENT_CLERK)
        received = await (await http.get(pages.base_url + "/ui/received")).text()
        assert f'href="/ui/documents/{revocation}">Đã thu hồi</a>' in received
        page = await (await http.get(f"{pages.base_url}/ui/documents/{original}")).text()
        assert "Đã thu hồi" in page and "Diễn biến" in page
        story = page[page.index('id="story"') :]
        assert story.index("Lấy lại") < story.index("Đồng ý") < story.index("Thu hồi")
        status = await (
            await http.get(f"{pages.base_url}/ui/documents/{original}/status.json")
        ).json()
        assert status["recipients"][0]["acted"]["revoked_by"] == revocation
    async with client() as http:
        await sign_in(http, pages.base_url, CLERK)
        page = await (await http.get(f"{pages.base_url}/ui/documents/{original}")).text()
        rows = {row.split('"', 1)[0]: row for row in page.split('data-recipient="')[1:]}
        assert "Đã thu hồi" in rows[RECIPIENT].split("</tr>")[0]
        assert "Đã thu hồi" not in rows[OTHER].split("</tr>")[0]


async def test_a_replaced_copy_points_to_its_replacement(pages: Pages) -> None:
    original = await pages.send_document("V/v kế hoạch năm 2027", (RECIPIENT,))
    document_id = await _document_id(pages, original)
    replacement = await _submit(
        pages,
        SENDER,
        envelopes.document(SENDER, [RECIPIENT], business_type=3, acts_on=document_id),
    )
    async with client() as http:
        await sign_in(http, pages.base_url, RECIPIENT_CLERK)
        page = await (await http.get(f"{pages.base_url}/ui/documents/{original}")).text()
        assert f'href="/ui/documents/{replacement}">Đã được thay thế</a>' in page
        acting = await (await http.get(f"{pages.base_url}/ui/documents/{replacement}")).text()
        assert "Văn bản liên quan" in acting and document_id in acting
