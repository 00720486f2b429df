"""A refused submission: a kind of refusal, a stable code and one plain sentence.

Intake raises a :class:`Refusal` subclass; its class says what kind of
refusal it is and gives the default ``code`` and message, the way
:mod:`signing.errors` does. Where the code comes from an envelope or
signature error, an instance carries that more specific code. Intake knows
no HTTP: each surface maps the refusal classes onto its own answers (the
native API's table is ``endpoints.problems.PROBLEMS``). Every refusal is
also recorded (``refusals`` row and an audit entry) by
:mod:`axis.intake.service` before the caller hears about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from axis.errors import AxisError
from axis.vocabulary import ReceivedVia, RefusalKind


class Refusal(AxisError):
    """The message was refused."""

    kind: ClassVar[RefusalKind] = RefusalKind.INVALID
    code = "message.refused"

    def __init__(self, detail: str | None = None, *, code: str | None = None) -> None:
        super().__init__(detail)
        if code is not None:
            self.code = code

    @property
    def detail(self) -> str:
        return self.message


class MalformedMessage(Refusal):
    """The message cannot be read as an edXML envelope."""

    kind = RefusalKind.MALFORMED
    code = "envelope.malformed"


class InvalidMessage(Refusal):
    """The message is readable but breaks a rule of edXML or of the axis."""

    kind = RefusalKind.INVALID
    code = "envelope.invalid"


class StatusNotAllowed(Refusal):
    """This status may not be sent now."""

    kind = RefusalKind.NOT_ALLOWED
    code = "status.not_allowed"


class Forbidden(Refusal):
    """The caller may not send this message."""

    kind = RefusalKind.FORBIDDEN
    code = "message.forbidden"


class SenderNotServed(Forbidden):
    """A peer relayed a message whose sender is not one of those the peer serves."""

    code = "relay.sender_not_served"


class RelayLoop(Forbidden):
    """A hop would go back to an axis it has crossed, or it has crossed more than 8.

    Forbidden in kind (the hop may not be made); the native API answers it 508."""

    code = "relay.loop"


class ConflictingMessage(Refusal):
    """The sender already sent a different message under the same DocumentId."""

    kind = RefusalKind.CONFLICT
    code = "message.conflict"


class MessageTooLarge(Refusal):
    """The message is larger than the axis accepts."""

    kind = RefusalKind.TOO_LARGE
    code = "message.too_large"


class Unauthenticated(Refusal):
    """The caller did not prove who it is."""

    kind = RefusalKind.UNAUTHENTICATED
    code = "auth.invalid"


@dataclass(frozen=True, slots=True)
class RefusalRecord:
    """What is written about one refusal."""

    organ_id: str | None
    code: str
    kind: RefusalKind
    detail: str
    sha256: bytes | None
    received_via: ReceivedVia = ReceivedVia.API

    @classmethod
    def of(
        cls,
        refusal: Refusal,
        organ_id: str | None,
        sha256: bytes | None,
        received_via: ReceivedVia,
    ) -> RefusalRecord:
        return cls(organ_id, refusal.code, refusal.kind, refusal.detail, sha256, received_via)
