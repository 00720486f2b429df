"""A hop's outcome is counted once per (message, peer), however many recipients it carries."""

from __future__ import annotations

from prometheus_client import REGISTRY

from axis.delivery.push import claims
from axis.delivery.push.client import PushResult
from axis.registry.peers import Peers
from axis.registry.secret_box import SecretBox
from axis.storage.database import Pool
from tests.support.retention_data import add_agencies, add_message, utc

FAR = ("000.00.01.H53", "000.00.02.H53")


def _hops(outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "axis_relay_hops_total", {"peer": "tayninh", "outcome": outcome}
    )
    return value or 0.0


async def test_a_relayed_hop_is_counted_once_for_its_recipients(pool: Pool) -> None:
    await Peers(pool, SecretBox.from_passphrase("test")).add_peer(
        "tayninh", "http://127.0.0.1:9/", ["*.*.*.H53"]
    )
    async with pool.acquire() as connection:
        await add_agencies(connection)
        message_id = await add_message(
            connection, utc(2026, 11, 30), recipients=dict.fromkeys(FAR, "queued")
        )
        await connection.execute(
            "UPDATE deliveries SET mode = 'relay', via = 'tayninh', lease_owner = 'worker-1',"
            " lease_expires_at = now() + interval '1 minute' WHERE message_id = $1",
            message_id,
        )
        ids = await connection.fetch("SELECT id FROM deliveries WHERE message_id = $1", message_id)
    before = _hops("relayed")
    outcomes = [claims.Outcome(row["id"], PushResult.DELIVERED) for row in ids]
    await claims.record(pool, "worker-1", outcomes, budget_seconds=3600.0)
    assert _hops("relayed") == before + 1
    states = await pool.fetch(
        "SELECT transport_state FROM deliveries WHERE message_id = $1", message_id
    )
    assert [row["transport_state"] for row in states] == ["relayed", "relayed"]
