"""Composing receipts: the status message a recipient sends about a document."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from envelope import Document, Organization, ResponseFor, StaffInfo, Status, StatusCode

VIETNAM_TIME = timezone(timedelta(hours=7))


def compose_receipt(
    document: Document,
    sender: Organization,
    status_code: StatusCode,
    description: str = "",
    *,
    at: datetime | None = None,
    staff: StaffInfo | None = None,
) -> Status:
    """A status from ``sender`` about ``document``, addressed to the document's sender."""
    if document.sender is None:
        raise ValueError("the document names no sender to answer")
    code = None if document.code is None else str(document.code) or None
    promulgation = document.promulgation
    promulgation_date = None if promulgation is None else promulgation.promulgation_date
    return Status(
        sender=sender,
        response_for=ResponseFor(
            organ_id=document.sender.organ_id,
            document_id=document.document_id,
            code=code,
            promulgation_date=promulgation_date,
        ),
        staff=staff,
        status_code=status_code,
        description=description or status_code.vietnamese_name,
        timestamp=(at or datetime.now(VIETNAM_TIME)).replace(microsecond=0),
    )
