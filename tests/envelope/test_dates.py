from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from envelope.dates import VIETNAM, format_date, format_timestamp, parse_date, parse_timestamp


@pytest.mark.parametrize(
    "text", ["2026/11/20", "2026-11-20", " 2026/11/20 ", "2026-11-20T08:00:00+07:00", "2026/1/5"]
)
def test_dates(text: str) -> None:
    expected = date(2026, 1, 5) if text == "2026/1/5" else date(2026, 11, 20)
    assert parse_date(text) == expected


def test_edxml_timestamp_is_vietnam_time() -> None:
    moment = parse_timestamp("2026/11/20 09:15:00")
    assert moment == datetime(2026, 11, 20, 9, 15, tzinfo=VIETNAM)
    assert moment == datetime(2026, 11, 20, 2, 15, tzinfo=UTC)


def test_iso_timestamps_keep_their_zone_or_get_vietnam_time() -> None:
    assert parse_timestamp("2026-11-20T02:15:00Z") == datetime(2026, 11, 20, 9, 15, tzinfo=VIETNAM)
    assert parse_timestamp("2026-11-20T09:15:00").utcoffset() == timedelta(hours=7)
    assert parse_timestamp("2026-11-20T09:15:00.250+01:00").microsecond == 250_000


@pytest.mark.parametrize("text", ["20/11/2026", "2026/13/01", "yesterday", ""])
def test_not_dates(text: str) -> None:
    with pytest.raises(ValueError, match="is not a date"):
        parse_date(text)
    with pytest.raises(ValueError, match="is not a timestamp"):
        parse_timestamp(text)


def test_formats() -> None:
    assert format_date(date(2026, 1, 5)) == "2026/01/05"
    assert format_timestamp(datetime(2026, 1, 5, 7, 8, 9, tzinfo=VIETNAM)) == "2026/01/05 07:08:09"
    other = datetime(2026, 1, 5, 7, 8, 9, tzinfo=timezone(timedelta(hours=-3)))
    assert parse_timestamp(format_timestamp(other)) == other
