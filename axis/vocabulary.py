"""The broker's vocabulary: the words stored in the database and spoken on the wire.

Each enum mirrors a CHECK constraint of the schema (``tests/test_vocabulary.py``
keeps them equal), so a value the code writes is one the database accepts and
a value read back is one the code knows. They are ``StrEnum``s: a member is
its stored text, so it goes into SQL parameters and JSON unchanged.
"""

from __future__ import annotations

from enum import StrEnum


class MessageKind(StrEnum):
    """What a message is: a document (edXML ``edoc``) or a status (receipt) about one."""

    DOCUMENT = "edoc"
    STATUS = "status"


class DeliveryMode(StrEnum):
    """How a recipient gets its messages: pushed to its endpoint, or pulled from its inbox."""

    PUSH = "push"
    PULL = "pull"
    # Beyond a peer axis: handed on to the peer named in the delivery's ``via``.
    RELAY = "relay"


class TransportState(StrEnum):
    """Where one delivery (one message to one recipient) stands.

    ``queued`` -> ``delivered`` (the recipient has the bytes) -> ``acked`` (it
    said it is done with them); a push that fails waits in ``retrying`` until
    it succeeds or its retry budget ends in ``dead``, which an operator may
    send back to ``queued`` or end as ``discarded``. A recipient beyond a peer
    axis goes ``queued`` -> ``relayed`` (the peer accepted the hop) and then
    follows the events the peer reports back.
    """

    QUEUED = "queued"
    # Only for a recipient beyond a peer: the peer accepted the hop.
    RELAYED = "relayed"
    DELIVERED = "delivered"
    ACKED = "acked"
    RETRYING = "retrying"
    DEAD = "dead"
    DISCARDED = "discarded"


class ReceivedVia(StrEnum):
    """The door a message came in by: the native API or the VXP-compatible surface."""

    API = "api"
    VXP = "vxp"
    # From a peer axis, through POST /api/v1/relay or polled from a VXP peer.
    RELAY = "relay"


class AuditAction(StrEnum):
    """What an audit-chain entry records. One action, one writer, one detail shape."""

    MESSAGE_ACCEPT = "message.accept"
    MESSAGE_REFUSE = "message.refuse"
    MESSAGE_DELIVER = "message.deliver"
    MESSAGE_ACK = "message.ack"
    MESSAGE_RELAY = "message.relay"
    DELIVERY_DEAD = "delivery.dead"
    DELIVERY_RETRY = "delivery.retry"
    DELIVERY_DISCARD = "delivery.discard"
    AGENCY_ADD = "agency.add"
    AGENCY_SUSPEND = "agency.suspend"
    AGENCY_RESUME = "agency.resume"
    AGENCY_CERT_ADD = "agency.cert_add"
    TRUST_ANCHOR_ADD = "trust.anchor_add"
    TRUST_INTERMEDIATE_ADD = "trust.intermediate_add"
    TRUST_CRL_ADD = "trust.crl_add"
    USER_ADD = "user.add"
    USER_SIGN_IN = "user.sign_in"
    USER_SIGN_IN_FAILED = "user.sign_in_failed"
    USER_LOCKED = "user.locked"
    USER_SIGN_OUT = "user.sign_out"
    PEER_ADD = "peer.add"
    PEER_REMOVE = "peer.remove"
    PEER_SET_SECRET = "peer.set_secret"  # noqa: S105 (an audit action, not a secret)
    PEER_SYNC = "peer.sync"
    RETENTION_HOLD = "retention.hold"
    RETENTION_HOLD_LIFT = "retention.hold_lift"
    RETENTION_EXPORT = "retention.export"
    RETENTION_PURGE = "retention.purge"
    RETENTION_RESTORE = "retention.restore"


class RefusalKind(StrEnum):
    """Why, broadly, a submission was refused; each surface answers a kind its own way.

    The stable ``code`` says exactly what was wrong; the kind groups codes so
    that intake never needs to know how HTTP or VXP spell a refusal.
    """

    MALFORMED = "malformed"
    INVALID = "invalid"
    NOT_ALLOWED = "not_allowed"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"
    TOO_LARGE = "too_large"
    UNAUTHENTICATED = "unauthenticated"
