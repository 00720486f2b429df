"""Identical resubmissions sent at once, across processes: every caller hears of the first.

api.md promises 200 with the first message's id for every identical
resubmission. Two intakes (two connection pools, so two transactions that
really race) each get half of the copies; the repeat must be recognised
after the answered document's lock, never judged again by the status rules.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from axis.intake.service import Accepted, Intake
from tests.support.envelopes import Broker, document, document_id_of, open_broker, status

SENDER = "000.00.00.G22"
RECIPIENT = "000.00.00.H41"
COPIES = 30


@pytest.fixture
async def broker(database_url: str) -> AsyncIterator[Broker]:
    async with open_broker(database_url) as opened:
        await opened.add(SENDER)
        await opened.add(RECIPIENT)
        yield opened


async def _race(broker: Broker, organ_id: str, data: bytes) -> list[Accepted | BaseException]:
    runtime = broker.runtime
    others = [
        Intake(runtime.settings, runtime.pool, runtime.registry, runtime.trust, runtime.peer_cache)
        for _ in range(2)
    ]
    intakes = [runtime.intake, *others]
    try:
        agency = await runtime.registry.require(organ_id)
        return await asyncio.gather(
            *(intakes[n % len(intakes)].submit(agency, data) for n in range(COPIES)),
            return_exceptions=True,
        )
    finally:
        for other in others:
            await other.close()


def _all_repeats_of_one(outcomes: list[Accepted | BaseException]) -> Accepted:
    refused = [o for o in outcomes if not isinstance(o, Accepted)]
    assert refused == [], refused
    accepted = [o for o in outcomes if isinstance(o, Accepted)]
    assert len({a.id for a in accepted}) == 1
    assert sum(a.created for a in accepted) == 1
    return accepted[0]


async def test_thirty_identical_statuses_at_once_all_answer_the_first(broker: Broker) -> None:
    unsigned = document(SENDER, [RECIPIENT])
    sent = await broker.runtime.intake.submit(
        await broker.runtime.registry.require(SENDER), broker.agencies[SENDER].sign(unsigned)
    )
    receipt = broker.agencies[RECIPIENT].sign(
        status(RECIPIENT, SENDER, document_id_of(unsigned), "03")
    )
    first = _all_repeats_of_one(await _race(broker, RECIPIENT, receipt))
    assert first.kind == "status"
    assert await broker.pool.fetchval("SELECT count(*) FROM status_events") == 1
    assert (
        await broker.pool.fetchval(
            "SELECT count(*) FROM messages WHERE kind = 'status' AND document_id = $1",
            document_id_of(unsigned),
        )
        == 1
    )
    assert await broker.pool.fetchval("SELECT count(*) FROM refusals") == 0
    assert sent.created


async def test_thirty_identical_documents_at_once_all_answer_the_first(broker: Broker) -> None:
    data = broker.agencies[SENDER].sign(document(SENDER, [RECIPIENT]))
    _all_repeats_of_one(await _race(broker, SENDER, data))
    assert await broker.pool.fetchval("SELECT count(*) FROM messages") == 1
    assert await broker.pool.fetchval("SELECT count(*) FROM deliveries") == 1
