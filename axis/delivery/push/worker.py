"""The push worker: claims due deliveries and pushes them, one loop per process.

Claims are taken in batches, urgent first, but every ``routine_every``-th
batch is taken oldest-first regardless of priority so routine work always
gets a share. Only batches that claimed something count: a wake-up that
finds no free slot neither spends nor skips routine's turn, so between two
urgent-first batches there is at most one oldest-first batch. Each
endpoint has its own concurrency limit and circuit breaker, both kept in
PostgreSQL and so shared by every node: the claim takes only as many rows
per endpoint as it has free slots fleet-wide, so a slow or dead agency holds
its own slots and nobody else's, on every node at once.
Outcomes are written back in batches by a separate task, and judged by the
endpoints' circuits once written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from dataclasses import dataclass

import aiohttp
import asyncpg

from axis.delivery.push import circuit_breaker, claims, wakeup
from axis.delivery.push import client as push_client
from axis.delivery.push.backoff import Backoff
from axis.delivery.push.circuit_breaker import CircuitState, Judgement
from axis.delivery.push.client import PushOutcome, PushResult
from axis.delivery.relay.road import RelayRoad
from axis.expiring_cache import ExpiringCache
from axis.registry.agencies import AgencyNotFound, Registry
from axis.settings import Settings
from axis.storage.database import Pool

logger = logging.getLogger(__name__)

_DATABASE_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    batch_size: int = 50
    backoff_base: float = 1.0
    backoff_cap: float = 3600.0
    poll_interval: float = 1.5
    # Lease = push_timeout + margin: time to claim, push and write back.
    lease_margin: float = 10.0
    breaker_threshold: int = 5
    breaker_cool_down: float = 30.0
    routine_every: int = 4
    max_in_flight: int = 256
    secret_ttl: float = 60.0
    flush_interval: float = 0.02
    # Hops in flight per peer axis, fleet-wide (an agency's endpoint gets
    # Settings.push_concurrency_per_endpoint).
    peer_concurrency: int = 32


def new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class DeliveryWorker:
    def __init__(
        self,
        settings: Settings,
        pool: Pool,
        registry: Registry,
        options: WorkerOptions | None = None,
        owner: str | None = None,
        relay: RelayRoad | None = None,
    ) -> None:
        self._settings = settings
        # Hops to peer axes ride the same claims, slots, circuits and budget.
        self._relay = relay
        self._pool = pool
        self._options = options or WorkerOptions()
        self.owner = owner or new_owner()
        self._backoff = Backoff(self._options.backoff_base, self._options.backoff_cap)
        self._secrets = ExpiringCache(registry.secret_of, ttl=self._options.secret_ttl)
        # The shared circuits as this worker last judged them (metrics, tests).
        self._circuits: dict[str, CircuitState] = {}
        self._in_flight: dict[str, int] = {}
        self._pushes: set[asyncio.Task[None]] = set()
        self._outcomes: list[claims.Outcome] = []
        self._judgements: list[tuple[str, Judgement]] = []
        self._wake = asyncio.Event()
        self._outcome_ready = asyncio.Event()
        self._stopping = False
        self._session: aiohttp.ClientSession | None = None
        self._tasks: list[asyncio.Task[None]] = []

    # -- read API (metrics) --------------------------------------------------

    def circuit_states(self) -> dict[str, str]:
        """Endpoint URL -> ``closed``, ``open`` or ``half_open``, as last judged here."""
        return {url: str(state) for url, state in self._circuits.items()}

    def in_flight(self) -> dict[str, int]:
        return {url: count for url, count in self._in_flight.items() if count}

    # -- life cycle ----------------------------------------------------------

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self._options.max_in_flight, limit_per_host=0),
            auto_decompress=False,
        )
        self._tasks = [
            asyncio.create_task(self._claim_loop(), name="delivery-claims"),
            asyncio.create_task(self._flush_loop(), name="delivery-outcomes"),
            asyncio.create_task(wakeup.listen(self._pool, self.wake), name="delivery-listen"),
        ]
        if self._relay is not None:
            await self._relay.start()
        logger.info("delivery worker started", extra={"owner": self.owner})

    def wake(self) -> None:
        self._wake.set()

    async def stop(self, grace: float | None = None) -> None:
        """Stops claiming, lets pushes in flight finish (bounded), releases the rest."""
        limit = self._settings.shutdown_timeout if grace is None else grace
        self._stopping = True
        self._wake.set()
        claim_loop, flush_loop, listener = self._tasks
        listener.cancel()
        await asyncio.gather(claim_loop, listener, return_exceptions=True)
        if self._pushes:
            await asyncio.wait(set(self._pushes), timeout=limit)
        for task in self._pushes:
            task.cancel()
        await asyncio.gather(*self._pushes, return_exceptions=True)
        flush_loop.cancel()
        await asyncio.gather(flush_loop, return_exceptions=True)
        try:
            await self._flush()
            await claims.release(self._pool, self.owner)
        except _DATABASE_ERRORS as error:
            logger.warning("leases left to expire", extra={"error": str(error)})
        if self._session is not None:
            await self._session.close()
        if self._relay is not None:
            await self._relay.close()
        logger.info("delivery worker stopped", extra={"owner": self.owner})

    # -- claiming ------------------------------------------------------------

    async def _claim_loop(self) -> None:
        batches = 0
        while not self._stopping:
            self._wake.clear()
            free = self._options.max_in_flight - len(self._pushes)
            limit = min(self._options.batch_size, free)
            claimed = 0
            try:
                if limit > 0:
                    claimed = await self._claim(self._claim_request(limit, batches + 1))
                    if claimed:
                        batches += 1
                if limit > 0 and claimed == limit:
                    await asyncio.sleep(0)
                    continue
                wait = self._options.poll_interval
                due_in = await claims.next_due_in(self._pool)
                if due_in is not None and due_in > 0:
                    wait = min(wait, due_in)
            except _DATABASE_ERRORS as error:
                logger.warning("claiming deliveries failed", extra={"error": str(error)})
                wait = self._options.poll_interval
            except Exception:
                # Keep the loop alive: leases bound the damage of one bad batch.
                logger.exception("delivery claim loop failed; continuing")
                wait = self._options.poll_interval
            if self._stopping:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    def _claim_request(self, limit: int, batch_number: int) -> claims.ClaimRequest:
        return claims.ClaimRequest(
            owner=self.owner,
            lease_seconds=self._settings.push_timeout + self._options.lease_margin,
            limit=limit,
            oldest_first=batch_number % self._options.routine_every == 0,
            endpoint_limit=self._settings.push_concurrency_per_endpoint,
            peer_limit=self._options.peer_concurrency,
        )

    async def _claim(self, request: claims.ClaimRequest) -> int:
        """Claims and starts pushes and hops; how many slots they took."""
        claimed = await claims.claim_work(self._pool, request, hops=self._relay is not None)
        for claim in claimed.pushes:
            self._start(claim)
        for hop in claimed.hops:
            self._start_hop(hop)
        return len(claimed.pushes) + len(claimed.hops)

    def _start_hop(self, claim: claims.RelayClaim) -> None:
        endpoint = claim.endpoint_url
        self._in_flight[endpoint] = self._in_flight.get(endpoint, 0) + 1
        task = asyncio.create_task(self._send_hop(claim))
        self._pushes.add(task)
        task.add_done_callback(self._pushes.discard)

    async def _send_hop(self, claim: claims.RelayClaim) -> None:
        assert self._relay is not None
        try:
            try:
                outcome = (await self._relay.send(claim)).as_push_outcome()
            except _DATABASE_ERRORS as error:
                # The peer could not be read: the lease runs out and the hop is claimed again.
                logger.warning(
                    "hop skipped: peer unavailable",
                    extra={"message_id": claim.message_id, "error": str(error)},
                )
                return
            if outcome.result is not PushResult.DELIVERED:
                logger.info(
                    "hop not relayed",
                    extra={"message_id": claim.message_id, "peer": claim.peer_name,
                           "result": str(outcome.result), "error": outcome.error},
                )  # fmt: skip
            self._finish(claim.endpoint_url, claim.delivery_ids, claim.attempts, outcome)
        finally:
            self._in_flight[claim.endpoint_url] -= 1
            self._wake.set()

    def _finish(
        self, endpoint: str, delivery_ids: tuple[int, ...], attempts: int, outcome: PushOutcome
    ) -> None:
        """Queues the outcome of one push or hop for the next batch write."""
        self._judgements.append((endpoint, _judgement(outcome)))
        delay = 0.0
        if outcome.result is PushResult.RETRY:
            delay = (
                outcome.retry_after
                if outcome.retry_after is not None
                else self._backoff.delay(attempts)
            )
        self._outcomes.extend(
            claims.Outcome(delivery_id, outcome.result, delay, outcome.error)
            for delivery_id in delivery_ids
        )
        self._outcome_ready.set()

    def _start(self, claim: claims.Claim) -> None:
        endpoint = claim.push.endpoint_url
        self._in_flight[endpoint] = self._in_flight.get(endpoint, 0) + 1
        task = asyncio.create_task(self._deliver(claim))
        self._pushes.add(task)
        task.add_done_callback(self._pushes.discard)

    # -- pushing -------------------------------------------------------------

    async def _deliver(self, claim: claims.Claim) -> None:
        endpoint = claim.push.endpoint_url
        try:
            try:
                outcome = await self._push(claim)
            except _DATABASE_ERRORS as error:
                # The secret could not be read: the lease runs out and the
                # delivery is claimed again; the endpoint did nothing wrong.
                logger.warning(
                    "push skipped: recipient secret unavailable",
                    extra={"delivery_id": claim.delivery_id, "error": str(error)},
                )
                return
            self._finish(endpoint, (claim.delivery_id,), claim.attempts, outcome)
        finally:
            self._in_flight[endpoint] -= 1
            self._wake.set()

    async def _push(self, claim: claims.Claim) -> PushOutcome:
        assert self._session is not None
        try:
            secret = await self._secrets.get(claim.recipient_id)
        except AgencyNotFound:
            return PushOutcome(PushResult.DEAD, "recipient agency is no longer registered")
        return await push_client.send(
            self._session, claim.push, secret, self._settings.push_timeout
        )

    # -- writing outcomes ----------------------------------------------------

    async def _flush_loop(self) -> None:
        while True:
            await self._outcome_ready.wait()
            await asyncio.sleep(self._options.flush_interval)
            try:
                await self._flush()
            except _DATABASE_ERRORS as error:
                logger.warning("recording push outcomes failed", extra={"error": str(error)})
                await asyncio.sleep(self._options.poll_interval)
            except Exception:
                logger.exception("recording push outcomes failed; will try again")
                await asyncio.sleep(self._options.poll_interval)

    async def _flush(self) -> None:
        """Records outcomes and judges the endpoints' circuits by them, in one transaction.

        The postponement of an open endpoint's work covers the retries just
        recorded; a retry recorded late by any node is postponed at its own
        batch's judgement.
        """
        self._outcome_ready.clear()
        batch, self._outcomes = self._outcomes, []
        judged, self._judgements = self._judgements, []
        try:
            circuits = await claims.record(
                self._pool,
                self.owner,
                batch,
                self._settings.retry_budget_seconds,
                judged,
                circuit_breaker.BreakerRules(
                    self._options.breaker_threshold, self._options.breaker_cool_down
                ),
            )
        except BaseException:
            self._outcomes[:0] = batch
            self._judgements[:0] = judged
            self._outcome_ready.set()
            raise
        # Leases just ended: their slots are free for the next claim.
        self._wake.set()
        self._note_circuits(circuits)

    def _note_circuits(self, circuits: dict[str, circuit_breaker.Circuit]) -> None:
        for circuit in circuits.values():
            self._circuits[circuit.endpoint_url] = circuit.state
            if circuit.opened:
                logger.warning(
                    "endpoint circuit opened; its deliveries wait",
                    extra={"endpoint": circuit.endpoint_url, "seconds": circuit.reopens_in},
                )


def _judgement(outcome: PushOutcome) -> Judgement:
    if outcome.result is not PushResult.RETRY:
        return Judgement.ANSWERED
    return Judgement.FAILED if outcome.endpoint_failed else Judgement.NEUTRAL
