"""Accountability statistics per agency, rolled up by parent OrganId.

Read from ``delivery_facts`` (see :mod:`axis.stats.refresh` for what is
materialised and how fresh it is) and computed entirely in SQL
(``axis/sql/stats.sql``). Definitions:

* Period: local days (Asia/Ho_Chi_Minh) ``first`` to ``last`` inclusive. A
  delivery belongs to the day its document was sent (accepted by the axis),
  so "sent" and "received" of one day describe the same documents and the
  daily figures add up to the period's.
* ``sent``: documents the agency sent. ``received``: copies addressed to it;
  ``delivered``: of those, the ones it fetched or accepted by push.
* Times run from delivery (``delivered_at``) to the recipient's first status
  at each stage, on the axis's clock (when the axis received the status, not
  the ``Timestamp`` the status claims: that one can be forged or skewed).
  "To 01" is the first answer of any kind (01 to 06, or 02): steps may be
  skipped, and a 03 says the document arrived as surely as a 01; "to 03" is
  the first of 03 to 06; "to 06" the 06. Negative gaps count as zero.
  Median and 90th percentile are ``percentile_disc``: observed durations,
  never interpolated.
* ``rejected_share``: deliveries answered with 02 / deliveries delivered.
* ``overdue_receipt``, ``overdue_due_date``: deliveries that missed the
  deadlines of :mod:`axis.stats.deadlines` (answered late, or still unanswered
  with the deadline passed at ``now``).
* ``silent_agencies``: agencies (of the row's subtree) that had documents
  delivered in the period and have never sent a single status.

Rollup: the rows are a level of the agency tree (the roots, or the children
of ``parent``) and each row counts its whole subtree, found by a recursive
query over ``parent_id`` (cycles stop; parents named by units but never
registered are rows too, so legacy units still roll up). ``flat`` lists
every agency with its own figures. Operators see every agency; an agency
sees its own subtree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any

from axis.errors import AxisError
from axis.storage import sql
from axis.storage.database import Pool
from axis.working_days import TIME_ZONE

DEFAULT_DAYS = 30
MAX_DAYS = 3660


class StatsError(AxisError):
    """The statistics request cannot be answered."""


class InvalidPeriod(StatsError):
    """The period must be two days YYYY-MM-DD, the first not after the last."""

    code = "query.invalid_period"


class UnknownAgency(StatsError):
    """No agency is known under this OrganId."""

    code = "agency.unknown"


class OutsideSubtree(StatsError):
    """The agency is outside the caller's subtree."""

    code = "stats.outside_subtree"


@dataclass(frozen=True, slots=True)
class Period:
    first: date
    last: date

    @classmethod
    def parse(cls, first: str | None, last: str | None, today: date | None = None) -> Period:
        """From query text; the default is the 30 days up to today (Vietnam time)."""
        today = today or datetime.now(TIME_ZONE).date()
        try:
            end = date.fromisoformat(last) if last else today
            start = date.fromisoformat(first) if first else end - timedelta(days=DEFAULT_DAYS - 1)
        except ValueError:
            raise InvalidPeriod(
                f"'from' and 'to' must be days written YYYY-MM-DD, not {first!r} and {last!r}."
            ) from None
        if start > end:
            raise InvalidPeriod(f"The period starts ({start}) after it ends ({end}).")
        if (end - start).days >= MAX_DAYS:
            raise InvalidPeriod(f"The period is longer than {MAX_DAYS} days.")
        return cls(start, end)

    def as_json(self) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat(),
                "time_zone": "Asia/Ho_Chi_Minh"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Figures:
    organ_id: str
    name: str
    parent_id: str | None
    in_registry: bool
    rollup: str  # "subtree" or "own"
    agencies: int
    sent: int
    received: int
    delivered: int
    answered: int
    accepted: int
    finished: int
    rejected: int
    rejected_share: float | None
    overdue_receipt: int
    overdue_due_date: int
    to_01_median_seconds: float | None
    to_01_p90_seconds: float | None
    to_03_median_seconds: float | None
    to_03_p90_seconds: float | None
    to_06_median_seconds: float | None
    to_06_p90_seconds: float | None
    silent_agencies: int

    @property
    def idle(self) -> bool:
        return self.sent == 0 and self.received == 0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


FIGURE_FIELDS = tuple(field.name for field in fields(Figures))


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    sent: int
    received: int
    delivered: int

    def as_json(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "sent": self.sent, "received": self.received,
                "delivered": self.delivered}  # fmt: skip


@dataclass(frozen=True, slots=True)
class AgencyDetail:
    subtree: Figures
    own: Figures
    days: list[Day]


def _pair(values: Sequence[float | None] | None) -> tuple[float | None, float | None]:
    if values is None:
        return None, None
    return values[0], values[1]


def _figures(row: Any, rollup: str) -> Figures:
    to_01, to_03, to_06 = _pair(row["to_01"]), _pair(row["to_03"]), _pair(row["to_06"])
    delivered = int(row["delivered"])
    return Figures(
        organ_id=row["organ_id"], name=row["name"], parent_id=row["parent_id"],
        in_registry=row["in_registry"], rollup=rollup, agencies=int(row["agencies"]),
        sent=int(row["sent"]), received=int(row["received"]), delivered=delivered,
        answered=int(row["answered"]), accepted=int(row["accepted"]),
        finished=int(row["finished"]), rejected=int(row["rejected"]),
        rejected_share=int(row["rejected"]) / delivered if delivered else None,
        overdue_receipt=int(row["overdue_receipt"]),
        overdue_due_date=int(row["overdue_due_date"]),
        to_01_median_seconds=to_01[0], to_01_p90_seconds=to_01[1],
        to_03_median_seconds=to_03[0], to_03_p90_seconds=to_03[1],
        to_06_median_seconds=to_06[0], to_06_p90_seconds=to_06[1],
        silent_agencies=int(row["silent_agencies"]),
    )  # fmt: skip


async def subtree(pool: Pool, organ_id: str) -> list[str]:
    """``organ_id`` and every unit whose parent chain leads to it."""
    async with pool.acquire() as connection:
        found: list[str] | None = await connection.fetchval(sql.query("stats_subtree"), organ_id)
    return found or [organ_id]


async def node(pool: Pool, organ_id: str) -> dict[str, Any] | None:
    """An agency of the tree (possibly a parent never registered), or None."""
    async with pool.acquire() as connection:
        row = await connection.fetchrow(sql.query("stats_node"), organ_id)
    return None if row is None else dict(row)


async def require_visible(pool: Pool, organ_id: str, viewer: str | None) -> None:
    """Raises unless ``organ_id`` is known and inside ``viewer``'s subtree (None: operator)."""
    if await node(pool, organ_id) is None:
        raise UnknownAgency(f"No agency is known under OrganId {organ_id}.")
    if viewer is not None and organ_id not in await subtree(pool, viewer):
        raise OutsideSubtree(f"{organ_id} is not {viewer} nor one of its units.")


async def _ids(pool: Pool, query: str, *arguments: object) -> list[str]:
    async with pool.acquire() as connection:
        return [row["organ_id"] for row in await connection.fetch(query, *arguments)]


async def _figures_of(
    pool: Pool,
    period: Period,
    row_ids: Sequence[str],
    rollup: bool,
    now: datetime | None,
    members: Sequence[str] | None,
) -> list[Figures]:
    """``members``: every agency the rows cover, when known to be a subtree (None: all)."""
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(sql.query("stats_custom_plans"))
        rows = await connection.fetch(
            sql.query("stats_agencies"), period.first, period.last, now or datetime.now(UTC),
            list(row_ids), rollup, None if members is None else list(members),
        )  # fmt: skip
    return [_figures(row, "subtree" if rollup else "own") for row in rows]


async def agency_rows(
    pool: Pool,
    period: Period,
    *,
    viewer: str | None,
    parent: str | None = None,
    flat: bool = False,
    include_idle: bool = False,
    now: datetime | None = None,
) -> list[Figures]:
    """The ranking rows: roots (or the viewer itself), ``parent``'s children, or all (flat)."""
    members: list[str] | None = None
    if parent is not None:
        await require_visible(pool, parent, viewer)
        row_ids = await _ids(pool, sql.query("stats_children"), parent)
        members = await subtree(pool, parent)
    elif viewer is not None:
        members = await subtree(pool, viewer)
        row_ids = members if flat else [viewer]
    else:
        row_ids = await _ids(
            pool, sql.query("stats_all_nodes") if flat else sql.query("stats_roots")
        )
    rows = await _figures_of(pool, period, row_ids, not flat, now, members)
    return rows if include_idle else [row for row in rows if not row.idle]


async def agency_detail(
    pool: Pool, period: Period, organ_id: str, *, viewer: str | None, now: datetime | None = None
) -> AgencyDetail:
    await require_visible(pool, organ_id, viewer)
    members = await subtree(pool, organ_id)
    (whole,) = await _figures_of(pool, period, [organ_id], True, now, members)
    (own,) = await _figures_of(pool, period, [organ_id], False, now, [organ_id])
    return AgencyDetail(whole, own, await daily(pool, period, organ_id))


async def daily(pool: Pool, period: Period, organ_id: str | None) -> list[Day]:
    """Per local day: documents sent by and to ``organ_id``'s subtree (None: the whole axis)."""
    async with pool.acquire() as connection:
        if organ_id is None:
            rows = await connection.fetch(sql.query("stats_daily_all"), period.first, period.last)
        else:
            members = await subtree(pool, organ_id)
            rows = await connection.fetch(
                sql.query("stats_daily"), period.first, period.last, members
            )
    return [Day(row["day"], int(row["sent"]), int(row["received"]), int(row["delivered"]))
            for row in rows]  # fmt: skip


async def silent_agencies(
    pool: Pool, period: Period, *, viewer: str | None
) -> list[dict[str, Any]]:
    """Agencies that had documents delivered in the period and never sent a status."""
    members = await subtree(pool, viewer) if viewer else None
    async with pool.acquire() as connection:
        rows = await connection.fetch(sql.query("stats_silent"), period.first, period.last, members)
    return [
        {"organ_id": row["organ_id"], "name": row["name"], "parent_id": row["parent_id"],
         "received": int(row["received"]), "delivered": int(row["delivered"]),
         "first_sent_at": row["first_sent_at"].isoformat(),
         "last_sent_at": row["last_sent_at"].isoformat()}
        for row in rows
    ]  # fmt: skip


async def refreshed_at(pool: Pool) -> datetime | None:
    async with pool.acquire() as connection:
        moment: datetime | None = await connection.fetchval(sql.query("stats_refreshed_at"))
    return moment


# Ranking orders: the field, and whether larger is worse (shown first).
SORT_KEYS: dict[str, tuple[str, bool]] = {
    "organ_id": ("organ_id", False),
    "sent": ("sent", True),
    "received": ("received", True),
    "to_01": ("to_01_median_seconds", True),
    "to_01_p90": ("to_01_p90_seconds", True),
    "to_03": ("to_03_median_seconds", True),
    "to_06": ("to_06_median_seconds", True),
    "rejected": ("rejected_share", True),
    "overdue_receipt": ("overdue_receipt", True),
    "overdue_due_date": ("overdue_due_date", True),
    "silent": ("silent_agencies", True),
}


def rank(rows: Sequence[Figures], sort: str, descending: bool | None = None) -> list[Figures]:
    """Rows ordered by ``sort`` (worst first by default); rows without a value go last."""
    field_name, worst_first = SORT_KEYS.get(sort, SORT_KEYS["organ_id"])
    reverse = worst_first if descending is None else descending
    key: Callable[[Figures], Any] = lambda row: getattr(row, field_name)  # noqa: E731
    present = sorted((r for r in rows if key(r) is not None), key=lambda r: r.organ_id)
    present.sort(key=key, reverse=reverse)
    return present + sorted((r for r in rows if key(r) is None), key=lambda r: r.organ_id)
