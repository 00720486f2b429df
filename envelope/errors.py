"""What the envelope package refuses, each with a stable code and one plain sentence."""

from __future__ import annotations

from dataclasses import dataclass


class EnvelopeError(ValueError):
    """The bytes are not an edXML message the axis can read."""

    code = "envelope.error"

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)


class HostileXml(EnvelopeError):
    """The XML was refused before parsing it could cost anything.

    ``reason`` is the stable code (``xml.dtd_forbidden``, ``xml.too_deep``...); ``code`` is the
    same string so callers can treat every envelope refusal alike.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(reason, message)
        self.reason = reason


class MalformedXml(HostileXml):
    """The bytes are not well-formed XML (truncated, broken markup, empty)."""


class MalformedEnvelope(EnvelopeError):
    """The XML is broken; raised by :func:`envelope.parse` with an ``envelope.*`` code."""


class NotEdxml(EnvelopeError):
    """Well-formed XML, but not an edXML message."""

    def __init__(self, message: str) -> None:
        super().__init__("envelope.not_edxml", message)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a message, named by element path and source line."""

    code: str
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path} (line {self.line})" if self.line is not None else self.path
        return f"{self.message} at {where}"


class EnvelopeInvalid(EnvelopeError):
    """The message parsed but breaks the rules; ``problems`` lists every one of them."""

    def __init__(self, problems: tuple[Problem, ...]) -> None:
        self.problems = problems
        count = len(problems)
        listed = "; ".join(str(problem) for problem in problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__("envelope.invalid", f"The envelope has {count} {noun}: {listed}.")
