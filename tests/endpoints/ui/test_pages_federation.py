"""What clerks and operators see of peer axes: the hop in a timeline, remote names,
each peer's backlog, failures, circuit and sync on the dashboard, and /metrics per peer."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from axis import metrics
from axis.registry.peers import DirectoryEntry
from tests.support.ui_pages import CLERK, OPERATOR, Pages, running_pages, sign_in

REMOTE = "000.00.07.H40"
PEER = "nation"


@pytest.fixture
async def pages(database_url: str) -> AsyncIterator[Pages]:
    async with running_pages(database_url) as running:
        peers = running.broker.runtime.peers
        await peers.add_peer(PEER, "https://nation.example", ["*"])
        await peers.set_outbound_secret(PEER, "issued-by-the-nation")
        await peers.replace_directory(
            PEER, [DirectoryEntry(REMOTE, "Sở Nội vụ Nghệ An", None, "nghe-an")], own_name="here"
        )
        yield running


def client() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def _relay(pages: Pages, state: str, subject: str = "V/v liên tỉnh") -> str:
    """A sent document whose one recipient is beyond the peer, in ``state``.

    The relay road (fed-road) writes such rows; here they are written as it would.
    """
    message_id = await pages.send_document(subject)
    await pages.broker.pool.execute(
        "UPDATE deliveries SET recipient_id = $2, mode = 'relay', via = $3, "
        "transport_state = $4 WHERE message_id = $1",
        message_id, REMOTE, PEER, state,
    )  # fmt: skip
    return message_id


async def test_the_timeline_shows_the_hop_and_the_remote_name(pages: Pages) -> None:
    message_id = await _relay(pages, "relayed")
    async with client() as http:
        await sign_in(http, pages.base_url, CLERK)
        html = await (await http.get(f"{pages.base_url}/ui/documents/{message_id}")).text()
        assert "Sở Nội vụ Nghệ An (000.00.07.H40)" in html
        assert "Đã chuyển tiếp qua nation" in html
        assert 'state-relayed">Đã chuyển tiếp<' in html
        live = await (
            await http.get(f"{pages.base_url}/ui/documents/{message_id}/status.json")
        ).json()
        (recipient,) = live["recipients"]
        assert recipient["via"] == PEER
        assert recipient["timeline"][0]["status_name"] == "Đã chuyển tiếp qua nation"
        # The recipient filter offers remote agencies, marked with their axis.
        html = await (await http.get(pages.base_url + "/ui/sent")).text()
        assert "Sở Nội vụ Nghệ An — qua trục nghe-an (000.00.07.H40)" in html
        html = await (
            await http.get(pages.base_url + "/ui/sent", params={"state": "relayed"})
        ).text()
        assert "V/v liên tỉnh" in html


async def test_no_hop_before_the_peer_took_it(pages: Pages) -> None:
    message_id = await _relay(pages, "queued")
    async with client() as http:
        await sign_in(http, pages.base_url, CLERK)
        html = await (await http.get(f"{pages.base_url}/ui/documents/{message_id}")).text()
        assert "Đã chuyển tiếp qua" not in html


async def test_a_remote_sender_is_named_in_the_received_list(pages: Pages) -> None:
    message_id = await pages.send_document("V/v từ tỉnh khác")
    await pages.broker.pool.execute(
        "UPDATE messages SET sender_id = $2, received_via = 'relay' WHERE id = $1",
        message_id, REMOTE,
    )  # fmt: skip
    async with client() as http:
        await sign_in(http, pages.base_url, "vanthu.h53b")
        html = await (await http.get(pages.base_url + "/ui/received")).text()
        assert "V/v từ tỉnh khác" in html and "Sở Nội vụ Nghệ An" in html


async def test_dashboard_and_metrics_show_each_peer(pages: Pages) -> None:
    await _relay(pages, "queued", "một")
    await _relay(pages, "retrying", "hai")
    dead = await _relay(pages, "dead", "ba")
    pool = pages.broker.pool
    await pool.execute(
        "UPDATE deliveries SET last_error = 'relay.loop: đã đi qua' WHERE message_id = $1", dead
    )
    await pool.execute(
        "UPDATE deliveries SET last_error = 'HTTP 503' WHERE transport_state = 'retrying'"
    )
    await pool.execute(
        "UPDATE push_endpoints SET failures = 5, opened_until = now() + interval '1 minute' "
        "WHERE endpoint_url = 'https://nation.example'"
    )
    metrics.record_hop(PEER, "relayed")
    async with client() as http:
        await sign_in(http, pages.base_url, OPERATOR)
        html = await (await http.get(pages.base_url + "/ui/ops")).text()
        row = html[html.index('data-peer="nation"') :].split("</tr>")[0]
        assert 'data-field="backlog">2<' in row and 'data-field="dead">1<' in row
        assert 'data-field="failures">5<' in row and "đang ngắt" in row
        assert "1 cơ quan" in row and "HTTP 503" in row
        assert "Trục nation không nhận chuyển tiếp" in html
        async with http.get(pages.base_url + "/metrics") as answer:
            text = await answer.text()
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    label = (("peer", PEER),)
    assert samples[("axis_peer_backlog", label)] == 2
    assert samples[("axis_peer_dead_deliveries", label)] == 1
    assert samples[("axis_peer_consecutive_failures", label)] == 5
    assert samples[("axis_peer_circuit_open", label)] == 1
    assert samples[("axis_peer_directory_agencies", label)] == 1
    assert samples[("axis_peer_directory_synced_timestamp_seconds", label)] > 0
    assert samples[("axis_relay_hops_total", (("outcome", "relayed"), ("peer", PEER)))] >= 1
