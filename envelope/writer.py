"""Values to edXML bytes: :func:`build`, the inverse of :func:`envelope.parse`.

Elements are written in the order the common SDK uses, in the edXML default namespace;
``None`` fields and empty tuples are left out. No signature is written: signing is a separate
step over the built bytes.
"""

from __future__ import annotations

from lxml import etree

from envelope.attachments import Attachment
from envelope.dates import format_date, format_timestamp
from envelope.errors import EnvelopeError
from envelope.header import Organization, ResponseFor, StaffInfo
from envelope.message import Document, Status
from envelope.paths import NS
from envelope.trace import Business

__all__ = ["build"]

_Q = f"{{{NS}}}"


def build(message: Document | Status) -> bytes:
    """Writes ``message`` as UTF-8 edXML that :func:`envelope.parse` reads back equal."""
    root = etree.Element(_Q + "edXML", nsmap={None: NS})  # type: ignore[dict-item]
    envelope = _sub(root, "edXMLEnvelope")
    header = _sub(envelope, "edXMLHeader")
    message_header = _sub(header, "MessageHeader")
    try:
        if isinstance(message, Status):
            _status(message_header, message)
        else:
            _document(root, envelope, header, message_header, message)
    except ValueError as error:  # lxml refuses characters XML cannot carry
        raise EnvelopeError(
            "envelope.unbuildable", f"The message cannot be written as XML: {error}."
        ) from error
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, _Q + name)
    if text is not None:
        element.text = text
    return element


def _leaves(parent: etree._Element, name: str, fields: dict[str, str | None]) -> None:
    if all(value is None for value in fields.values()):
        return
    block = _sub(parent, name)
    for child, value in fields.items():
        if value is not None:
            _sub(block, child, value)


def _organization(parent: etree._Element, name: str, organization: Organization) -> None:
    block = _sub(parent, name)
    if organization.organ_id:
        _sub(block, "OrganId", organization.organ_id)
    for child, value in (
        ("OrganizationInCharge", organization.organization_in_charge),
        ("OrganName", organization.organ_name),
        ("OrganAdd", organization.organ_add),
        ("Email", organization.email),
        ("Telephone", organization.telephone),
        ("Fax", organization.fax),
        ("Website", organization.website),
    ):
        if value is not None:
            _sub(block, child, value)


def _response_for(parent: etree._Element, response_for: ResponseFor) -> None:
    date = response_for.promulgation_date
    _leaves(
        parent,
        "ResponseFor",
        {
            "OrganId": response_for.organ_id or None,
            "Code": response_for.code,
            "PromulgationDate": None if date is None else format_date(date),
            "DocumentId": response_for.document_id,
        },
    )


def _staff(parent: etree._Element, staff: StaffInfo | None) -> None:
    if staff is not None:
        _leaves(
            parent,
            "StaffInfo",
            {
                "Department": staff.department,
                "Staff": staff.staff,
                "Email": staff.email,
                "Mobile": staff.mobile,
            },
        )


def _number(value: int | None) -> str | None:
    return None if value is None else str(int(value))


def _document(
    root: etree._Element,
    envelope: etree._Element,
    header: etree._Element,
    mh: etree._Element,
    document: Document,
) -> None:
    if document.sender is not None:
        _organization(mh, "From", document.sender)
    for recipient in document.recipients:
        _organization(mh, "To", recipient)
    if document.document_id is not None:
        _sub(mh, "DocumentId", document.document_id)
    if document.code is not None:
        _leaves(
            mh, "Code", {"CodeNumber": document.code.number, "CodeNotation": document.code.notation}
        )
    if document.promulgation is not None:
        date = document.promulgation.promulgation_date
        _leaves(
            mh,
            "PromulgationInfo",
            {
                "Place": document.promulgation.place,
                "PromulgationDate": None if date is None else format_date(date),
            },
        )
    if document.document_type is not None:
        kind = document.document_type
        _leaves(
            mh,
            "DocumentType",
            {"Type": kind.type, "TypeDetail": kind.type_detail, "TypeName": kind.type_name},
        )
    if document.subject is not None:
        _sub(mh, "Subject", document.subject)
    if document.content is not None:
        _sub(mh, "Content", document.content)
    if document.signer is not None:
        signer = document.signer
        _leaves(
            mh,
            "SignerInfo",
            {
                "Competence": signer.competence,
                "Position": signer.position,
                "FullName": signer.full_name,
            },
        )
    if document.due_date is not None:
        _sub(mh, "DueDate", format_date(document.due_date))
    if document.other_info is not None:
        other = document.other_info
        block = _sub(mh, "OtherInfo")
        for child, value in (
            ("Priority", _number(other.priority)),
            ("SphereOfPromulgation", other.sphere_of_promulgation),
            ("TyperNotation", other.typer_notation),
            ("PromulgationAmount", other.promulgation_amount),
            ("PageAmount", other.page_amount),
            ("Direction", other.direction),
        ):
            if value is not None:
                _sub(block, child, value)
        if other.appendixes:
            appendixes = _sub(block, "Appendixes")
            for appendix in other.appendixes:
                _sub(appendixes, "Appendix", appendix)
    for response_for in document.response_for:
        _response_for(mh, response_for)
    if document.steering_type is not None:
        _sub(mh, "SteeringType", _number(document.steering_type))
    if document.to_places:
        places = _sub(mh, "ToPlaces")
        for place in document.to_places:
            _sub(places, "Place", place)
    if document.traces or document.business is not None:
        trace_list = _sub(header, "TraceHeaderList")
        for trace in document.traces:
            hop = _sub(trace_list, "TraceHeader")
            if trace.organ_id:
                _sub(hop, "OrganId", trace.organ_id)
            if trace.timestamp is not None:
                _sub(hop, "Timestamp", format_timestamp(trace.timestamp))
        if document.business is not None:
            _business(trace_list, document.business)
    manifest = _sub(_sub(envelope, "edXMLBody"), "edXMLManifest")
    manifest.set("version", "1.0")
    for reference in document.references:
        block = _sub(manifest, "Reference")
        _sub(block, "ContentId", reference.content_id)
        for child, value in (
            ("ContentType", reference.content_type),
            ("AttachmentName", reference.attachment_name),
            ("Description", reference.description),
        ):
            if value is not None:
                _sub(block, child, value)
    if document.attachments:
        encoded = _sub(root, "AttachmentEncoded")
        for attachment in document.attachments:
            _attachment(encoded, attachment)


def _attachment(parent: etree._Element, attachment: Attachment) -> None:
    block = _sub(parent, "Attachment")
    _sub(block, "ContentId", attachment.content_id)
    for child, value in (
        ("AttachmentName", attachment.name),
        ("Description", attachment.description),
        ("ContentType", attachment.content_type),
    ):
        if value is not None:
            _sub(block, child, value)
    _sub(block, "ContentTransferEncoded", attachment.payload.text())


def _business(parent: etree._Element, business: Business) -> None:
    block = _sub(parent, "Bussiness")
    if business.doc_type is not None:
        _sub(block, "BussinessDocType", _number(business.doc_type))
    if business.reason is not None:
        _sub(block, "BussinessDocReason", business.reason)
    if business.document_id is not None:
        _sub(block, "DocumentId", business.document_id)
    if business.paper is not None:
        _sub(block, "Paper", "1" if business.paper else "0")
    info = business.document_info
    if info is not None:
        info_block = _sub(block, "BussinessDocumentInfo")
        if info.document_info is not None:
            _sub(info_block, "DocumentInfo", info.document_info)
        if info.document_receiver is not None:
            _sub(info_block, "DocumentReceiver", info.document_receiver)
        if info.receivers:
            receivers = _sub(info_block, "ReceiverList")
            for receiver in info.receivers:
                _leaves(
                    receivers,
                    "Receiver",
                    {"OrganId": receiver.organ_id or None, "ReceiverType": receiver.receiver_type},
                )
    if business.replacements:
        replacements = _sub(block, "ReplacementInfoList")
        for replacement in business.replacements:
            item = _sub(replacements, "ReplacementInfo")
            if replacement.document_id is not None:
                _sub(item, "DocumentId", replacement.document_id)
            if replacement.organ_ids:
                organ_list = _sub(item, "OrganIdList")
                for organ_id in replacement.organ_ids:
                    _sub(organ_list, "OrganId", organ_id)
    _staff(block, business.staff)


def _status(mh: etree._Element, status: Status) -> None:
    if status.sender is not None:
        _organization(mh, "From", status.sender)
    if status.response_for is not None:
        _response_for(mh, status.response_for)
    _staff(mh, status.staff)
    if status.status_code is not None:
        _sub(mh, "StatusCode", status.status_code.value)
    if status.description is not None:
        _sub(mh, "Description", status.description)
    if status.timestamp is not None:
        _sub(mh, "Timestamp", format_timestamp(status.timestamp))
