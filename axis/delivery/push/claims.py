"""Claims on due push deliveries, and the outcomes written back in batches.

A claim is a lease: ``lease_owner`` and ``lease_expires_at`` on the row.
Claims are taken with ``FOR UPDATE SKIP LOCKED``, so any number of workers
in any number of processes share the work; a crashed worker's claims are
due again once their lease expires, or at once when its node stops beating
(:mod:`axis.fleet`). Outcomes only touch rows still leased by their worker,
so a late answer never overwrites another worker's work.

Leased rows are the pushes in flight, so an endpoint's free slots are its
limit less its leased rows, counted in the claim itself: the limit holds
across every node. A claim first locks the endpoints' rows (skipping those
another node is claiming for at that moment), then counts and leases in a
second statement, whose snapshot sees every lease committed before.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from axis import metrics
from axis.audit import chain as audit
from axis.delivery import trail
from axis.delivery.push import circuit_breaker
from axis.delivery.push.client import Push, PushResult
from axis.storage import bodies, sql
from axis.storage.database import Pool
from axis.vocabulary import DeliveryMode, TransportState


@dataclass(frozen=True, slots=True)
class Claim:
    delivery_id: int
    recipient_id: str
    priority: int
    attempts: int
    created_at: datetime
    push: Push


@dataclass(frozen=True, slots=True)
class RelayClaim:
    """The leased relay deliveries of one message behind one peer: one hop.

    ``origin``, ``origin_message_id`` and ``path`` are those of the hop that
    brought the message here (None and empty when it entered the federation here).
    """

    delivery_ids: tuple[int, ...]
    message_id: str
    peer_name: str
    endpoint_url: str
    recipients: tuple[str, ...]
    attempts: int
    origin: str | None
    origin_message_id: str | None
    path: tuple[str, ...]
    body: bytes


@dataclass(frozen=True, slots=True)
class Claimed:
    pushes: list[Claim]
    hops: list[RelayClaim]


@dataclass(frozen=True, slots=True)
class Outcome:
    delivery_id: int
    result: PushResult
    delay: float = 0.0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ClaimRequest:
    owner: str
    lease_seconds: float
    limit: int
    oldest_first: bool
    # Pushes in flight at one endpoint, counted across the fleet.
    endpoint_limit: int
    # Hops in flight to one peer axis, counted alike: a peer carries the
    # traffic of many agencies, and each hop waits for the far end's intake.
    peer_limit: int = 32


def _large_body(pool: Pool, row: asyncpg.Record) -> dict[str, Any]:
    """For a body over one piece, how the pusher streams it (axis.storage.bodies)."""
    stored = bodies.StoredBody(row["message_id"], row["size"], bytes(row["first"]))
    if stored.whole:
        return {}
    return {"pieces": functools.partial(bodies.pieces, pool, stored), "size": stored.size}


async def claim(pool: Pool, request: ClaimRequest) -> list[Claim]:
    """Due pushes only (the relay road's hops stay where they are)."""
    return (await claim_work(pool, request, hops=False)).pushes


async def claim_work(pool: Pool, request: ClaimRequest, *, hops: bool = True) -> Claimed:
    """Due pushes and hops in one claim: the same endpoint locks, slots and leases.

    A peer is an endpoint like an agency's (its URL has a ``push_endpoints``
    row), so the push road's per-endpoint limit and circuit cover it.
    """
    async with pool.acquire() as connection, connection.transaction():
        locked = await connection.fetch(sql.query("delivery_lock_endpoints"))
        if not locked:
            return Claimed([], [])
        endpoints = [row["endpoint_url"] for row in locked]
        rows = await connection.fetch(
            sql.query("delivery_claim"),
            request.owner,
            request.lease_seconds,
            request.limit,
            request.oldest_first,
            endpoints,
            request.endpoint_limit,
        )
        relay_rows = []
        if hops and len(rows) < request.limit:
            relay_rows = await connection.fetch(
                sql.query("relay_claim"),
                request.owner,
                request.lease_seconds,
                request.limit - len(rows),
                endpoints,
                request.peer_limit,
            )
    return Claimed(_pushes(pool, rows), _hops(relay_rows))


def _hops(rows: Sequence[asyncpg.Record]) -> list[RelayClaim]:
    grouped: dict[tuple[str, str], list[asyncpg.Record]] = {}
    for row in rows:
        grouped.setdefault((row["message_id"], row["via"]), []).append(row)
    return [
        RelayClaim(
            delivery_ids=tuple(row["id"] for row in group),
            message_id=message_id,
            peer_name=peer_name,
            endpoint_url=group[0]["endpoint_url"],
            recipients=tuple(row["recipient_id"] for row in group),
            attempts=max(row["attempts"] for row in group),
            origin=group[0]["origin"],
            origin_message_id=group[0]["origin_message_id"],
            path=tuple(group[0]["path"] or ()),
            body=bytes(group[0]["body"]),
        )
        for (message_id, peer_name), group in grouped.items()
    ]


def _pushes(pool: Pool, rows: Sequence[asyncpg.Record]) -> list[Claim]:
    return [
        Claim(
            delivery_id=row["id"],
            recipient_id=row["recipient_id"],
            priority=row["priority"],
            attempts=row["attempts"],
            created_at=row["created_at"],
            push=Push(
                endpoint_url=row["endpoint_url"],
                message_id=row["message_id"],
                kind=row["kind"],
                sender_id=row["sender_id"],
                body=bytes(row["first"]),
                body_sha256_hex=bytes(row["sha256"]).hex(),
                sealed=row["sealed"],
                **_large_body(pool, row),
            ),
        )
        for row in rows
    ]


_SETTLED = (TransportState.DELIVERED, TransportState.RELAYED, TransportState.DEAD)


def _trail_entry(row: asyncpg.Record) -> audit.AuditEntry:
    if row["transport_state"] == TransportState.RELAYED:
        return trail.relayed(
            row["message_id"],
            row["recipient_id"],
            peer=row["via"],
            delivery_id=row["id"],
            attempts=row["attempts"],
        )
    if row["transport_state"] == TransportState.DELIVERED:
        return trail.delivered(
            row["message_id"],
            row["recipient_id"],
            via=DeliveryMode.PUSH,
            delivery_id=row["id"],
            attempts=row["attempts"],
            last_error=row["last_error"],
        )
    return trail.dead(
        row["message_id"],
        row["recipient_id"],
        delivery_id=row["id"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        via=DeliveryMode.PUSH if row["via"] is None else DeliveryMode.RELAY,
    )


async def record(
    pool: Pool,
    owner: str,
    outcomes: Sequence[Outcome],
    budget_seconds: float,
    judgements: Sequence[tuple[str, circuit_breaker.Judgement]] = (),
    rules: circuit_breaker.BreakerRules | None = None,
) -> dict[str, circuit_breaker.Circuit]:
    """Writes finished pushes, their audit entries and their circuits' judgement at once.

    One transaction: the leases these outcomes end free their slots in the
    same commit that opens a circuit they tripped.
    """
    if not outcomes and not judgements:
        return {}
    async with pool.acquire() as connection, connection.transaction():
        rows = await connection.fetch(
            sql.query("delivery_record_outcomes"),
            owner,
            [outcome.delivery_id for outcome in outcomes],
            [str(outcome.result) for outcome in outcomes],
            [outcome.delay for outcome in outcomes],
            [outcome.error for outcome in outcomes],
            budget_seconds,
        )
        entries = [_trail_entry(row) for row in rows if row["transport_state"] in _SETTLED]
        await audit.append_many(connection, entries)
        circuits = await circuit_breaker.settle(
            connection, judgements, rules or circuit_breaker.BreakerRules()
        )
    hops: set[tuple[str, str, str]] = set()
    for row in rows:
        metrics.record_delivery(row["transport_state"])
        if row["transport_state"] == TransportState.DELIVERED and row["latency"] is not None:
            metrics.observe_delivery_latency(row["latency"])
        if row["via"] is not None:
            # One hop carries several recipients' deliveries: counted once.
            hops.add((row["message_id"], row["via"], row["transport_state"]))
    for _, peer, state in hops:
        metrics.record_hop(peer, state)
    return circuits


async def release(pool: Pool, owner: str) -> None:
    await pool.execute(sql.query("delivery_release_leases"), owner)


async def next_due_in(pool: Pool) -> float | None:
    value = await pool.fetchval(sql.query("delivery_next_due_in"))
    return None if value is None else float(value)
