"""The peer registry and its per-process cache on a real database."""

from __future__ import annotations

import pytest

from axis.registry import peers as peer_registry
from axis.registry.agencies import InvalidEndpoint, Registry
from axis.registry.peer_cache import PeerCache
from axis.registry.peers import DirectoryEntry, PeerProtocol, Peers
from axis.registry.routes import InvalidPattern, InvalidPeerName
from axis.registry.secret_box import SecretBox
from axis.storage.database import Pool

BOX = SecretBox.from_passphrase("test")


@pytest.fixture
def peers(pool: Pool) -> Peers:
    return Peers(pool, BOX)


async def _actions(pool: Pool) -> list[tuple[str, str]]:
    rows = await pool.fetch("SELECT action, subject FROM audit_log ORDER BY id")
    return [(row["action"], row["subject"]) for row in rows]


async def test_add_issues_a_secret_kept_encrypted_and_found_by_bearer(
    pool: Pool, peers: Peers
) -> None:
    peer, secret = await peers.add_peer("nation", "https://nation.example", ["*"], actor="admin")
    assert peer.protocol is PeerProtocol.NATIVE and peer.serves_everything
    assert len(secret) >= 40
    row = await pool.fetchrow("SELECT * FROM peers WHERE name = 'nation'")
    assert row is not None
    assert secret.encode() not in bytes(row["inbound_secret_ciphertext"])
    assert BOX.decrypt(bytes(row["inbound_secret_ciphertext"])) == secret
    assert (await peers.peer_by_bearer(secret)) == await peers.require("nation")
    assert await peers.peer_by_bearer("not-it") is None
    assert await _actions(pool) == [("peer.add", "nation")]
    # The push road's circuit breaker covers the peer by its url.
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM push_endpoints WHERE endpoint_url = 'https://nation.example'"
        )
        == 1
    )


async def test_refusals(peers: Peers) -> None:
    with pytest.raises(InvalidPattern):
        await peers.add_peer("p", "https://p.example", ["*H53"])
    with pytest.raises(InvalidPattern):
        await peers.add_peer("p", "https://p.example", [])
    with pytest.raises(InvalidPeerName):
        await peers.add_peer("p q", "https://p.example", ["*"])
    with pytest.raises(InvalidEndpoint):
        await peers.add_peer("p", "ftp://p.example", ["*"])
    with pytest.raises(peer_registry.InvalidPeer):
        await peers.add_peer("p", "https://p.example", ["*"], protocol="vxp")
    with pytest.raises(peer_registry.InvalidPeer):
        await peers.add_peer("p", "https://p.example", ["*"], protocol="smtp")
    await peers.add_peer("p", "https://p.example", ["*.*.*.H53"])
    with pytest.raises(peer_registry.PeerExists):
        await peers.add_peer("p", "https://other.example", ["*"])
    with pytest.raises(peer_registry.PeerNotFound):
        await peers.set_outbound_secret("nobody", "s")
    with pytest.raises(peer_registry.PeerNotFound):
        await peers.remove_peer("nobody")


async def test_set_secret_list_and_remove(pool: Pool, peers: Peers) -> None:
    await peers.add_peer("tn", "https://tn.example", ["*.*.*.H53", "000.00.00.H53"])
    await peers.add_peer(
        "ngsp", "https://ngsp.example/vxp", ["*"], protocol="vxp", system_id="axis-na"
    )
    await peers.set_outbound_secret("tn", "their-secret")
    listed = {peer.name: peer for peer in await peers.list_peers()}
    assert listed["tn"].outbound_secret == "their-secret"
    # Most specific first.
    assert [p.text for p in listed["tn"].patterns] == ["000.00.00.H53", "*.*.*.H53"]
    assert listed["ngsp"].protocol is PeerProtocol.VXP and listed["ngsp"].system_id == "axis-na"
    assert listed["ngsp"].outbound_secret is None
    shown = listed["tn"].as_json()
    assert shown["outbound_secret_set"] is True and "their-secret" not in str(shown)
    table = await peers.load_route_table()
    assert table.peer_for("000.00.05.H53") == "tn"
    assert table.peer_for("000.00.05.H40") == "ngsp"
    await peers.remove_peer("tn")
    assert [peer.name for peer in await peers.list_peers()] == ["ngsp"]
    assert [action for action, _ in await _actions(pool)] == [
        "peer.add", "peer.add", "peer.set_secret", "peer.remove",
    ]  # fmt: skip


async def test_remove_waits_for_open_relay_deliveries(pool: Pool, peers: Peers) -> None:
    await peers.add_peer("tn", "https://tn.example", ["*.*.*.H53"])
    await pool.execute(
        "INSERT INTO messages (id, kind, sender_id, document_id, body, sha256, size, "
        "signer_fingerprint, signature_algorithm) "
        "VALUES ('m1', 'edoc', 'A', 'd1', '\\x00', '\\x00', 1, 'f', 'rsa-sha256')"
    )
    await pool.execute(
        "INSERT INTO deliveries (message_id, recipient_id, kind, mode, via) "
        "VALUES ('m1', '000.00.05.H53', 'edoc', 'relay', 'tn')"
    )
    with pytest.raises(peer_registry.PeerBusy):
        await peers.remove_peer("tn")
    await pool.execute("UPDATE deliveries SET transport_state = 'delivered'")
    await peers.remove_peer("tn")
    # The history keeps the peer's name.
    assert await pool.fetchval("SELECT via FROM deliveries") == "tn"


async def test_directory_replaced_whole_without_what_this_axis_serves(
    pool: Pool, peers: Peers
) -> None:
    await Registry(pool, BOX).add("000.00.01.H40", "Sở ở đây")
    await peers.add_peer("nation", "https://nation.example", ["*"])
    assert await peers.directory_knows("nation", "anyone") is True  # never synced
    kept = await peers.replace_directory(
        "nation",
        [
            DirectoryEntry("000.00.01.H53", "Sở Nội vụ Tây Ninh", "000.00.00.H53", "tn"),
            DirectoryEntry("000.00.00.G22", "Bộ Nội vụ", None, "nation"),
            DirectoryEntry("000.00.02.H40", "Echo of our own", None, "here"),
            DirectoryEntry("000.00.01.H40", "Registered here", None, "nation"),
        ],
        own_name="here",
    )
    assert kept == 2
    assert await peers.directory_knows("nation", "000.00.01.H53") is True
    assert await peers.directory_knows("nation", "000.00.02.H40") is False
    peer = await peers.require("nation")
    assert peer.directory_synced_at is not None and peer.directory_size == 2
    await peers.replace_directory(
        "nation", [DirectoryEntry("000.00.00.G22", "Bộ Nội vụ", None, "nation")], own_name="here"
    )
    assert await peers.directory_knows("nation", "000.00.01.H53") is False
    assert ("peer.sync", "nation") in await _actions(pool)


async def test_cache_routes_and_sees_changes_of_another_process(pool: Pool) -> None:
    here, elsewhere = Peers(pool, BOX), Peers(pool, BOX)
    cache = PeerCache(here, recheck_interval=0.0)
    _, secret = await elsewhere.add_peer("tn", "https://tn.example", ["*.*.*.H53"])
    assert (await cache.route_table()).peer_for("000.00.05.H53") == "tn"
    found = await cache.peer_by_bearer(secret)
    assert found is not None and found.name == "tn"
    assert await cache.peer_by_bearer("nope") is None

    def is_local(organ_id: str) -> bool:
        return organ_id == "L"

    routing = await cache.route(["L", "000.00.05.H53", "X"], is_local=is_local)
    assert routing.local == ("L",) and routing.unknown == ("X",)
    assert dict(routing.by_peer) == {"tn": ("000.00.05.H53",)}

    await elsewhere.replace_directory(
        "tn", [DirectoryEntry("000.00.06.H53", "Sở", None, "tn")], own_name="here"
    )
    routing = await cache.route(["000.00.05.H53", "000.00.06.H53"], is_local=is_local)
    assert routing.unknown == ("000.00.05.H53",)
    assert dict(routing.by_peer) == {"tn": ("000.00.06.H53",)}

    await elsewhere.remove_peer("tn")
    assert await cache.peer("tn") is None


async def test_cache_rechecks_only_after_its_interval(pool: Pool) -> None:
    peers = Peers(pool, BOX)
    cache = PeerCache(peers, recheck_interval=3600.0)
    assert await cache.peers() == []
    await peers.add_peer("tn", "https://tn.example", ["*"])
    assert await cache.peers() == []
    cache.invalidate()
    assert [peer.name for peer in await cache.peers()] == ["tn"]
