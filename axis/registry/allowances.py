"""Agencies' request allowances: a busy ministry may send more than the default.

An agency without a row here gets the axis's default
(``AXIS_RATE_LIMIT_AGENCY_PER_MINUTE``); ``axis agency set ORGAN_ID
--requests-per-minute N`` gives it its own, ``--requests-per-minute default``
takes it back. Read by every node every few seconds as one small table.
"""

from __future__ import annotations

import asyncpg

from axis.registry.agencies import AgencyNotFound
from axis.storage import sql
from axis.storage.database import Pool

MAX_REQUESTS_PER_MINUTE = 10_000_000


async def all_allowances(pool: Pool) -> dict[str, int]:
    """OrganId -> requests per minute, for the agencies that have their own."""
    rows = await pool.fetch(sql.query("agency_allowances_all"))
    return {row["organ_id"]: int(row["requests_per_minute"]) for row in rows}


async def set_allowance(pool: Pool, organ_id: str, requests_per_minute: int | None) -> None:
    """Gives ``organ_id`` its own allowance, or (None) the default back."""
    if requests_per_minute is None:
        await pool.execute(sql.query("agency_allowance_clear"), organ_id)
        return
    if not 1 <= requests_per_minute <= MAX_REQUESTS_PER_MINUTE:
        raise ValueError(
            f"requests per minute must be from 1 to {MAX_REQUESTS_PER_MINUTE}, "
            f"not {requests_per_minute}"
        )
    try:
        await pool.execute(sql.query("agency_allowance_set"), organ_id, requests_per_minute)
    except asyncpg.ForeignKeyViolationError:
        raise AgencyNotFound(f"No agency is registered under OrganId {organ_id!r}.") from None
