"""The statistics of a generated history, computed in plain Python.

Deliberately shares nothing with the SQL it checks: the tree is walked with
dictionaries, local days come from ``zoneinfo``, working days are counted
by walking the calendar day by day, percentiles are nearest-rank on sorted
lists. Field names are those of ``axis.stats.figures.Figures``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.support.histories import AgencyRecord, DeliveryRecord, DocumentRecord

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
ANSWER_CODES = {"01", "02", "03", "04", "05", "06"}
ACCEPT_CODES = {"03", "04", "05", "06"}


@dataclass(frozen=True)
class Rules:
    holidays: tuple[str, ...] = ("01-01", "04-30", "05-01", "09-02")
    receipt_days: int = 1

    def working(self, day: date) -> bool:
        return (
            day.weekday() < 5
            and day.strftime("%m-%d") not in self.holidays
            and day.isoformat() not in self.holidays
        )

    def receipt_deadline(self, delivered_at: datetime) -> datetime:
        """The last moment at which at most N working days (of 24 h) have passed."""
        remaining = timedelta(days=self.receipt_days)
        cursor = delivered_at.astimezone(VIETNAM)
        while True:
            midnight = datetime.combine(cursor.date() + timedelta(days=1), time(), VIETNAM)
            if self.working(cursor.date()):
                available = midnight - cursor
                if remaining < available:
                    return cursor + remaining
                remaining -= available
            cursor = midnight
            if remaining == timedelta(0) and self.working(cursor.date()):
                return cursor


def local_day(moment: datetime) -> date:
    return moment.astimezone(VIETNAM).date()


def nearest_rank(values: Sequence[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)), 1) - 1]


def first(delivery: DeliveryRecord, codes: set[str]) -> datetime | None:
    times = [s.received_at for s in delivery.statuses if s.code in codes]
    return min(times) if times else None


def closed_at(delivery: DeliveryRecord) -> datetime | None:
    times = [s.received_at for s in delivery.statuses if s.code in {"06", "02", "15"}]
    return min(times) if times else None


def due_deadline(document: DocumentRecord) -> datetime | None:
    if document.due_date is None:
        return None
    return datetime.combine(document.due_date + timedelta(days=1), time(), VIETNAM)


def receipt_overdue(
    rules: Rules, delivery: DeliveryRecord, now: datetime, *, open_only: bool
) -> bool:
    if delivery.transport_state == "discarded" or delivery.delivered_at is None:
        return False
    deadline = rules.receipt_deadline(delivery.delivered_at)
    answers = [t for t in (first(delivery, ANSWER_CODES), closed_at(delivery)) if t is not None]
    if open_only:
        return not answers and deadline < now
    return deadline < (min(answers) if answers else now)


def due_overdue(
    document: DocumentRecord, delivery: DeliveryRecord, now: datetime, *, open_only: bool
) -> bool:
    deadline = due_deadline(document)
    if delivery.transport_state == "discarded" or deadline is None:
        return False
    closed = closed_at(delivery)
    if open_only:
        return closed is None and deadline < now
    return deadline < (closed if closed is not None else now)


class Model:
    """The history's agencies as a tree, and its documents."""

    def __init__(
        self, agencies: Iterable[AgencyRecord], documents: Iterable[DocumentRecord], rules: Rules
    ) -> None:
        self.parent: dict[str, str | None] = {}
        self.names: dict[str, str] = {}
        for agency in agencies:
            self.parent[agency.organ_id] = agency.parent_id
            self.names[agency.organ_id] = agency.name
        for agency_parent in list(self.parent.values()):
            if agency_parent is not None and agency_parent not in self.parent:
                self.parent[agency_parent] = None
                self.names[agency_parent] = ""
        self.documents = list(documents)
        self.rules = rules

    def members(self, organ_id: str, rollup: bool = True) -> set[str]:
        if not rollup:
            return {organ_id}
        found = {organ_id}
        changed = True
        while changed:
            more = {child for child, parent in self.parent.items() if parent in found}
            changed = not more <= found
            found |= more
        return found

    def roots(self) -> list[str]:
        return sorted(o for o, parent in self.parent.items() if parent is None)

    def children(self, organ_id: str) -> list[str]:
        return sorted(o for o, parent in self.parent.items() if parent == organ_id)

    def answering(self) -> set[str]:
        """Agencies that ever sent a status about a document addressed to them."""
        return {d.recipient_id for doc in self.documents for d in doc.deliveries if d.statuses}

    def figures(
        self, organ_id: str, first_day: date, last_day: date, now: datetime, *, rollup: bool = True
    ) -> dict[str, Any]:
        members = self.members(organ_id, rollup)
        in_period = [d for d in self.documents if first_day <= local_day(d.accepted_at) <= last_day]
        copies = [
            (doc, d) for doc in in_period for d in doc.deliveries if d.recipient_id in members
        ]
        delivered = [(doc, d) for doc, d in copies if d.delivered_at is not None]

        def seconds(codes: set[str]) -> list[float]:
            values = []
            for _, d in delivered:
                moment = first(d, codes)
                if moment is not None:
                    assert d.delivered_at is not None
                    values.append(max(0.0, (moment - d.delivered_at).total_seconds()))
            return values

        to_01, to_03, to_06 = seconds(ANSWER_CODES), seconds(ACCEPT_CODES), seconds({"06"})
        rejected = sum(1 for _, d in copies if first(d, {"02"}) is not None)
        answering = self.answering()
        silent = {d.recipient_id for _, d in delivered} - answering
        return {
            "organ_id": organ_id,
            "name": self.names[organ_id],
            "parent_id": self.parent[organ_id],
            "rollup": "subtree" if rollup else "own",
            "agencies": len(members),
            "sent": sum(1 for doc in in_period if doc.sender_id in members),
            "received": len(copies),
            "delivered": len(delivered),
            "answered": sum(1 for _, d in copies if first(d, ANSWER_CODES) is not None),
            "accepted": sum(1 for _, d in copies if first(d, ACCEPT_CODES) is not None),
            "finished": sum(1 for _, d in copies if first(d, {"06"}) is not None),
            "rejected": rejected,
            "rejected_share": rejected / len(delivered) if delivered else None,
            "overdue_receipt": sum(
                1 for _, d in copies if receipt_overdue(self.rules, d, now, open_only=False)
            ),
            "overdue_due_date": sum(
                1 for doc, d in copies if due_overdue(doc, d, now, open_only=False)
            ),
            "to_01_median_seconds": nearest_rank(to_01, 0.5),
            "to_01_p90_seconds": nearest_rank(to_01, 0.9),
            "to_03_median_seconds": nearest_rank(to_03, 0.5),
            "to_03_p90_seconds": nearest_rank(to_03, 0.9),
            "to_06_median_seconds": nearest_rank(to_06, 0.5),
            "to_06_p90_seconds": nearest_rank(to_06, 0.9),
            "silent_agencies": len(silent & members),
        }

    def overdue(
        self, now: datetime, *, senders: set[str] | None = None, recipients: set[str] | None = None
    ) -> dict[tuple[str, str], tuple[bool, bool]]:
        """(message id, recipient) -> (receipt overdue, DueDate overdue), for open ones."""
        found = {}
        for doc in self.documents:
            if senders is not None and doc.sender_id not in senders:
                continue
            for d in doc.deliveries:
                if recipients is not None and d.recipient_id not in recipients:
                    continue
                flags = (
                    receipt_overdue(self.rules, d, now, open_only=True),
                    due_overdue(doc, d, now, open_only=True),
                )
                if any(flags):
                    found[(doc.message_id, d.recipient_id)] = flags
        return found

    def silent(self, first_day: date, last_day: date, members: set[str] | None = None) -> set[str]:
        answering = self.answering()
        return {
            d.recipient_id
            for doc in self.documents
            if first_day <= local_day(doc.accepted_at) <= last_day
            for d in doc.deliveries
            if d.delivered_at is not None
            and d.recipient_id not in answering
            and (members is None or d.recipient_id in members)
        }

    def daily(
        self, first_day: date, last_day: date, members: set[str] | None = None
    ) -> list[dict[str, Any]]:
        """Per local day: documents sent by, copies sent to, and copies delivered to members."""
        days = []
        day = first_day
        while day <= last_day:
            documents = [d for d in self.documents if local_day(d.accepted_at) == day]
            copies = [
                d
                for doc in documents
                for d in doc.deliveries
                if members is None or d.recipient_id in members
            ]
            days.append(
                {
                    "day": day.isoformat(),
                    "sent": sum(1 for d in documents if members is None or d.sender_id in members),
                    "received": len(copies),
                    "delivered": sum(1 for d in copies if d.delivered_at is not None),
                }
            )
            day += timedelta(days=1)
        return days
