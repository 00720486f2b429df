"""Agencies in transition: let in without an XML signature, for a while, sealed by the axis.

Off by default: an agency has no policy row and must sign, as the profile
says. An operator gives an agency whose system cannot sign yet an end date
(``axis agency set ORGAN_ID --transition-until DATE``); until the end of that
day (the axis's calendar, Asia/Ho_Chi_Minh like working days) its envelopes
without an XML signature are accepted on its channel credentials alone and
sealed (:mod:`axis.intake.sealing`). After it, they are refused like
anyone else's. A signed envelope is always verified as usual.

The policy lives in a table of its own, read only when an envelope arrives
unsigned: signed traffic pays nothing for it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import asyncpg

from axis.errors import AxisError
from axis.storage import sql
from axis.storage.database import Pool

logger = logging.getLogger(__name__)

# The axis's calendar: an end date means the end of that day in Việt Nam.
AXIS_TIMEZONE = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")
# What the refusal of an unsigned envelope tells the sender about the policy.
POLICY_HINT = (
    "An agency whose system cannot sign yet may be let in for a limited time under the "
    "axis's transition policy (operator: 'axis agency set ORGAN_ID --transition-until DATE'); "
    "its envelopes are then sealed by the axis, never presented as signed."
)


class TransitionNotFound(AxisError):
    """No agency is registered under this OrganId."""

    code = "agency.unknown"


def today() -> date:
    return datetime.now(AXIS_TIMEZONE).date()


@dataclass(frozen=True, slots=True)
class Transition:
    """One agency's policy: unsigned envelopes accepted (and sealed) through ``until``."""

    organ_id: str
    until: date

    def open_on(self, day: date) -> bool:
        return day <= self.until


@dataclass(frozen=True, slots=True)
class TransitionAgency:
    """What operators see of an agency in transition (dashboard, /metrics, CLI)."""

    organ_id: str
    name: str
    until: date
    set_by: str
    set_at: datetime
    sealed: int
    last_sealed_at: datetime | None

    def open_on(self, day: date) -> bool:
        return day <= self.until

    @property
    def until_timestamp(self) -> float:
        """The end of the last day, as a Unix time."""
        return datetime.combine(self.until, time.max, tzinfo=AXIS_TIMEZONE).timestamp()

    def as_json(self, day: date) -> dict[str, object]:
        return {
            "organ_id": self.organ_id,
            "name": self.name,
            "until": self.until.isoformat(),
            "open": self.open_on(day),
            "sealed_messages": self.sealed,
            "last_sealed_at": None
            if self.last_sealed_at is None
            else self.last_sealed_at.isoformat(),
            "set_by": self.set_by,
        }


async def transition_of(pool: Pool, organ_id: str) -> Transition | None:
    until = await pool.fetchval(sql.query("transition_until"), organ_id)
    return None if until is None else Transition(organ_id, until)


async def set_transition(
    pool: Pool, organ_id: str, until: date, *, actor: str = "operator"
) -> None:
    """Lets ``organ_id`` submit unsigned (sealed) envelopes through ``until``."""
    try:
        await pool.execute(sql.query("transition_set"), organ_id, until, actor)
    except asyncpg.ForeignKeyViolationError:
        raise TransitionNotFound(f"No agency is registered under OrganId {organ_id!r}.") from None
    logger.warning(
        "agency in transition: unsigned envelopes accepted and sealed",
        extra={"organ_id": organ_id, "until": until.isoformat(), "actor": actor},
    )


async def clear_transition(pool: Pool, organ_id: str, *, actor: str = "operator") -> bool:
    """Ends the policy now; True if there was one."""
    cleared = await pool.fetchval(sql.query("transition_clear"), organ_id)
    logger.info("agency transition ended", extra={"organ_id": organ_id, "actor": actor})
    return cleared is not None


async def transition_agencies(pool: Pool) -> list[TransitionAgency]:
    rows = await pool.fetch(sql.query("transition_agencies"))
    return [
        TransitionAgency(
            organ_id=row["organ_id"],
            name=row["name"],
            until=row["until"],
            set_by=row["set_by"],
            set_at=row["set_at"],
            sealed=row["sealed"],
            last_sealed_at=row["last_sealed_at"],
        )
        for row in rows
    ]
