"""The database away, measured: documents lost and seconds until intake works again.

Real processes: a PostgreSQL primary with a synchronous standby made by
``pg_basebackup`` from the embedded PostgreSQL's binaries, one ``axis serve``
on the multi-host URL ``h1,h2?target_session_attrs=read-write``, and an
agency submitting signed documents one after another (retrying 503
``database.unavailable`` and refused connections every 50 ms). Two faults,
each on a fresh pair: ``pg_ctl restart -m fast`` of the primary, and the
primary killed (SIGKILL to all its processes) with the standby promoted.

"lost" counts documents answered 202/200 that are not stored afterwards;
"repeats" documents stored more than once; "intake back" is the longest
stretch without an accepted document, which the fault dominates.

    python -m benchmarks.fleet_database [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from signing import sign
from tests.support.agencies import credential_for
from tests.support.envelopes import document
from tests.support.processes import ContinuousSubmission, start_server
from tests.support.replication import ReplicatedPair, prepare_exchange, stored_documents

SENDER = "000.00.00.G81"
RECIPIENT = "000.00.00.H81"
# Accepted before the fault, and after it, for a run to count.
STEADY = 200


@dataclass(frozen=True, slots=True)
class FaultFigures:
    fault: str
    accepted: int
    lost: int
    repeats: int
    answered_503: int
    other_failures: int
    intake_back_seconds: float


def _signed(number: int) -> bytes:
    body = document(SENDER, [RECIPIENT], document_id=f"{SENDER},2026/12/03,{number}/BENCH")
    credential = credential_for(SENDER)
    return sign(body, credential.private_key, credential.certificate)


async def _until(condition: Callable[[], bool], within: float = 120.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("the benchmark's submission stalled")
        await asyncio.sleep(0.05)


async def measure(fault: str) -> FaultFigures:
    root = Path(tempfile.mkdtemp(prefix="axis-bench-pair-"))
    pair = ReplicatedPair(root)
    try:
        await asyncio.to_thread(pair.start)
        sender = await prepare_exchange(pair.url, SENDER, RECIPIENT)
        node = start_server(
            ["--database-url", pair.url], root / "node.log", {"AXIS_LOG_LEVEL": "WARNING"}
        )
        try:
            await asyncio.to_thread(node.wait_ready)
            submission = ContinuousSubmission([node.base_url], sender.secret, _signed).start()
            await _until(lambda: len(submission.outcomes.accepted) >= STEADY)
            mark = len(submission.outcomes.accepted)
            # Only the stretch around the fault counts, not the warm-up's.
            submission.outcomes.longest_gap = 0.0
            fail = pair.primary.restart if fault == "restart" else pair.fail_over
            await asyncio.to_thread(fail)
            await _until(lambda: len(submission.outcomes.accepted) >= mark + STEADY)
            outcomes = await submission.stop()
        finally:
            await asyncio.to_thread(node.stop)
        stored = await stored_documents(pair.url, SENDER)
    finally:
        await asyncio.to_thread(pair.stop)
    return FaultFigures(
        fault="pg_ctl restart -m fast"
        if fault == "restart"
        else "primary killed, standby promoted",
        accepted=len(outcomes.accepted),
        lost=len(set(outcomes.accepted) - set(stored)),
        repeats=sum(1 for copies, _ in stored.values() if copies > 1),
        answered_503=outcomes.unavailable,
        other_failures=len(outcomes.failures),
        intake_back_seconds=round(outcomes.longest_gap, 2),
    )


async def run() -> list[FaultFigures]:
    return [await measure("restart"), await measure("failover")]


def rows(figures: list[FaultFigures]) -> list[tuple[str, str]]:
    """Lines of the fleet table: (what, measured)."""
    return [
        (
            f"PostgreSQL {item.fault}, under continuous submission",
            f"{item.lost} lost of {item.accepted} accepted, {item.repeats} stored twice, "
            f"intake back in {item.intake_back_seconds} s ({item.answered_503} answers 503, "
            f"{item.other_failures} other failures)",
        )
        for item in figures
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    arguments = parser.parse_args()
    load = os.getloadavg()[0]
    figures = asyncio.run(run())
    if arguments.json:
        print(json.dumps({"load": load, "faults": [asdict(item) for item in figures]}, indent=2))
        return
    print(f"load average at start: {load:.2f} on {os.cpu_count()} cores")
    for what, measured in rows(figures):
        print(f"{what}: {measured}")


if __name__ == "__main__":
    main()
