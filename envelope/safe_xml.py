"""Hardened XML parsing: no DTDs, no entities, no network, no file access.

Every byte string that enters the axis is parsed here and nowhere else.
(First cut; the envelope owner hardens it further.)
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree


class HostileXml(ValueError):
    """The XML was refused before parsing it could cost anything."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class XmlLimits:
    max_document_bytes: int = 200 * 1024 * 1024
    max_depth: int = 64


DEFAULT_LIMITS = XmlLimits()


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,
        remove_blank_text=False,
        remove_comments=False,
        collect_ids=False,
    )


def parse_xml(data: bytes, limits: XmlLimits = DEFAULT_LIMITS) -> etree._Element:
    """Parses ``data`` into its root element, refusing hostile constructs."""
    if len(data) > limits.max_document_bytes:
        raise HostileXml("xml.too_large", "the document is larger than allowed")
    if b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data:
        raise HostileXml("xml.dtd", "the document declares a DTD, which is not allowed")
    try:
        return etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        raise HostileXml("xml.malformed", f"the XML is not well-formed: {error}") from error
