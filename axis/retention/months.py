"""Calendar months as ranges of message ids.

Message ids start with 48 bits of milliseconds since the epoch as 12
lowercase hex digits (:mod:`axis.intake.message_ids`), so the ids of a
month are those from the hex of its first millisecond up to the next
month's: comparing text compares times. Months are UTC months.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from axis.errors import AxisError

_MONTH = re.compile(r"^(?P<year>\d{4})-(?P<month>0[1-9]|1[0-2])$")
_ID_PREFIX = re.compile(r"^[0-9a-f]{12}")


class InvalidMonth(AxisError):
    """The month must be written YYYY-MM."""

    code = "retention.invalid_month"


@dataclass(frozen=True, slots=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        match = _MONTH.match(text.strip())
        if match is None:
            raise InvalidMonth(
                f"The month must be written YYYY-MM (such as 2026-01), not {text!r}."
            )
        return cls(int(match["year"]), int(match["month"]))

    @classmethod
    def of(cls, moment: datetime) -> Month:
        moment = moment.astimezone(UTC)
        return cls(moment.year, moment.month)

    @classmethod
    def of_message(cls, message_id: str) -> Month | None:
        """The month a time-ordered id was made in; None for an id of another form."""
        if _ID_PREFIX.match(message_id) is None:
            return None
        millis = int(message_id[:12], 16)
        return cls.of(datetime.fromtimestamp(millis / 1000, UTC))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def starts_at(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def ends_at(self) -> datetime:
        """The first moment after the month (the next month's start)."""
        return self.next().starts_at

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    @property
    def low_id(self) -> str:
        """The smallest id of the month, as text: a 12-hex-digit prefix."""
        return _prefix(self.starts_at)

    @property
    def high_id(self) -> str:
        """Every id of the month sorts below this one (the next month's low id)."""
        return _prefix(self.ends_at)

    @property
    def partition_name(self) -> str:
        return f"message_bodies_y{self.year:04d}m{self.month:02d}"

    def is_over(self, now: datetime) -> bool:
        return now >= self.ends_at


def _prefix(moment: datetime) -> str:
    millis = int(moment.timestamp() * 1000)
    return f"{millis:012x}"


def message_id_at(moment: datetime, suffix: str = "0" * 20) -> str:
    """A message id as intake would make at ``moment`` (for tests and generated data)."""
    return _prefix(moment) + suffix
