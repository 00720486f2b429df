"""Database naming helpers for the test harness."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

TEMPLATE_DATABASE = "axis_test_template"


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at database ``name`` (query string kept)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))
