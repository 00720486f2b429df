"""Deadlines, case by case, with the answers written out by hand (Vietnam time, UTC+7)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from axis.errors import ConfigurationError
from axis.settings import load_settings
from axis.stats import deadlines
from axis.stats import figures as stats
from axis.stats.refresh import refresh
from axis.storage import database
from axis.storage.database import Pool
from axis.working_days import WorkingCalendar, parse_holidays
from tests.support import histories
from tests.support.histories import AgencyRecord, DeliveryRecord, DocumentRecord, StatusRecord

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SENDER, RECIPIENT = "000.00.01.H53", "000.00.02.H53"
AGENCIES = [AgencyRecord(SENDER, "Sở Nội vụ", None), AgencyRecord(RECIPIENT, "Sở Tài chính", None)]


def vn(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VN)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[Pool]:
    opened = await database.create_pool(database_url, 2)
    try:
        async with opened.acquire() as connection:
            await histories.insert_agencies(connection, AGENCIES)
        yield opened
    finally:
        await opened.close()


def _document(
    number: int,
    delivered_at: datetime | None,
    statuses: tuple[tuple[str, datetime], ...] = (),
    *,
    due_date: date | None = None,
    state: str = "delivered",
) -> DocumentRecord:
    return DocumentRecord(
        f"case{number:02d}", SENDER, (delivered_at or vn(2025, 4, 20)) - timedelta(minutes=5),
        due_date,
        (DeliveryRecord(RECIPIENT, state, delivered_at, tuple(
            # The status claims to be older than it is: the axis's clock decides.
            StatusRecord(code, RECIPIENT, at, at - timedelta(days=3)) for code, at in statuses
        )),),
        None,
    )  # fmt: skip


async def _receipt_deadlines(pool: Pool, calendar: WorkingCalendar, days: int) -> list[datetime]:
    await refresh(pool, calendar, days)
    async with pool.acquire() as connection:
        rows = await connection.fetch(
            "SELECT receipt_deadline FROM delivery_facts ORDER BY message_id"
        )
    return [row["receipt_deadline"] for row in rows]


async def test_receipt_deadlines_count_working_days_only(pool: Pool) -> None:
    documents = [
        _document(1, vn(2025, 4, 25, 15)),  # Friday afternoon
        _document(2, vn(2025, 4, 26, 10)),  # Saturday
        _document(3, vn(2025, 4, 29, 9)),  # Tuesday before 30/4 and 1/5
        _document(4, vn(2025, 4, 28, 0)),  # Monday, midnight
        _document(5, vn(2025, 5, 2, 23, 59)),  # Friday, a minute to midnight
    ]
    async with pool.acquire() as connection:
        await histories.insert_documents(connection, documents)
    assert await _receipt_deadlines(pool, WorkingCalendar(), 1) == [
        vn(2025, 4, 28, 15),
        vn(2025, 4, 29, 0),
        vn(2025, 5, 2, 9),
        vn(2025, 4, 29, 0),
        vn(2025, 5, 5, 23, 59),
    ]
    # Two working days, and 2 May declared a holiday too.
    assert await _receipt_deadlines(pool, WorkingCalendar(("04-30", "05-01", "2025-05-02")), 2) == [
        vn(2025, 4, 29, 15),
        vn(2025, 5, 5, 0),  # Monday and Tuesday count; 30/4 to 2/5 and the weekend do not
        vn(2025, 5, 6, 9),
        vn(2025, 5, 5, 0),
        vn(2025, 5, 7, 0),
    ]


async def test_overdue_depends_on_when_the_axis_received_the_answer(pool: Pool) -> None:
    friday = vn(2025, 4, 25, 15)
    monday = vn(2025, 4, 28, 15)  # its receipt deadline
    documents = [
        _document(1, friday, (("01", monday),)),  # at the deadline: in time
        _document(2, friday, (("01", monday + timedelta(seconds=1)),)),  # a second late
        _document(3, friday),  # never answered
        _document(4, friday, (("03", vn(2025, 4, 28, 8)),), due_date=date(2025, 4, 29)),
        _document(5, friday, (("01", friday), ("06", vn(2025, 4, 29, 23, 59))),
                  due_date=date(2025, 4, 29)),
        _document(6, friday, (("02", vn(2025, 4, 26)),), due_date=date(2025, 4, 26)),
        _document(7, None, due_date=date(2025, 4, 27), state="dead"),  # never delivered
        _document(8, None, due_date=date(2025, 4, 27), state="discarded"),
        _document(9, friday, (("01", friday), ("15", vn(2025, 4, 26))),
                  due_date=date(2025, 4, 26)),
    ]  # fmt: skip
    async with pool.acquire() as connection:
        await histories.insert_documents(connection, documents)
    await refresh(pool, WorkingCalendar(), 1)
    now = vn(2025, 5, 12)
    page = await deadlines.overdue(pool, senders=[SENDER], recipients=None, now=now)
    flags = {item.message_id: (item.receipt_overdue, item.due_date_overdue) for item in page.items}
    assert flags == {
        "case03": (True, False),
        "case04": (False, True),  # registered (03) in time, never finished by 29/4
        "case07": (False, True),
    }
    assert [item.overdue_since for item in page.items] == [
        vn(2025, 4, 28), vn(2025, 4, 28, 15), vn(2025, 4, 30)
    ]  # fmt: skip
    (figures,) = await stats.agency_rows(
        pool, stats.Period(date(2025, 4, 1), date(2025, 4, 30)), viewer=RECIPIENT, now=now
    )
    # Late answers count in the statistics, though they are no longer open.
    assert (figures.overdue_receipt, figures.overdue_due_date) == (2, 2)
    # Before the deadlines passed nothing was overdue.
    early = await deadlines.overdue(pool, senders=None, recipients=None, now=vn(2025, 4, 26))
    assert early.total == 0


def test_holiday_setting_is_checked() -> None:
    assert parse_holidays("01-01, 2026-02-17;09-02") == ("01-01", "2026-02-17", "09-02")
    settings = load_settings(
        {"AXIS_PUBLIC_HOLIDAYS": "", "AXIS_RECEIPT_DEADLINE_WORKING_DAYS": "2"}
    )
    assert settings.public_holidays == () and settings.receipt_deadline_working_days == 2
    with pytest.raises(ConfigurationError, match="AXIS_PUBLIC_HOLIDAYS names no real day"):
        load_settings({"AXIS_PUBLIC_HOLIDAYS": "02-30"})
    with pytest.raises(ConfigurationError, match="MM-DD or YYYY-MM-DD"):
        load_settings({"AXIS_PUBLIC_HOLIDAYS": "30/4"})
    with pytest.raises(ConfigurationError, match="between 1 and 30"):
        load_settings({"AXIS_RECEIPT_DEADLINE_WORKING_DAYS": "0"})


def test_the_calendar_counts_working_days() -> None:
    calendar = WorkingCalendar(("04-30", "05-01"))
    assert not calendar.is_working(date(2025, 4, 30)) and not calendar.is_working(date(2025, 5, 3))
    assert calendar.is_working(date(2025, 5, 2))
    days, working, ordinals = calendar.rows()
    index = days.index(date(2025, 4, 28))
    assert working[index : index + 7] == [True, True, False, False, True, False, False]
    assert [o - ordinals[index] for o in ordinals[index : index + 8]] == [0, 1, 1, 1, 2, 2, 2, 3]
    assert calendar.key(1) != calendar.key(2) != WorkingCalendar().key(2)
