"""Rehearsed with real processes: kill -9 of a push node moves its work at once.

Two ``axis work`` nodes on one database push to a real loopback endpoint
that holds each push; one is killed with SIGKILL while it holds leases
(``benchmarks.fleet_pushes.rehearse`` runs it; this test checks the facts,
the benchmark reports the times). Its leases are given back before they
expire, nothing is lost, the endpoint never has more than its limit in
flight, and no delivery the live node had in flight is pushed twice: the
only repeats are of deliveries the dead node had in flight.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.fleet_pushes import LIMIT, rehearse


async def test_a_killed_nodes_work_moves_to_the_live_node_within_the_bound(
    database_url: str, tmp_path: Path
) -> None:
    # Enough work (120 x 0.3 s over 4 slots) that the first node still holds
    # leases once the second is up.
    documents = 120
    report = await rehearse(database_url, documents=documents, hold=0.3, logs=tmp_path)
    print(f"\n{report}")
    assert report["leases_of_killed_node"] != 0
    assert report["given_back_before_lease_expiry"] is True
    assert (report["lost"], report["never_pushed"]) == (0, 0)
    assert report["delivered"] == documents
    assert int(str(report["peak_in_flight"])) <= LIMIT
    assert int(str(report["peak_in_flight_after_kill"])) <= LIMIT
    assert report["repeats_of_live_node_in_flight"] == 0
    assert report["repeats_not_abandoned"] == 0
