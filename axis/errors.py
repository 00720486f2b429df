"""The axis's exception root.

Every error the broker raises on purpose derives from :class:`AxisError`; its
docstring is its default message and its class-level ``code`` the stable code
callers may compare, so a subclass needs nothing more than a docstring and a
code to say what went wrong. No error knows how a surface answers it: the
HTTP statuses live in one table in ``endpoints.problems``.
"""

from __future__ import annotations


class AxisError(Exception):
    """The axis could not complete the request."""

    code = "request.refused"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or (type(self).__doc__ or "").strip()
        super().__init__(self.message)


class ConfigurationError(AxisError):
    """A setting has an invalid value."""


class DatabaseUnavailable(AxisError):
    """The database cannot be reached."""


class MigrationError(AxisError):
    """The database schema cannot be brought up to date."""


class CommandError(AxisError):
    """The command could not be carried out."""
