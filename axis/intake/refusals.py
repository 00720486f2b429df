"""A refused submission: an HTTP status, a stable code and one plain sentence.

Intake raises :class:`Refusal`; the HTTP surfaces turn it into
problem+json. Every refusal is also recorded (``refusals`` row and an audit
entry) by :mod:`axis.intake.service` before the caller hears about it.
"""

from __future__ import annotations

from dataclasses import dataclass

from axis.errors import AxisError


class Refusal(AxisError):
    """The message was refused."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class RefusalRecord:
    """What is written about one refusal."""

    organ_id: str | None
    code: str
    http_status: int
    detail: str
    sha256: bytes | None
    received_via: str = "api"
