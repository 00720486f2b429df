"""Hardened XML parsing: no DTDs, no entities, no network, no file access.

Every byte string that enters the axis is parsed here and nowhere else. The tree is returned
exactly as written (blank text and comments kept) because signature checks canonicalise it.

Cheap refusals come first, on the bytes: size, encoding, garbage before the declaration, a
DOCTYPE in the prolog (the only place one can stand, so no entity or external DTD can follow),
and over-long runs of character data. libxml2 then parses with entity resolution, DTD loading
and network access off; its own depth guard (2048 levels with huge trees) stops pathological
nesting before it costs memory, and one compiled XPath enforces our tighter depth limit.
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass
from functools import lru_cache
from typing import IO, cast

from lxml import etree

from envelope.errors import HostileXml, MalformedXml
from envelope.file_bytes import FileBytes, attachment_spans

__all__ = ["DEFAULT_LIMITS", "HostileXml", "MalformedXml", "Source", "XmlLimits", "parse_xml"]

# An envelope in memory, or in a file (issue #17: large ones are spooled to disk).
Source = bytes | FileBytes

XINCLUDE_NS = "http://www.w3.org/2001/XInclude"


@dataclass(frozen=True, slots=True)
class XmlLimits:
    """What one message may cost. The text limit applies to each run of character data."""

    max_document_bytes: int = 200 * 1024 * 1024
    max_depth: int = 64
    max_text_bytes: int = 160 * 1024 * 1024
    # Text outside attachments (ContentTransferEncoded): a subject or a note is never
    # megabytes; a huge one would cost the whole parse tree and C14N (issue #17).
    max_other_text_bytes: int = 16 * 1024 * 1024


DEFAULT_LIMITS = XmlLimits()

# libxml2 error codes we tell apart.
_ERR_DOCUMENT_END = 5  # content after the root element
_ERR_UNDEFINED_NAMESPACE = 201
_ERR_RESOURCE_LIMIT = 114  # libxml2's own depth guard

_PROLOG = re.compile(rb"(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)
_WHITESPACE = b" \t\r\n"
_BOM = b"\xef\xbb\xbf"
_LEADING_SPACE = re.compile(rb"[ \t\r\n]*")
_ROOT_TAG = re.compile(rb"<([^\s/>!?]+)")
_DOCTYPE_RULES: tuple[tuple[re.Pattern[bytes], str, str], ...] = (
    (
        re.compile(rb"<!ENTITY\s+%"),
        "xml.parameter_entity_forbidden",
        "declares a parameter entity",
    ),
    (
        re.compile(rb"<!ENTITY\s+[^\s%]+\s+(?:SYSTEM|PUBLIC)\b"),
        "xml.external_entity_forbidden",
        "declares an external entity (file or network access)",
    ),
    (
        re.compile(rb"<!ENTITY\s+[^\s%]+\s+(?:\"[^\"]*&|'[^']*&)"),
        "xml.entity_expansion_forbidden",
        "declares entities that expand other entities (an expansion bomb)",
    ),
    (re.compile(rb"<!ENTITY"), "xml.entity_forbidden", "declares an entity"),
    (
        re.compile(rb"<!DOCTYPE\s+[^\s\[>]+\s+(?:SYSTEM|PUBLIC)\b"),
        "xml.external_dtd_forbidden",
        "refers to an external DTD",
    ),
)


def _make_parser(*, recover: bool) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,  # base64 attachments are far over libxml2's 10 MB text cap
        remove_blank_text=False,
        remove_comments=False,
        remove_pis=False,
        strip_cdata=True,
        collect_ids=False,
        recover=recover,
    )


# lxml gives every thread its own parser context, so sharing the parser objects is safe.
_PARSER = _make_parser(recover=False)
_NAMESPACE_TOLERANT_PARSER = _make_parser(recover=True)


@lru_cache(maxsize=8)
def _deeper_than(max_depth: int) -> etree.XPath:
    return etree.XPath("boolean(" + "/*" * (max_depth + 1) + ")")


_HAS_XINCLUDE = etree.XPath(f"boolean(//*[namespace-uri()='{XINCLUDE_NS}'])")


def _line_at(data: Source, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


def _check_start(data: Source) -> int:
    """Refuses encodings and leading garbage; returns where the XML really starts."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4]:
        raise HostileXml(
            "xml.encoding_unsupported",
            "The document is not in UTF-8 or another ASCII-compatible encoding.",
        )
    start = len(_BOM) if data.startswith(_BOM) else 0
    spaces = _LEADING_SPACE.match(data, start)  # a regex, not a Python loop over the bytes
    first = spaces.end() if spaces else start
    if first >= len(data):
        raise MalformedXml("xml.empty", "The document is empty.")
    if data[first] != ord("<"):
        shown = data[first : first + 20].decode("utf-8", "replace")
        raise HostileXml(
            "xml.garbage_before_declaration",
            f"The document starts with {shown!r} before its XML declaration, at line "
            f"{_line_at(data, first)}.",
        )
    return first


def _refuse_doctype(data: Source, position: int) -> None:
    window = data[position : position + 65536]
    line = _line_at(data, position)
    for pattern, reason, what in _DOCTYPE_RULES:
        if pattern.search(window):
            raise HostileXml(reason, f"The document {what} in its DOCTYPE at line {line}.")
    raise HostileXml("xml.dtd_forbidden", f"The document declares a DTD (DOCTYPE at line {line}).")


def _long_text_run(data: Source, limit: int, allowed_ends: Container[int] = ()) -> int | None:
    """Where a run of more than ``limit`` bytes without markup starts, if there is one.

    A run that long fully covers at least one aligned window of half the limit, so only
    windows free of ``<`` need a closer look: a handful of C-level searches, no copies.
    A run ending at one of ``allowed_ends`` (an attachment's text) is passed over.
    """
    half = max(limit // 2, 1)
    start = 0
    while start <= len(data) - half:
        end = start + half
        if data.find(b"<", start, end) == -1:
            left = data.rfind(b"<", 0, start) + 1
            right = data.find(b"<", end)
            right = len(data) if right == -1 else right
            if right - left > limit and right not in allowed_ends:
                return left
            start = max(start, right - right % half)
        start += half
    return None


def _refuse_long_texts(data: Source, limits: XmlLimits) -> None:
    if len(data) > limits.max_text_bytes:
        run = _long_text_run(data, limits.max_text_bytes)
        if run is not None:
            raise HostileXml(
                "xml.text_too_large",
                f"A text node at line {_line_at(data, run)} is over the limit of "
                f"{limits.max_text_bytes} bytes.",
            )
    if len(data) > limits.max_other_text_bytes:
        attachments = {
            end for _, end in attachment_spans(data, limits.max_other_text_bytes, plain=False)
        }
        run = _long_text_run(data, limits.max_other_text_bytes, attachments)
        if run is not None:
            raise HostileXml(
                "xml.text_too_large",
                f"A text node at line {_line_at(data, run)} is over the limit of "
                f"{limits.max_other_text_bytes} bytes for text outside an attachment's "
                "ContentTransferEncoded.",
            )


def _error_code(error: etree.XMLSyntaxError) -> int | None:
    code: int | None = getattr(error, "code", None)  # lxml-stubs leave this attribute out
    return code


def _content_end(data: Source) -> int:
    """Where the document ends without its trailing whitespace; reads only its tail."""
    end = len(data)
    while end > 0:
        window = data[max(end - 4096, 0) : end]
        kept = len(window.rstrip(_WHITESPACE))
        if kept:
            return end - len(window) + kept
        end -= len(window)
    return 0


def _syntax_error(data: Source, root_tag: bytes, error: etree.XMLSyntaxError) -> HostileXml:
    line = error.lineno or 1
    detail = str(error.msg or error).split(", line ")[0].strip()
    if _error_code(error) == _ERR_RESOURCE_LIMIT or "Excessive depth" in detail:
        return HostileXml("xml.too_deep", f"The document nests elements too deeply at line {line}.")
    end = _content_end(data)
    closing = b"</" + root_tag + b">"
    closed = bool(root_tag) and data[max(end - len(closing), 0) : end] == closing
    if _error_code(error) != _ERR_DOCUMENT_END and not closed and line >= _line_at(data, end):
        return MalformedXml(
            "xml.truncated", f"The document ends before its root element is closed ({detail})."
        )
    return MalformedXml("xml.malformed", f"The XML is not well-formed at line {line}: {detail}.")


def _tree(source: Source, start: int, parser: etree.XMLParser) -> etree._Element:
    """libxml2's parse of ``source`` from ``start``; a file is read from disk in chunks."""
    if isinstance(source, FileBytes):
        # Attachment texts are elided: the tree holds markers, not 100 MB of base64.
        reader = cast("IO[bytes]", source.reader(start))  # lxml reads any .read()
        return etree.parse(reader, parser).getroot()
    return etree.fromstring(source, parser)


def _parse_tolerating_unbound_prefixes(
    data: Source, start: int, first: etree.XMLSyntaxError
) -> etree._Element:
    """Accepts a document whose only fault is an undeclared prefix such as ``xlink:``.

    The vendor SDK writes ``xlink:href`` without declaring ``xlink``; libxml2 keeps such names
    literally. Recovery mode is trusted only if every error it logged is of that one kind.
    """
    root = _tree(data, start, _NAMESPACE_TOLERANT_PARSER)
    errors = [
        entry
        for entry in _NAMESPACE_TOLERANT_PARSER.error_log
        if entry.level >= etree.ErrorLevels.ERROR
    ]
    if root is None or any(entry.type != _ERR_UNDEFINED_NAMESPACE for entry in errors):
        raise first
    return root


def parse_xml(data: Source, limits: XmlLimits = DEFAULT_LIMITS) -> etree._Element:
    """Parses ``data`` into its root element, refusing hostile constructs.

    ``data`` in a file (:class:`FileBytes`) is parsed from the file, so the only
    whole copy the process holds is libxml2's tree.

    Raises :class:`HostileXml` (``.reason``, ``.message``); malformed input raises its
    subclass :class:`MalformedXml` with reason ``xml.malformed``, ``xml.truncated`` or
    ``xml.empty``. The tree is not modified in any way.
    """
    if len(data) > limits.max_document_bytes:
        raise HostileXml(
            "xml.too_large",
            f"The document is {len(data)} bytes, over the limit of "
            f"{limits.max_document_bytes} bytes.",
        )
    first = _check_start(data)
    prolog_end = _PROLOG.match(data, first)
    position = prolog_end.end() if prolog_end else first
    if data.startswith(b"<!DOCTYPE", position):
        _refuse_doctype(data, position)
    _refuse_long_texts(data, limits)
    if isinstance(data, FileBytes):
        data.elide_attachments()
        data.release()  # the scans read every page; the tree is built from the file
    # The declaration must come first; stray whitespace before it is a common sender quirk.
    leading_space = first > (len(_BOM) if data.startswith(_BOM) else 0)
    root_start = _ROOT_TAG.match(data, position)
    root_tag = root_start.group(1) if root_start else b""
    start = first if leading_space and data.startswith(b"<?xml", first) else 0
    # In memory the parse starts at the declaration, as do libxml2's line numbers.
    source = data[start:] if start and isinstance(data, bytes) else data
    start = start if isinstance(source, FileBytes) else 0
    try:
        root = _tree(source, start, _PARSER)
    except etree.XMLSyntaxError as error:
        if _error_code(error) != _ERR_UNDEFINED_NAMESPACE:
            raise _syntax_error(source, root_tag, error) from None
        try:
            root = _parse_tolerating_unbound_prefixes(source, start, error)
        except etree.XMLSyntaxError as second:
            raise _syntax_error(source, root_tag, second) from None
    if root.getroottree().docinfo.internalDTD is not None:
        raise HostileXml("xml.dtd_forbidden", "The document declares a DTD.")
    if _deeper_than(limits.max_depth)(root):
        raise HostileXml(
            "xml.too_deep", f"The document nests elements deeper than {limits.max_depth} levels."
        )
    # Namespace URIs may hide behind character references, hence the second trigger.
    if (data.find(b"XInclude") != -1 or data.find(b"&#") != -1) and _HAS_XINCLUDE(root):
        raise HostileXml("xml.xinclude_forbidden", "The document uses XInclude.")
    if isinstance(data, FileBytes):
        data.release()
    return root
