"""Monthly partitions of ``message_bodies``, made ahead of time without blocking writers.

Migration 0022 makes ``message_bodies`` a table partitioned on the message
id with what existed before as its DEFAULT partition. Monthly partitions
can sit beside a non-empty default only if the default provably holds
nothing of their months, or PostgreSQL scans it under an exclusive lock.
So the first run bounds the default with a CHECK (``message_id <`` the
first id of the month after next), added NOT VALID (an instant) and then
validated in a transaction of its own (a scan that lets writes through);
from then on every month at or above the bound gets its own partition,
created empty, a few months ahead. The month after next leaves at least a
month between bounding and the first partitioned id, so no insert can meet
the bound before its partition exists.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

from axis.retention.months import Month
from axis.storage import sql
from axis.storage.database import Pool

logger = logging.getLogger(__name__)

MONTHS_AHEAD = 3
_NAME = re.compile(r"^message_bodies_y(?P<year>\d{4})m(?P<month>\d{2})$")


async def monthly_partitions(pool: Pool) -> list[Month]:
    rows = await pool.fetch(sql.query("retention_body_partitions"))
    months = []
    for row in rows:
        match = _NAME.match(row["relname"])
        if match is not None:
            months.append(Month(int(match["year"]), int(match["month"])))
    return sorted(months)


_BOUND = re.compile(r"'(?P<prefix>[0-9a-f]{12})'")


async def _bound(pool: Pool, now: datetime) -> Month:
    """The first month with a partition of its own; bounds the default partition first
    if that was not done yet."""
    definition = await pool.fetchval(sql.query("retention_legacy_bound"))
    if definition is not None:
        match = _BOUND.search(definition)
        assert match is not None, definition
        bound = Month.of_message(match["prefix"])
        assert bound is not None
        return bound
    first = Month.of(now).next().next()
    await pool.execute(sql.query("retention_bound_legacy_bodies"), first.low_id)
    await pool.execute(sql.query("retention_validate_legacy_bound"))
    logger.info("bodies before partitions bounded", extra={"first_month": str(first)})
    return first


async def ensure_partitions(pool: Pool, now: datetime, ahead: int = MONTHS_AHEAD) -> list[Month]:
    """Creates the monthly partitions up to ``ahead`` months after ``now``; returns the new."""
    existing = await monthly_partitions(pool)
    first = await _bound(pool, now)
    month = existing[-1].next() if existing else first
    last = Month.of(now)
    for _ in range(ahead):
        last = last.next()
    created = []
    while month <= last:
        await pool.execute(
            sql.query("retention_create_body_partition"),
            month.partition_name, month.low_id, month.high_id,
        )  # fmt: skip
        created.append(month)
        month = month.next()
    if created:
        logger.info("body partitions created", extra={"months": [str(m) for m in created]})
    return created
