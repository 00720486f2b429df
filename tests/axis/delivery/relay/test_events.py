"""Transport events owed to a peer are kept until the peer takes them (issue #16)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from axis.delivery.relay.events import EventReporter, ReporterOptions
from axis.delivery.relay.road import RelayRoad
from axis.registry.peer_cache import PeerCache
from axis.registry.peers import Peers
from axis.registry.secret_box import SecretBox
from axis.settings import Settings
from axis.storage.database import Pool


async def test_events_wait_while_the_peer_fails_and_go_once_it_answers(pool: Pool) -> None:
    received: list[dict[str, Any]] = []
    answers = [503, 200]

    async def take(request: web.Request) -> web.Response:
        assert request.headers["Authorization"] == "Bearer toward-nation"
        received.append(await request.json())
        return web.json_response({"received": 1, "applied": 1}, status=answers.pop(0))

    app = web.Application()
    app.router.add_post("/api/v1/relay/events", take)
    server = TestServer(app)
    await server.start_server()
    box = SecretBox.from_passphrase("test")
    url = str(server.make_url("")).rstrip("/")
    try:
        peers = Peers(pool, box)
        await peers.add_peer("nation", url, ["*"])
        await peers.set_outbound_secret("nation", "toward-nation")
        await pool.execute(
            "INSERT INTO relay_events (peer_name, origin, origin_message_id, recipient_id, state)"
            " VALUES ('nation', 'province-a', 'm1', '000.00.01.H53', 'delivered')"
        )
        road = RelayRoad(Settings(secret_key="test"), PeerCache(peers))
        await road.start()
        reporter = EventReporter(pool, road, "owner-1", ReporterOptions(backoff_base=0.0))
        try:
            assert await reporter.report_once() == 1
            kept = await pool.fetchrow("SELECT attempts, last_error FROM relay_events")
            assert kept is not None and kept["attempts"] == 1
            assert kept["last_error"].startswith("HTTP 503")
            assert await reporter.report_once() == 1
            assert await pool.fetchval("SELECT count(*) FROM relay_events") == 0
        finally:
            await road.close()
    finally:
        await server.close()
    [item] = received[-1]["items"]
    assert (item["origin"], item["origin_message_id"], item["recipient"], item["state"]) == (
        "province-a", "m1", "000.00.01.H53", "delivered",
    )  # fmt: skip
