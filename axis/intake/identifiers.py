"""Identifiers of a checked envelope within the lengths the database can index.

A validly signed envelope may still carry a DocumentId of thousands of
characters; stored, it would overflow the row of the unique index on
(sender, DocumentId) and fail inside the transaction. It is refused here,
before the group commit, like any other invalid message.
"""

from __future__ import annotations

from axis.boundary import DOCUMENT_ID, ORGAN_ID, Field, InputRefused
from axis.intake.records import Checked, CheckedDocument, CheckedStatus
from axis.intake.refusals import InvalidMessage


def _values(checked: Checked) -> list[tuple[Field, str | None]]:
    if isinstance(checked, CheckedStatus):
        return [
            (DOCUMENT_ID.named("ResponseFor/DocumentId"), checked.answers_document_id),
            (Field("ResponseFor/OrganId", ORGAN_ID.max_length), checked.response_for_organ_id),
        ]
    assert isinstance(checked, CheckedDocument)
    acted_on = DOCUMENT_ID.named("the DocumentId acted on")
    return [
        (DOCUMENT_ID.named("MessageHeader/DocumentId"), checked.document_id),
        *((acted_on, target.document_id) for target in checked.acts_on),
    ]


def check_identifiers(checked: Checked) -> Checked:
    """``checked`` when its identifiers fit; :class:`InvalidMessage` ``input.<rule>`` if not."""
    for field, value in _values(checked):
        if value is None:
            continue
        try:
            field.check(value)
        except InputRefused as refused:
            raise InvalidMessage(str(refused), code=refused.code) from None
    return checked
