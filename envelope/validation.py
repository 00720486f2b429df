"""The rules a message must follow beyond being readable: :func:`validate` reports them all."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from lxml import etree

from envelope.attachments import content_key
from envelope.codes import BusinessDocType
from envelope.errors import EnvelopeInvalid, Problem
from envelope.header import Organization
from envelope.message import Document, Status
from envelope.organ_id import is_acceptable
from envelope.paths import (
    ATTACHMENTS,
    BUSINESS,
    MANIFEST,
    MESSAGE_HEADER,
    REPLACEMENTS,
    TRACE_LIST,
    line_of,
)
from envelope.reader import parse
from envelope.safe_xml import DEFAULT_LIMITS, Source, XmlLimits

__all__ = ["parse_valid", "validate"]


def validate(message: Document | Status) -> tuple[Problem, ...]:
    """Every problem with ``message``, in document order as far as possible; empty if valid.

    Base64 is checked with one regular-expression pass per megabyte, not by decoding.
    """
    found = [*message.parse_problems]
    checks = _document(message) if isinstance(message, Document) else _status(message)
    for code, path, text in checks:
        found.append(Problem(code, path, line_of(message.source_lines, path), text))
    return tuple(found)


def parse_valid(
    data: Source, limits: XmlLimits = DEFAULT_LIMITS, *, tree: etree._Element | None = None
) -> Document | Status:
    """Parses and validates; raises :class:`EnvelopeInvalid` listing every problem.

    ``tree``: as for :func:`envelope.parse`.
    """
    message = parse(data, limits, tree=tree)
    problems = validate(message)
    if problems:
        raise EnvelopeInvalid(problems)
    return message


_Check = tuple[str, str, str]


def _organ_id(organ_id: str, path: str, what: str) -> Iterator[_Check]:
    if not organ_id:
        yield "envelope.missing_organ_id", path, f"{what} has no OrganId"
    elif not is_acceptable(organ_id):
        yield (
            "envelope.invalid_organ_id",
            path,
            f"{what} OrganId {organ_id!r} is not 1 to 64 characters from A-Z a-z 0-9 . _ -",
        )


def _sender(sender: Organization | None) -> Iterator[_Check]:
    path = f"{MESSAGE_HEADER}/From"
    if sender is None:
        yield "envelope.missing_from", path, "The message has no From (sender)"
    else:
        yield from _organ_id(sender.organ_id, f"{path}/OrganId", "The sender")


def _document(document: Document) -> Iterator[_Check]:
    yield from _sender(document.sender)
    if not document.recipients:
        yield "envelope.missing_to", f"{MESSAGE_HEADER}/To", "The document has no To (recipient)"
    seen: set[str] = set()
    for index, recipient in enumerate(document.recipients, start=1):
        path = f"{MESSAGE_HEADER}/To[{index}]/OrganId"
        yield from _organ_id(recipient.organ_id, path, f"Recipient {index}")
        if recipient.organ_id and recipient.organ_id in seen:
            yield (
                "envelope.duplicate_recipient",
                path,
                f"Recipient {recipient.organ_id} is named more than once",
            )
        seen.add(recipient.organ_id)
    if not document.document_id:
        yield (
            "envelope.missing_document_id",
            f"{MESSAGE_HEADER}/DocumentId",
            "The document has no DocumentId",
        )
    for index, response_for in enumerate(document.response_for, start=1):
        path = f"{MESSAGE_HEADER}/ResponseFor[{index}]/OrganId"
        yield from _organ_id(response_for.organ_id, path, f"ResponseFor {index}")
    for index, trace in enumerate(document.traces, start=1):
        path = f"{TRACE_LIST}/TraceHeader[{index}]/OrganId"
        yield from _organ_id(trace.organ_id, path, f"Trace header {index}")
    yield from _business(document)
    yield from _attachments(document)


def _business(document: Document) -> Iterator[_Check]:
    """A replacement must name what it replaces; a revocation or update always does, by
    ``Bussiness/DocumentId`` or else by repeating the original's own DocumentId."""
    business = document.business
    if business is None or business.doc_type is not BusinessDocType.REPLACEMENT:
        return
    for index, replacement in enumerate(business.replacements, start=1):
        path = f"{REPLACEMENTS}/ReplacementInfo[{index}]"
        if not replacement.document_id:
            yield (
                "business.missing_document_id",
                f"{path}/DocumentId",
                f"ReplacementInfo {index} names no DocumentId",
            )
        for number, organ_id in enumerate(replacement.organ_ids, start=1):
            yield from _organ_id(
                organ_id, f"{path}/OrganIdList/OrganId[{number}]", f"ReplacementInfo {index}"
            )
    if not business.document_id and not business.replacements:
        yield (
            "business.missing_document_id",
            f"{BUSINESS}/DocumentId",
            "A replacement must name the document it replaces, in Bussiness/DocumentId or "
            "in ReplacementInfoList/ReplacementInfo/DocumentId",
        )


def _attachments(document: Document) -> Iterator[_Check]:
    attached = Counter(content_key(attachment.content_id) for attachment in document.attachments)
    referenced = {content_key(reference.content_id) for reference in document.references}
    for index, reference in enumerate(document.references, start=1):
        if attached[content_key(reference.content_id)] == 0:
            yield (
                "attachment.missing",
                f"{MANIFEST}/Reference[{index}]/ContentId",
                f"Reference {reference.content_id!r} names no attachment",
            )
    for index, attachment in enumerate(document.attachments, start=1):
        path = f"{ATTACHMENTS}/Attachment[{index}]"
        key = content_key(attachment.content_id)
        if not key:
            yield (
                "attachment.missing_content_id",
                f"{path}/ContentId",
                "An attachment has no ContentId",
            )
        elif key not in referenced:
            yield (
                "attachment.unreferenced",
                f"{path}/ContentId",
                f"Attachment {attachment.content_id!r} is not named by any manifest reference",
            )
        if key and attached[key] > 1:
            yield (
                "attachment.duplicate_content_id",
                f"{path}/ContentId",
                f"ContentId {attachment.content_id!r} is used by {attached[key]} attachments",
            )
        problem = attachment.payload.problem()
        if problem is not None:
            yield (
                "attachment.invalid_base64",
                f"{path}/ContentTransferEncoded",
                f"Attachment {attachment.content_id!r} is not valid base64: {problem}",
            )


def _status(status: Status) -> Iterator[_Check]:
    yield from _sender(status.sender)
    path = f"{MESSAGE_HEADER}/ResponseFor"
    if status.response_for is None:
        yield "status.missing_response_for", path, "The status names no ResponseFor document"
    else:
        yield from _organ_id(status.response_for.organ_id, f"{path}/OrganId", "ResponseFor")
        if not status.response_for.document_id:
            yield (
                "status.missing_document_id",
                f"{path}/DocumentId",
                "ResponseFor has no DocumentId",
            )
    if status.status_code is None and not any(
        problem.code == "status.unknown_code" for problem in status.parse_problems
    ):
        yield "status.missing_code", f"{MESSAGE_HEADER}/StatusCode", "The status has no StatusCode"
