"""What operators watch of retention: bytes of bodies held, the oldest unsettled
message, the next purge and the held documents (for /metrics and the dashboard).

The bytes held and the next purge are the daily run's figures (summing a
year of bodies on every scrape would cost more than the scrape is worth);
the holds and the oldest unsettled delivery are read live.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from axis.storage import sql
from axis.storage.database import Pool


@dataclass(frozen=True, slots=True)
class RetentionFigures:
    body_bytes_held: int
    oldest_unsettled_at: datetime | None
    next_purge_at: datetime | None
    next_purge_month: str | None
    held_documents: int
    last_run_at: datetime | None


async def load(pool: Pool) -> RetentionFigures:
    row = await pool.fetchrow(sql.query("retention_figures"))
    assert row is not None
    return RetentionFigures(
        int(row["body_bytes_held"]),
        row["oldest_unsettled_at"],
        row["next_purge_at"],
        row["next_purge_month"],
        int(row["held_documents"]),
        row["last_run_at"],
    )
