"""The demo's sample document: the template ``axis serve --demo`` and ``axis bench`` send."""

from __future__ import annotations

from importlib import resources

from envelope import Document, parse


def template() -> Document:
    """A realistic new document (type 0) between demo agencies, to copy and vary."""
    document = parse(resources.files(__package__).joinpath("demo_document.edxml").read_bytes())
    assert isinstance(document, Document)
    return document
