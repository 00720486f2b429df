"""The axis's exception root.

Every error the broker raises on purpose derives from :class:`AxisError`; its
docstring is its default message, so a subclass needs nothing more than a
docstring to say what went wrong.
"""

from __future__ import annotations


class AxisError(Exception):
    """The axis could not complete the request."""

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
