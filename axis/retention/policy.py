"""How long the axis keeps what: bodies until some days after settling, the rest for years.

A message is settled when every recipient's delivery has ended: acked,
discarded or dead (a message with no delivery is settled when accepted).
Its body is then kept ``body_days``; its metadata (the row, deliveries,
statuses, refusals, audit entries) ``metadata_days`` from acceptance. Both
are set per kind and may be overridden per sending agency, for one kind or
both; the most specific rule wins. ``now`` is always passed in, never read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from axis.settings import RetentionOverride, Settings
from axis.vocabulary import MessageKind


@dataclass(frozen=True, slots=True)
class Keep:
    body_days: int
    metadata_days: int


@dataclass(frozen=True, slots=True)
class Policy:
    document: Keep = Keep(90, 3653)
    status: Keep = Keep(90, 3653)
    overrides: tuple[RetentionOverride, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            Keep(settings.retention_body_days_edoc, settings.retention_metadata_days_edoc),
            Keep(settings.retention_body_days_status, settings.retention_metadata_days_status),
            settings.retention_overrides,
        )

    def keep_for(self, kind: str, sender_id: str) -> Keep:
        """The rule for one sender's messages of one kind: its own for the kind, its own
        for both kinds, else the kind's."""
        default = self.document if kind == MessageKind.DOCUMENT else self.status
        chosen: RetentionOverride | None = None
        for override in self.overrides:
            if override.organ_id != sender_id or override.kind not in (kind, None):
                continue
            if chosen is None or (chosen.kind is None and override.kind is not None):
                chosen = override
        if chosen is None:
            return default
        metadata = default.metadata_days if chosen.metadata_days is None else chosen.metadata_days
        return Keep(chosen.body_days, metadata)

    def body_due(self, kind: str, sender_id: str, settled_at: datetime) -> datetime:
        """From when the body may be purged."""
        return settled_at + timedelta(days=self.keep_for(kind, sender_id).body_days)

    def metadata_due(self, kind: str, sender_id: str, accepted_at: datetime) -> datetime:
        return accepted_at + timedelta(days=self.keep_for(kind, sender_id).metadata_days)

    def describe(self) -> dict[str, object]:
        return {
            "edoc": {"body_days": self.document.body_days,
                     "metadata_days": self.document.metadata_days},
            "status": {"body_days": self.status.body_days,
                       "metadata_days": self.status.metadata_days},
            "overrides": [
                {"organ_id": o.organ_id, "kind": o.kind or "*", "body_days": o.body_days,
                 "metadata_days": o.metadata_days}
                for o in self.overrides
            ],
        }  # fmt: skip
