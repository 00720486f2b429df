"""Dates and timestamps as edXML writes them, and ISO 8601 as some senders do."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

__all__ = ["VIETNAM", "format_date", "format_timestamp", "parse_date", "parse_timestamp"]

# Timestamps without a zone are Vietnam time (UTC+7), as the standard says.
VIETNAM = timezone(timedelta(hours=7))

_EDXML = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?")


def parse_date(text: str) -> date:
    """``yyyy/MM/dd`` or ISO 8601 (a date, or a date-time whose date part is taken)."""
    value = text.strip()
    match = _EDXML.fullmatch(value)
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
        if len(value) > 10:
            return datetime.fromisoformat(value).date()
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (yyyy/MM/dd or ISO 8601)") from None


def parse_timestamp(text: str) -> datetime:
    """``yyyy/MM/dd HH:mm:ss`` or ISO 8601; always aware, UTC+7 when no zone is written."""
    value = text.strip()
    match = _EDXML.fullmatch(value)
    try:
        if match:
            moment = datetime(
                int(match[1]),
                int(match[2]),
                int(match[3]),
                int(match[4] or 0),
                int(match[5] or 0),
                int(match[6] or 0),
            )
        else:
            moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{text!r} is not a timestamp (yyyy/MM/dd HH:mm:ss or ISO 8601)") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=VIETNAM)


def format_date(value: date) -> str:
    return f"{value.year:04d}/{value.month:02d}/{value.day:02d}"


def format_timestamp(value: datetime) -> str:
    """The standard's form when it says everything; ISO 8601 when it would lose something."""
    moment = value if value.tzinfo is not None else value.replace(tzinfo=VIETNAM)
    if moment.utcoffset() == timedelta(hours=7) and moment.microsecond == 0:
        return f"{format_date(moment)} {moment:%H:%M:%S}"
    return moment.isoformat()
