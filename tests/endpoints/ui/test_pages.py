"""The pages over HTTP: sign-in, CSRF, clerk lists and documents, the dashboard."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.support.ui_pages import (
    CLERK,
    OPERATOR,
    OTHER,
    RECIPIENT,
    RECIPIENT_CLERK,
    SENDER,
    Pages,
    csrf_of,
    running_pages,
    sign_in,
)


@pytest.fixture
async def pages(database_url: str) -> AsyncIterator[Pages]:
    async with running_pages(database_url) as running:
        yield running


def client() -> aiohttp.ClientSession:
    # The test server listens on an IP address; the default jar ignores those.
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def test_sign_in_sets_a_hardened_cookie_and_sign_out_ends_it(pages: Pages) -> None:
    async with client() as http:
        wrong = await sign_in(http, pages.base_url, CLERK, "sai-mat-khau")
        assert wrong.status == 401
        assert "Tên đăng nhập hoặc mật khẩu không đúng." in await wrong.text()
        right = await sign_in(http, pages.base_url, CLERK)
        assert right.url.path == "/ui/sent"
        cookie = right.history[0].headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert "Secure" not in cookie  # plain http in the test
        async with http.get(pages.base_url + "/ui/sent") as page:
            token = csrf_of(await page.text())
        async with http.post(pages.base_url + "/ui/sign-out", data={"csrf": token}) as out:
            assert out.url.path == "/ui/"
        async with http.get(pages.base_url + "/ui/sent", allow_redirects=False) as after:
            assert after.status == 303


async def test_cookie_is_secure_behind_https(pages: Pages) -> None:
    headers = {"X-Forwarded-Proto": "https"}
    async with client() as http, http.get(pages.base_url + "/ui/", headers=headers) as page:
        assert "Secure" in page.headers["Set-Cookie"]


async def test_sign_in_without_the_form_token_is_refused(pages: Pages) -> None:
    async with client() as http:
        form = {"csrf": "forged", "username": CLERK, "password": "mat-khau-dung-1"}
        async with http.post(pages.base_url + "/ui/sign-in", data=form) as answer:
            assert answer.status == 403
        async with http.get(pages.base_url + "/ui/sent", allow_redirects=False) as after:
            assert after.status == 303


async def test_clerk_sees_only_their_agency_with_filters_and_search(pages: Pages) -> None:
    first = await pages.send_document("V/v kế hoạch năm 2027", (RECIPIENT,))
    second = await pages.send_document("V/v báo cáo quý", (RECIPIENT, OTHER))
    await pages.send_status(first, "03")
    async with client() as http:
        await sign_in(http, pages.base_url, CLERK)
        html = await (await http.get(pages.base_url + "/ui/sent")).text()
        assert "kế hoạch năm 2027" in html and "báo cáo quý" in html
        html = await (await http.get(pages.base_url + "/ui/sent", params={"q": "kế hoạch"})).text()
        assert "kế hoạch năm 2027" in html and "báo cáo quý" not in html
        html = await (
            await http.get(pages.base_url + "/ui/sent", params={"recipient": OTHER})
        ).text()
        assert "báo cáo quý" in html and "kế hoạch năm 2027" not in html
        html = await (await http.get(pages.base_url + "/ui/sent", params={"status": "03"})).text()
        assert "kế hoạch năm 2027" in html and "báo cáo quý" not in html
        html = await (
            await http.get(
                pages.base_url + "/ui/sent", params={"from": "2000-01-01", "to": "2000-01-02"}
            )
        ).text()
        assert "Không có văn bản nào." in html
        async with http.get(pages.base_url + f"/ui/documents/{first}") as page:
            html = await page.text()
        assert "Đã tiếp nhận" in html and RECIPIENT in html
        async with http.get(pages.base_url + f"/ui/documents/{second}/file") as file:
            body = await file.read()
            assert file.headers["Content-Disposition"].startswith("attachment")
        stored = await pages.broker.pool.fetchval(
            "SELECT string_agg(content, ''::bytea ORDER BY part) FROM message_bodies"
            " WHERE message_id = $1",
            second,
        )
        assert body == bytes(stored)
    async with client() as http:
        await sign_in(http, pages.base_url, RECIPIENT_CLERK)
        html = await (await http.get(pages.base_url + "/ui/sent")).text()
        assert "kế hoạch năm 2027" not in html
        html = await (await http.get(pages.base_url + "/ui/received")).text()
        assert "kế hoạch năm 2027" in html and SENDER in html
        status = await (
            await http.get(pages.base_url + f"/ui/documents/{second}/status.json")
        ).json()
        # A recipient sees its own row, not the other recipients'.
        assert [r["recipient_id"] for r in status["recipients"]] == [RECIPIENT]
        async with http.get(pages.base_url + "/ui/ops") as forbidden:
            assert forbidden.status == 403


async def test_a_stranger_agency_cannot_open_the_document(pages: Pages) -> None:
    message_id = await pages.send_document("V/v mật", (RECIPIENT,))
    from axis.accounts import users

    await users.add_user(pages.broker.pool, "vanthu.khac", "clerk", "mat-khau-dung-1",
                         organ_id=OTHER)  # fmt: skip
    async with client() as http:
        await sign_in(http, pages.base_url, "vanthu.khac")
        for suffix in ("", "/status.json", "/file"):
            async with http.get(pages.base_url + f"/ui/documents/{message_id}{suffix}") as page:
                assert page.status == 404


async def test_sent_list_pages_with_a_keyset_cursor(pages: Pages) -> None:
    from axis.tracking import clerk_views

    for index in range(5):
        await pages.send_document(f"V/v số {index}")
    pool = pages.broker.pool
    seen: list[str] = []
    cursor = None
    while True:
        page = await clerk_views.sent_documents(pool, SENDER, clerk_views.SentFilters(), cursor, 2)
        seen.extend(row["subject"] for row in page.rows)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [f"V/v số {index}" for index in reversed(range(5))]


async def test_status_json_shows_a_new_status_with_its_vietnamese_name(pages: Pages) -> None:
    message_id = await pages.send_document("V/v theo dõi")
    async with client() as http:
        await sign_in(http, pages.base_url, CLERK)
        url = pages.base_url + f"/ui/documents/{message_id}/status.json"
        before = await (await http.get(url)).json()
        assert before["recipients"][0]["timeline"] == []
        await pages.send_status(message_id, "01")
        await pages.send_status(message_id, "05")
        after = await (await http.get(url)).json()
        names = [s["status_name"] for s in after["recipients"][0]["timeline"]]
        assert names == ["Đã đến", "Đang xử lý"]


async def test_operator_dashboard_retries_a_dead_delivery_with_csrf(pages: Pages) -> None:
    message_id = await pages.send_document("V/v hỏng")
    pool = pages.broker.pool
    delivery_id = await pool.fetchval(
        "UPDATE deliveries SET transport_state = 'dead', last_error = 'HTTP 503 từ điểm nhận' "
        "WHERE message_id = $1 RETURNING id",
        message_id,
    )
    async with client() as http:
        await sign_in(http, pages.base_url, OPERATOR)
        async with http.get(pages.base_url + "/ui/ops") as page:
            html = await page.text()
        assert "HTTP 503 từ điểm nhận" in html
        assert 'data-state="dead">1<' in html
        token = csrf_of(html)
        forged = {"csrf": "sai", "delivery_id": str(delivery_id)}
        async with http.post(pages.base_url + "/ui/ops/dead/retry", data=forged) as refused:
            assert refused.status == 403
        assert await pool.fetchval("SELECT transport_state FROM deliveries WHERE id = $1",
                                   delivery_id) == "dead"  # fmt: skip
        form = {"csrf": token, "delivery_id": str(delivery_id)}
        async with http.post(pages.base_url + "/ui/ops/dead/retry", data=form) as done:
            assert "Đã đưa lần gửi trở lại hàng đợi." in await done.text()
        state = await pool.fetchval(
            "SELECT transport_state FROM deliveries WHERE id = $1", delivery_id
        )
        assert state == "queued"
        audited = await pool.fetchval(
            "SELECT actor FROM audit_log WHERE action = 'delivery.retry' ORDER BY id DESC LIMIT 1"
        )
        assert audited == f"operator:{OPERATOR}"


async def test_dashboard_lists_refusals_sha1_signers_and_expiring_certificates(
    pages: Pages,
) -> None:
    message_id = await pages.send_document("V/v ký cũ")
    pool = pages.broker.pool
    await pool.execute(
        "UPDATE messages SET signature_algorithm = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1' "
        "WHERE id = $1",
        message_id,
    )
    await pool.execute(
        "UPDATE agency_certificates SET not_after = now() + interval '10 days' WHERE organ_id = $1",
        RECIPIENT,
    )
    await pool.execute(
        "INSERT INTO refusals (organ_id, code, kind, detail) "
        "VALUES ($1, 'signature.invalid', 'invalid', 'x'), "
        "($1, 'signature.invalid', 'invalid', 'y')",
        SENDER,
    )
    async with client() as http:
        await sign_in(http, pages.base_url, OPERATOR)
        html = await (await http.get(pages.base_url + "/ui/ops")).text()
    sha1_section = html.split("Cơ quan còn ký SHA-1")[1].split("</table>")[0]
    assert SENDER in sha1_section and "1 văn bản" in sha1_section
    assert RECIPIENT not in sha1_section
    refusals = html.split("Từ chối theo lý do")[1].split("</table>")[0]
    assert "signature.invalid" in refusals and "<td>2</td>" in refusals
    assert f"Chứng thư số của {RECIPIENT} hết hạn" in html
