"""Working days: the calendar the receipt deadline is counted in.

A working day is Monday to Friday unless it is a public holiday. Holidays
are configured (``AXIS_PUBLIC_HOLIDAYS``) as ``MM-DD`` (every year: the
fixed-date holidays of the Labour Code, the default) or ``YYYY-MM-DD`` (one
day: Tết and the Hùng Kings' day follow the lunar calendar, and the
government announces each year's bridging days, so operators add those).

"N working days after a moment" counts only time that falls on working
days, in the time zone of Vietnam (Asia/Ho_Chi_Minh, UTC+7 all year): a
document delivered on Friday at 15:00 has one working day until Monday at
15:00; one delivered on Saturday (or a holiday) starts counting at the next
working day's midnight, so its one working day ends when Tuesday begins.
The deadline is the last moment at which no more than N working days have
passed; a receipt at that very moment is in time.

The refresher writes :meth:`WorkingCalendar.rows` into ``stats_calendar``
and computes deadlines there in SQL; the calendar's :meth:`key` tells it
when the configuration changed and every deadline must be recomputed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

TIME_ZONE_NAME = "Asia/Ho_Chi_Minh"
TIME_ZONE = ZoneInfo(TIME_ZONE_NAME)

# Fixed-date public holidays (Labour Code 2019, art. 112): New Year, Reunification
# Day, Labour Day, National Day. The lunar ones change date every year.
DEFAULT_HOLIDAYS = ("01-01", "04-30", "05-01", "09-02")

CALENDAR_FIRST = date(2000, 1, 1)
CALENDAR_LAST = date(2100, 12, 31)

_HOLIDAY = re.compile(r"^(?:(?P<year>\d{4})-)?(?P<month>\d{2})-(?P<day>\d{2})$")


def parse_holidays(text: str) -> tuple[str, ...]:
    """``"01-01, 2026-02-17"`` -> ``("01-01", "2026-02-17")``; ValueError names a bad entry."""
    entries = tuple(part.strip() for part in text.replace(";", ",").split(",") if part.strip())
    for entry in entries:
        match = _HOLIDAY.match(entry)
        if match is None:
            raise ValueError(f"must list days as MM-DD or YYYY-MM-DD, not {entry!r}")
        try:
            date(int(match["year"] or 2000), int(match["month"]), int(match["day"]))
        except ValueError:
            raise ValueError(f"names no real day: {entry!r}") from None
    return entries


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    holidays: tuple[str, ...] = DEFAULT_HOLIDAYS

    def is_working(self, day: date) -> bool:
        if day.weekday() >= 5:
            return False
        return f"{day:%m-%d}" not in self.holidays and day.isoformat() not in self.holidays

    def key(self, receipt_days: int) -> str:
        """Changes whenever a deadline computed with this calendar could change."""
        text = ",".join(sorted(self.holidays)) + f"|{receipt_days}|{CALENDAR_FIRST}|{CALENDAR_LAST}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def rows(self) -> tuple[list[date], list[bool], list[int]]:
        """Columns of ``stats_calendar``: day, working, working days up to and including it."""
        days: list[date] = []
        working: list[bool] = []
        ordinals: list[int] = []
        ordinal = 0
        day = CALENDAR_FIRST
        while day <= CALENDAR_LAST:
            works = self.is_working(day)
            ordinal += works
            days.append(day)
            working.append(works)
            ordinals.append(ordinal)
            day += timedelta(days=1)
        return days, working, ordinals
