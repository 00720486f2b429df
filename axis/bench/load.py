"""The load ``axis bench`` puts on a running axis, and what it measures of it.

Senders submit signed envelopes with ``concurrency`` requests in flight,
optionally paced to a fixed rate (the latency figure is only meaningful
below saturation: the issue asks for p99 at half the maximum rate). Each
recipient pulls the way a document-management system does: it lists its
inbox and fetches and acknowledges several messages at once, so the pull
side is limited by the axis, not by one round trip at a time. With
``batch`` each recipient takes the batch pull road instead: one inbox page,
one fetch of all its messages and one ack of them, three requests per page
rather than two per message.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

import psutil

from axis.client.agency_client import AgencyClient

# Fetches in flight per recipient; a DMS downloading its morning's mail does the same.
PULL_CONCURRENCY = 8
# An idle recipient long-polls: its inbox call answers when a message arrives.
# (Polling every 2 ms instead kept a core busy with four recipients' calls.)
IDLE_WAIT_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Load:
    base_url: str
    server_pid: int
    # (sender organ_id, envelope) in submission order.
    submissions: Sequence[tuple[str, bytes]]
    secrets: dict[str, str]
    recipient_ids: Sequence[str]
    concurrency: int
    rate: float | None
    # The batch pull road (POST /api/v1/inbox/fetch and /ack) instead of one message at a time.
    batch: bool = False


@dataclass(frozen=True, slots=True)
class LoadFigures:
    accepted_per_s: float
    delivered_per_s: float
    latency_p50_ms: float
    latency_p99_ms: float
    # Submit to 202: the message is committed, so already listed in the recipient's inbox.
    accept_latency_p50_ms: float
    accept_latency_p99_ms: float
    cpu_s_per_message: float
    peak_rss_mb: float


def server_processes(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = process.cpu_times()
            total += times.user + times.system
    return total


class _Run:
    def __init__(self, load: Load) -> None:
        self.load = load
        self.total = len(load.submissions)
        self.submitted: dict[str, float] = {}
        self.latencies: list[float] = []
        self.accept_latencies: list[float] = []
        self.all_delivered = asyncio.Event()
        self.last_delivered_at = 0.0
        self.peak_rss_mb = 0.0

    async def submit_all(self, senders: dict[str, AgencyClient]) -> None:
        slots = asyncio.Semaphore(self.load.concurrency)
        started = time.perf_counter()
        pending: set[asyncio.Task[None]] = set()

        async def send(organ_id: str, envelope: bytes) -> None:
            try:
                begun = time.perf_counter()
                result = await senders[organ_id].send(envelope)
                self.accept_latencies.append(time.perf_counter() - begun)
                self.submitted.setdefault(result.id, begun)
            finally:
                slots.release()

        for index, (organ_id, envelope) in enumerate(self.load.submissions):
            if self.load.rate:
                delay = started + index / self.load.rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            await slots.acquire()
            task = asyncio.create_task(send(organ_id, envelope))
            pending.add(task)
            task.add_done_callback(pending.discard)
        await asyncio.gather(*pending)

    def _delivered(self, message_ids: list[str]) -> None:
        now = time.perf_counter()
        for message_id in message_ids:
            # A message fetched before its sender heard 202 counts from now (~0 ms).
            self.latencies.append(now - self.submitted.get(message_id, now))

    def _check_all_delivered(self) -> None:
        if len(self.latencies) >= self.total and not self.all_delivered.is_set():
            self.last_delivered_at = time.perf_counter()
            self.all_delivered.set()

    async def receive_batches(self, client: AgencyClient) -> None:
        """The batch road: a page, its messages in one fetch, then one ack of them all."""
        while not self.all_delivered.is_set():
            page = await client.inbox(limit=100, wait=IDLE_WAIT_SECONDS)
            ids = [item["id"] for item in page["items"]]
            if not ids:
                continue
            fetched = await client.fetch_many(ids)
            taken = list(fetched.messages)
            self._delivered(taken)
            # Past the answer's byte budget (large envelopes): fetched alone, as the road says.
            for message_id, problem in fetched.problems.items():
                if problem.get("code") == "batch.too_large":
                    await client.get(message_id)
                    self._delivered([message_id])
                    taken.append(message_id)
            if taken:
                await client.ack_many(taken)
            self._check_all_delivered()

    async def receive(self, client: AgencyClient) -> None:
        # An ack can land between listing a page and reading it: never take one twice.
        taken: set[str] = set()
        slots = asyncio.Semaphore(PULL_CONCURRENCY)
        tasks: set[asyncio.Task[None]] = set()
        # Set as each take finishes: what a listing of only taken messages waits for.
        progress = asyncio.Event()

        async def take(message_id: str) -> None:
            try:
                await client.get(message_id)
                self._delivered([message_id])
                await client.ack(message_id)
            finally:
                slots.release()
                progress.set()
                self._check_all_delivered()

        while not self.all_delivered.is_set():
            # From the start each round: unacknowledged messages are all listed, and
            # ids already taken are skipped, whatever order the inbox uses.
            progress.clear()
            page = await client.inbox(limit=100, wait=IDLE_WAIT_SECONDS)
            fresh = [item["id"] for item in page["items"] if item["id"] not in taken]
            if not fresh:
                if page["items"]:  # listed but all taken: look again once one is acked
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(progress.wait(), IDLE_WAIT_SECONDS)
                continue
            for message_id in fresh:
                await slots.acquire()
                taken.add(message_id)
                task = asyncio.create_task(take(message_id))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)

    async def sample_memory(self) -> None:
        while True:
            rss = 0
            for process in server_processes(self.load.server_pid):
                with contextlib.suppress(psutil.NoSuchProcess):
                    rss += process.memory_info().rss
            self.peak_rss_mb = max(self.peak_rss_mb, rss / 2**20)
            await asyncio.sleep(0.2)


async def apply_load(load: Load) -> LoadFigures:
    run = _Run(load)
    processes = server_processes(load.server_pid)
    cpu_before = cpu_seconds(processes)
    senders = {
        organ_id: AgencyClient(load.base_url, load.secrets[organ_id])
        for organ_id in {organ_id for organ_id, _ in load.submissions}
    }
    receivers = [
        AgencyClient(load.base_url, load.secrets[organ_id]) for organ_id in load.recipient_ids
    ]
    sampler = asyncio.create_task(run.sample_memory())
    try:
        started = time.perf_counter()
        receive = run.receive_batches if load.batch else run.receive
        receiving = [asyncio.create_task(receive(client)) for client in receivers]
        await run.submit_all(senders)
        accepted_elapsed = time.perf_counter() - started
        await asyncio.wait_for(asyncio.gather(*receiving), timeout=600)
        # Not when the receivers return: idle ones end their last long poll first.
        delivered_elapsed = run.last_delivered_at - started
    finally:
        sampler.cancel()
        for client in (*senders.values(), *receivers):
            await client.close()
    cpu_used = cpu_seconds(server_processes(load.server_pid)) - cpu_before
    return LoadFigures(
        accepted_per_s=round(run.total / accepted_elapsed, 1),
        delivered_per_s=round(run.total / delivered_elapsed, 1),
        latency_p50_ms=_percentile_ms(run.latencies, 50),
        latency_p99_ms=_percentile_ms(run.latencies, 99),
        accept_latency_p50_ms=_percentile_ms(run.accept_latencies, 50),
        accept_latency_p99_ms=_percentile_ms(run.accept_latencies, 99),
        cpu_s_per_message=round(cpu_used / run.total, 6),
        peak_rss_mb=round(run.peak_rss_mb, 1),
    )


def _percentile_ms(seconds: list[float], percent: int) -> float:
    ordered = sorted(seconds)
    if percent == 50:
        return round(statistics.median(ordered) * 1000, 2)
    return round(ordered[max(0, len(ordered) * percent // 100 - 1)] * 1000, 2)
