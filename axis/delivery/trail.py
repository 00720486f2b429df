"""The audit trail of deliveries: the one builder of each delivery action's entry.

A message's trail reads alike whatever road it took: a push that succeeded
and a pull fetch are both ``message.deliver`` with the same detail shape
(``via``, ``delivery_id``, ``recipient``, ``attempts``, ``last_error``), so
an auditor asking "when did the recipient get it" reads one action.
"""

from __future__ import annotations

from axis.audit.chain import AuditEntry
from axis.vocabulary import AuditAction, DeliveryMode

# Who acts for the push road: the axis itself, not the recipient.
WORKER_ACTOR = "axis"


def _detail(
    via: DeliveryMode, delivery_id: int, recipient_id: str, attempts: int, last_error: str | None
) -> dict[str, object]:
    return {
        "via": str(via),
        "delivery_id": delivery_id,
        "recipient": recipient_id,
        "attempts": attempts,
        "last_error": last_error,
    }


def delivered(
    message_id: str,
    recipient_id: str,
    *,
    via: DeliveryMode,
    delivery_id: int,
    attempts: int = 0,
    last_error: str | None = None,
) -> AuditEntry:
    """The recipient has the message: pushed to it, or fetched (or confirmed) by it."""
    actor = WORKER_ACTOR if via is DeliveryMode.PUSH else recipient_id
    return AuditEntry(
        actor,
        AuditAction.MESSAGE_DELIVER,
        message_id,
        _detail(via, delivery_id, recipient_id, attempts, last_error),
    )


def dead(
    message_id: str,
    recipient_id: str,
    *,
    delivery_id: int,
    attempts: int,
    last_error: str | None,
    via: DeliveryMode = DeliveryMode.PUSH,
) -> AuditEntry:
    """A push or relay gave up: the retry budget ran out, or the far end refused for good."""
    return AuditEntry(
        WORKER_ACTOR,
        AuditAction.DELIVERY_DEAD,
        message_id,
        _detail(via, delivery_id, recipient_id, attempts, last_error),
    )


def relayed(
    message_id: str, recipient_id: str, *, peer: str, delivery_id: int, attempts: int
) -> AuditEntry:
    """The peer accepted the hop that carries the message on towards ``recipient_id``."""
    detail = _detail(DeliveryMode.RELAY, delivery_id, recipient_id, attempts, None)
    return AuditEntry(WORKER_ACTOR, AuditAction.MESSAGE_RELAY, message_id, {**detail, "peer": peer})


def acked(message_id: str, recipient_id: str, *, result: str, reason: str | None) -> AuditEntry:
    """The recipient is done with the message (``done``), or gave up on it (``fail``)."""
    return AuditEntry(
        recipient_id, AuditAction.MESSAGE_ACK, message_id, {"result": result, "reason": reason}
    )


def operator_action(
    action: AuditAction,
    actor: str,
    message_id: str,
    *,
    delivery_id: int,
    recipient_id: str,
    attempts: int,
) -> AuditEntry:
    """An operator sent a dead delivery back (``delivery.retry``) or ended it (``.discard``)."""
    if action not in (AuditAction.DELIVERY_RETRY, AuditAction.DELIVERY_DISCARD):
        raise ValueError(f"{action} is not an operator's delivery action")
    return AuditEntry(
        actor,
        action,
        message_id,
        {"delivery_id": delivery_id, "recipient": recipient_id, "attempts": attempts},
    )
