"""A circuit breaker per push endpoint, shared by every node through PostgreSQL.

Closed: pushes flow. After ``threshold`` consecutive failures it opens: no
pushes for ``cool_down`` seconds (the endpoint's work is postponed, not
failed). Then half-open: one probe push; success closes it, failure opens it
again for another cool-down.

The state is a row of ``push_endpoints`` (consecutive failures, and until
when it is open), so one node's tripped circuit is every node's: the claim
query gives an open endpoint no slot and a half-open one a single slot
fleet-wide (its limit is one less its leased pushes, whichever node holds
them). Outcomes are judged in batches, in the order they happened, under
a lock on the endpoints' rows: :func:`replay` is the state machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from axis.storage import sql
from axis.storage.database import Connection


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class Judgement(StrEnum):
    """What one push's outcome says about its endpoint."""

    ANSWERED = "answered"  # delivered, or refused for good: the endpoint works
    FAILED = "failed"  # 5xx, timeout, connection refused: counts against it
    NEUTRAL = "neutral"  # 429 or a local problem: says nothing about it


class Change(StrEnum):
    OPEN = "open"
    CLOSE = "close"
    KEEP = "keep"


@dataclass(frozen=True, slots=True)
class Circuit:
    endpoint_url: str
    state: CircuitState
    reopens_in: float  # seconds until a probe may run; zero unless open
    opened: bool  # this batch opened it


def replay(
    state: CircuitState, failures: int, judgements: Sequence[Judgement], threshold: int
) -> tuple[int, Change]:
    """One endpoint's circuit through a batch, in order: its failures and what changed.

    While open, answers come from pushes that started before it opened: a
    failure is counted and changes nothing, and a success does not close it
    either (every node obeys the circuit, so a stale answer must not make it
    flap); the probe, once half-open, decides.
    """
    change = Change.KEEP
    for judgement in judgements:
        if judgement is Judgement.NEUTRAL:
            continue
        if state is CircuitState.OPEN:
            failures += judgement is Judgement.FAILED
        elif judgement is Judgement.ANSWERED:
            failures = 0
            if state is CircuitState.HALF_OPEN:
                state, change = CircuitState.CLOSED, Change.CLOSE
        else:
            failures += 1
            if state is CircuitState.HALF_OPEN or failures >= threshold:
                state, change = CircuitState.OPEN, Change.OPEN
    return failures, change


async def judge(
    connection: Connection,
    judgements: Sequence[tuple[str, Judgement]],
    threshold: int,
    cool_down: float,
) -> dict[str, Circuit]:
    """Applies a batch, in order, to the endpoints' shared circuits; their state afterwards."""
    by_endpoint: dict[str, list[Judgement]] = {}
    for endpoint_url, judgement in judgements:
        by_endpoint.setdefault(endpoint_url, []).append(judgement)
    if not by_endpoint:
        return {}
    stored = await connection.fetch(sql.query("delivery_lock_circuits"), list(by_endpoint))
    changes = {
        row["endpoint_url"]: replay(
            CircuitState(row["state"]),
            row["failures"],
            by_endpoint[row["endpoint_url"]],
            threshold,
        )
        for row in stored
    }
    rows = await connection.fetch(
        sql.query("delivery_judge_circuits"),
        list(changes),
        [failures for failures, _ in changes.values()],
        [str(change) for _, change in changes.values()],
        cool_down,
    )
    return {
        row["endpoint_url"]: Circuit(
            row["endpoint_url"],
            CircuitState(row["state"]),
            row["reopens_in"],
            changes[row["endpoint_url"]][1] is Change.OPEN,
        )
        for row in rows
    }


@dataclass(frozen=True, slots=True)
class BreakerRules:
    threshold: int = 5
    cool_down: float = 30.0


async def settle(
    connection: Connection, judgements: Sequence[tuple[str, Judgement]], rules: BreakerRules
) -> dict[str, Circuit]:
    """Judges a batch whose outcomes were just written, then holds back open endpoints' work.

    Runs last in the transaction that records the outcomes: the leases they
    end and the circuits they open become visible together, so no claim
    slips a push through between the two; and a retry just recorded (or one
    recorded late by any node) is postponed with the rest while the circuit
    is open.
    """
    circuits = await judge(connection, judgements, rules.threshold, rules.cool_down)
    for circuit in circuits.values():
        if circuit.reopens_in > 0:
            await connection.execute(
                sql.query("delivery_postpone_endpoint"), circuit.endpoint_url, circuit.reopens_in
            )
    return circuits
