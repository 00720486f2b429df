"""How long to wait before the next push attempt.

Exponential backoff with full jitter: the delay is drawn uniformly between
zero and ``min(cap, base * 2**attempts)``, so endpoints that failed together
are not retried together. A ``Retry-After`` answer overrides the draw.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


@dataclass(frozen=True, slots=True)
class Backoff:
    base: float = 1.0
    cap: float = 3600.0
    random: random.Random = field(default_factory=random.Random, compare=False)

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt (0-based)."""
        ceiling = min(self.cap, self.base * 2 ** min(attempts, 62))
        return self.random.uniform(0.0, ceiling)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date; None if unreadable."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
