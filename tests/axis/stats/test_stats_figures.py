"""Every statistic over generated histories, against figures computed in Python.

Thousands of documents with known timings go straight into the tables; the
refresher builds the facts; each figure the SQL returns must equal the one
``tests.support.stats_expectations`` computes from the same records.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import date, datetime, timedelta

import asyncpg
import pytest

from axis.stats import deadlines
from axis.stats import figures as stats
from axis.stats.refresh import refresh
from axis.storage.database import Pool
from axis.working_days import WorkingCalendar
from tests.support import histories
from tests.support.histories import AgencyRecord, DocumentRecord, StatusRecord
from tests.support.stats_expectations import Model, Rules

START = histories.utc(2025, 4, 20)  # a Sunday, with 30/4 and 1/5 (holidays) ahead
DAYS = 24
NOW = histories.utc(2025, 5, 8, 9, 30)  # inside the history: some deadlines still ahead
SILENT = frozenset({"000.02.03.H53", "000.00.02.G01"})
WHOLE = stats.Period(date(2025, 4, 19), date(2025, 5, 20))
PARTS = (
    stats.Period(date(2025, 4, 25), date(2025, 5, 2)),
    stats.Period(date(2025, 5, 1), date(2025, 5, 1)),
)


def _history(count: int, seed: int) -> tuple[list[AgencyRecord], list[DocumentRecord]]:
    agencies = histories.agency_tree()
    rng = random.Random(seed)
    documents = list(
        histories.documents(rng, agencies, count, start=START, days=DAYS, silent=SILENT)
    )
    return agencies, documents


async def _check_rows(
    pool: Pool,
    model: Model,
    period: stats.Period,
    viewer: str | None,
    *,
    parent: str | None = None,
    flat: bool = False,
) -> int:
    rows = await stats.agency_rows(
        pool, period, viewer=viewer, parent=parent, flat=flat, include_idle=True, now=NOW
    )
    if parent is not None:
        expected_ids = model.children(parent)
    elif flat:
        expected_ids = sorted(model.members(viewer)) if viewer else sorted(model.parent)
    else:
        expected_ids = [viewer] if viewer else model.roots()
    assert [row.organ_id for row in rows] == expected_ids
    for row in rows:
        expected = model.figures(row.organ_id, period.first, period.last, NOW, rollup=not flat)
        got = row.as_json()
        assert got.pop("in_registry") == (row.organ_id != histories.UNREGISTERED_PARENT)
        assert got == expected, row.organ_id
    return len(rows)


async def _check_everything(pool: Pool, model: Model) -> None:
    assert await _check_rows(pool, model, WHOLE, None) == 3
    for period in (WHOLE, *PARTS):
        await _check_rows(pool, model, period, None, flat=True)
    for parent in ("000.00.00.H53", "000.00.01.G01", histories.UNREGISTERED_PARENT):
        await _check_rows(pool, model, PARTS[0], None, parent=parent)
    await _check_rows(pool, model, WHOLE, "000.00.02.H53")
    await _check_rows(pool, model, WHOLE, "000.00.02.H53", flat=True)
    await _check_overdue(pool, model)
    detail = await stats.agency_detail(pool, PARTS[0], "000.00.00.H53", viewer=None, now=NOW)
    members = model.members("000.00.00.H53")
    assert [day.as_json() for day in detail.days] == model.daily(
        PARTS[0].first, PARTS[0].last, members
    )
    assert detail.subtree.as_json()["sent"] == sum(
        day["sent"] for day in model.daily(PARTS[0].first, PARTS[0].last, members)
    )
    everyone = await stats.daily(pool, WHOLE, None)
    assert [day.as_json() for day in everyone] == model.daily(WHOLE.first, WHOLE.last)
    for period in (WHOLE, PARTS[0]):
        silent = await stats.silent_agencies(pool, period, viewer=None)
        assert {row["organ_id"] for row in silent} == model.silent(period.first, period.last)


async def _check_overdue(pool: Pool, model: Model) -> None:
    for senders, recipients in (
        (None, None),
        ({"000.00.01.H53"}, None),
        (None, model.members("000.00.00.G01")),
    ):
        expected = model.overdue(NOW, senders=senders, recipients=recipients)
        seen: dict[tuple[str, str], tuple[bool, bool]] = {}
        order: list[datetime] = []
        cursor = None
        while True:
            page = await deadlines.overdue(
                pool, senders=senders, recipients=recipients, cursor=cursor, limit=97, now=NOW
            )
            for item in page.items:
                seen[(item.message_id, item.recipient_id)] = (
                    item.receipt_overdue,
                    item.due_date_overdue,
                )
                order.append(item.overdue_since)
                assert item.overdue_since < NOW
            assert page.total == len(expected)
            assert page.receipt == sum(1 for flags in expected.values() if flags[0])
            assert page.due_date == sum(1 for flags in expected.values() if flags[1])
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == expected
        assert order == sorted(order)


async def test_every_figure_matches_the_history(pool: Pool) -> None:
    agencies, documents = _history(3000, seed=8)
    async with pool.acquire() as connection:
        await histories.insert_agencies(connection, agencies)
        await histories.insert_documents(connection, documents)
    result = await refresh(pool, WorkingCalendar(), 1)
    assert result is not None and result.calendar_rebuilt
    assert result.facts_written == sum(len(d.deliveries) for d in documents)
    model = Model(agencies, documents, Rules())
    await _check_everything(pool, model)
    # Nothing changed: the next refresh writes nothing and the figures stand.
    again = await refresh(pool, WorkingCalendar(), 1)
    assert again is not None and again.facts_written == 0 and not again.calendar_rebuilt


async def test_other_holidays_and_two_working_days_recompute_every_deadline(pool: Pool) -> None:
    agencies, documents = _history(1500, seed=9)
    async with pool.acquire() as connection:
        await histories.insert_agencies(connection, agencies)
        await histories.insert_documents(connection, documents)
    await refresh(pool, WorkingCalendar(), 1)
    holidays = ("04-30", "05-01", "2025-05-02", "2025-04-28")
    result = await refresh(pool, WorkingCalendar(holidays), 2)
    assert result is not None and result.calendar_rebuilt and result.facts_written > 0
    await _check_everything(pool, Model(agencies, documents, Rules(holidays, 2)))


def _split(document: DocumentRecord) -> tuple[DocumentRecord, list[StatusRecord]]:
    """The document with each delivery's last status held back, and those statuses."""
    held: list[StatusRecord] = []
    early = []
    for delivery in document.deliveries:
        if delivery.statuses:
            held.append(delivery.statuses[-1])
            early.append(dataclasses.replace(delivery, statuses=delivery.statuses[:-1]))
        else:
            early.append(delivery)
    return dataclasses.replace(document, deliveries=tuple(early)), held


async def test_incremental_refresh_picks_up_new_documents_statuses_and_deliveries(
    pool: Pool, database_url: str
) -> None:
    agencies, documents = _history(2000, seed=10)
    older, newer = documents[:1200], documents[1200:]
    split = [_split(document) for document in older]
    async with pool.acquire() as connection:
        await histories.insert_agencies(connection, agencies)
        await histories.insert_documents(connection, [early for early, _ in split])
    await refresh(pool, WorkingCalendar(), 1, rescan=0)
    await _check_everything(pool, Model(agencies, [early for early, _ in split], Rules()))

    # Later: the held-back statuses arrive, new documents come, and some queued
    # deliveries of the older documents are fetched at last.
    fetched_at = START + timedelta(days=5, hours=3)
    final = []
    updates = []
    for document in older:
        deliveries = []
        for delivery in document.deliveries:
            if delivery.transport_state == "queued":
                updates.append((document.message_id, delivery.recipient_id))
                deliveries.append(
                    dataclasses.replace(
                        delivery, transport_state="delivered", delivered_at=fetched_at
                    )
                )
            else:
                deliveries.append(delivery)
        final.append(dataclasses.replace(document, deliveries=tuple(deliveries)))
    assert updates
    writer = await asyncpg.connect(database_url)
    try:
        await histories.insert_statuses(
            writer,
            [
                (document, status)
                for document, (_, held) in zip(older, split, strict=True)
                for status in held
            ],
        )
        await histories.insert_documents(writer, newer)
        await writer.executemany(
            "UPDATE deliveries SET transport_state = 'delivered', delivered_at = $3 "
            "WHERE message_id = $1 AND recipient_id = $2",
            [(message_id, recipient, fetched_at) for message_id, recipient in updates],
        )
    finally:
        await writer.close()
    result = await refresh(pool, WorkingCalendar(), 1, rescan=0)
    assert result is not None and result.deliveries_from > 0 and result.statuses_from > 0
    await _check_everything(pool, Model(agencies, [*final, *newer], Rules()))


async def test_unknown_agency_and_outside_subtree_are_refused(pool: Pool) -> None:
    agencies, documents = _history(50, seed=11)
    async with pool.acquire() as connection:
        await histories.insert_agencies(connection, agencies)
        await histories.insert_documents(connection, documents)
    with pytest.raises(stats.UnknownAgency):
        await stats.agency_detail(pool, WHOLE, "000.00.00.X00", viewer=None)
    with pytest.raises(stats.OutsideSubtree):
        await stats.agency_rows(pool, WHOLE, viewer="000.00.01.H53", parent="000.00.00.H53")
    detail = await stats.agency_detail(pool, WHOLE, "000.01.01.H53", viewer="000.00.01.H53")
    assert detail.own.organ_id == "000.01.01.H53"


def test_period_parsing() -> None:
    today = date(2025, 5, 8)
    assert stats.Period.parse(None, None, today) == stats.Period(date(2025, 4, 9), today)
    assert stats.Period.parse("2025-05-01", "2025-05-01", today).first == date(2025, 5, 1)
    for first, last in (("2025-05-02", "2025-05-01"), ("1/5/2025", None), ("2000-01-01", None)):
        with pytest.raises(stats.InvalidPeriod):
            stats.Period.parse(first, last, today)
