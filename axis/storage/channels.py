"""The LISTEN/NOTIFY channels rooms talk on, so the writer and the listener need not meet.

Intake announces what it stored; delivery listens. Both name the channel from
here, which keeps ``axis.intake`` and ``axis.delivery`` independent.
"""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    # Payload: the message id of a push delivery that became due.
    DELIVERIES = "axis_deliveries"
    # Payload: the OrganId of a pull recipient with a new message in its inbox.
    INBOX = "axis_inbox"
    # Payload: none. A transport event of a relayed-in message waits to be reported back.
    RELAY_EVENTS = "axis_relay_events"
