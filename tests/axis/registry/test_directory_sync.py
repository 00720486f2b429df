"""The background directory sync's fleet lease: one holder, taken over, stopped cleanly."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from axis.registry.directory_sync import LEASE_KEY, DirectorySyncer, is_due
from axis.registry.peers import Peer, PeerProtocol, Peers
from axis.registry.secret_box import SecretBox
from axis.settings import Settings
from axis.storage.database import Pool
from tests.support.waiting import eventually

SETTINGS = Settings(name="here", peer_sync_seconds=3600.0)


def _syncer(pool: Pool) -> DirectorySyncer:
    return DirectorySyncer(pool, Peers(pool, SecretBox.from_passphrase("t")), SETTINGS, {})


_HOLDER = (
    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND ((classid::bigint << 32) | objid::bigint) = $1"
)


async def _holder(pool: Pool) -> int | None:
    pid = await pool.fetchval(_HOLDER, LEASE_KEY)
    return None if pid is None else int(pid)


async def _terminate_the_lease_holder(pool: Pool) -> int:
    """Kills the lease holder's connection, as a vanished node would lose it; its pid."""

    async def held() -> bool:
        return await _holder(pool) is not None

    await eventually(held, what="a lease holder in the database")
    pid = await _holder(pool)
    assert pid is not None
    assert await pool.fetchval("SELECT pg_terminate_backend($1)", pid)
    return pid


async def test_a_lost_lease_connection_is_taken_over_and_a_stop_still_stops(pool: Pool) -> None:
    first, second = _syncer(pool), _syncer(pool)
    await first.start()
    await eventually(lambda: first.holds_lease, what="the first node's lease")
    await second.start()
    try:
        lost = await _terminate_the_lease_holder(pool)

        async def taken_over() -> bool:
            return (await _holder(pool)) not in (None, lost)

        await eventually(taken_over, what="the lease taken again on a new connection")
        # A stop right after the holder lost its connection must still stop
        # (a dead connection's release error must not swallow the cancellation).
        await _terminate_the_lease_holder(pool)
    finally:
        await asyncio.wait_for(asyncio.gather(first.stop(), second.stop()), timeout=30)
    assert not first.holds_lease and not second.holds_lease


def test_a_peer_is_due_when_never_synced_or_older_than_the_period() -> None:
    now = datetime.now(UTC)

    def peer(secret: str | None, synced: datetime | None) -> Peer:
        return Peer("p", "https://p.example", PeerProtocol.NATIVE, None, (), secret, synced)

    assert is_due(peer("s", None), 3600, now)
    assert not is_due(peer(None, None), 3600, now)  # no secret to present yet
    assert not is_due(peer("s", now - timedelta(minutes=10)), 3600, now)
    assert is_due(peer("s", now - timedelta(hours=2)), 3600, now)
