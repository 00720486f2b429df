"""edXML bytes to values: :func:`parse`.

The reader matches elements by namespace and local name, never by prefix or position, reads
leaf text with surrounding whitespace removed, and treats empty elements as absent. What it
cannot read (a bad date, an unknown code) becomes ``None`` plus a :class:`Problem` in
``parse_problems``, so that :func:`envelope.validate` can report everything at once.
"""

from __future__ import annotations

from lxml import etree

from envelope.attachments import Attachment, Reference
from envelope.codes import BusinessDocType, Priority, StatusCode
from envelope.dates import parse_date, parse_timestamp
from envelope.errors import MalformedEnvelope, MalformedXml, NotEdxml
from envelope.file_bytes import FileBytes
from envelope.header import (
    XMLDSIG_NS,
    Code,
    DocumentType,
    Organization,
    OtherInfo,
    PromulgationInfo,
    ResponseFor,
    SignatureInfo,
    SignerInfo,
    StaffInfo,
)
from envelope.message import Document, Status
from envelope.node import Context, Node
from envelope.paths import NS, ROOT
from envelope.payload_locator import locate_payloads
from envelope.safe_xml import DEFAULT_LIMITS, Source, XmlLimits, parse_xml
from envelope.trace import (
    Business,
    BusinessDocumentInfo,
    Receiver,
    ReplacementInfo,
    TraceHeader,
)

__all__ = ["parse", "parse_tree"]


def parse_tree(data: Source, limits: XmlLimits = DEFAULT_LIMITS) -> etree._Element:
    """The hardened parse :func:`parse` starts with, for callers that read the tree twice.

    The axis parses each submission once and hands the tree to :func:`parse` and to
    ``signing.verify``; the refusals are exactly those of :func:`parse`.
    """
    if not isinstance(data, bytes | FileBytes):
        raise TypeError(f"parse() takes bytes, not {type(data).__name__}")
    try:
        root = parse_xml(data, limits)
    except MalformedXml as error:
        code = "envelope." + error.reason.removeprefix("xml.")
        raise MalformedEnvelope(code, error.message) from None
    if root.tag != f"{{{NS}}}edXML":
        name = etree.QName(root).localname
        raise NotEdxml(
            f"The root element is {name!r} (line {root.sourceline}), not edXML in the "
            f"namespace {NS}."
        )
    return root


def parse(
    data: Source, limits: XmlLimits = DEFAULT_LIMITS, *, tree: etree._Element | None = None
) -> Document | Status:
    """Reads an edXML document or status message; ``raw`` keeps ``data`` untouched.

    ``tree``, if given, is what :func:`parse_tree` returned for these same bytes; it is
    only read. Raises :class:`envelope.HostileXml` (``xml.*`` codes),
    :class:`MalformedEnvelope` (``envelope.malformed``, ``envelope.truncated``,
    ``envelope.empty``) or :class:`NotEdxml` (``envelope.not_edxml``).
    """
    root = parse_tree(data, limits) if tree is None else tree
    context = Context(data)
    top = Node(root, ROOT, context)
    envelope = _required(top, "edXMLEnvelope")
    header = _required(envelope, "edXMLHeader")
    message_header = _required(header, "MessageHeader")
    signature = _signature(header, envelope, top)
    # A receipt has a status code, or at least neither recipients nor a body.
    if message_header.has("StatusCode") or not (
        message_header.has("To") or envelope.has("edXMLBody")
    ):
        return _status(message_header, signature, context)
    return _document(top, envelope, header, message_header, signature, context)


def _required(parent: Node, name: str) -> Node:
    node = parent.one(name)
    if node is None:
        raise NotEdxml(
            f"The message has no {parent.path}/{name} element (line "
            f"{parent.element.sourceline}), so it is not an edXML message."
        )
    return node


def _signature(*parents: Node) -> SignatureInfo | None:
    for parent in parents:
        element = parent.element_named(f"{{{XMLDSIG_NS}}}Signature")
        if element is None:
            element = parent.element_named("Signature")
        if element is not None:
            method = next(element.iter("{*}SignatureMethod"), None)
            algorithm = None if method is None else (method.get("Algorithm") or "").strip()
            namespace = etree.QName(element).namespace or ""
            return SignatureInfo(algorithm or None, namespace)
    return None


def _organization(node: Node) -> Organization:
    return Organization(
        organ_id=node.text_of("OrganId") or "",
        organization_in_charge=node.text_of("OrganizationInCharge"),
        organ_name=node.text_of("OrganName"),
        organ_add=node.text_of("OrganAdd"),
        email=node.text_of("Email"),
        telephone=node.text_of("Telephone"),
        fax=node.text_of("Fax"),
        website=node.text_of("Website"),
    )


def _response_for(node: Node) -> ResponseFor:
    return ResponseFor(
        organ_id=node.text_of("OrganId") or "",
        document_id=node.text_of("DocumentId"),
        code=node.text_of("Code"),
        promulgation_date=node.date_of("PromulgationDate", parse_date),
    )


def _staff(node: Node | None) -> StaffInfo | None:
    if node is None:
        return None
    return StaffInfo(
        department=node.text_of("Department"),
        staff=node.text_of("Staff"),
        email=node.text_of("Email"),
        mobile=node.text_of("Mobile"),
    )


def _priority(node: Node) -> Priority | None:
    leaf = node.block("Priority")
    value = leaf.int_text("envelope.invalid_priority") if leaf else None
    if value is None or leaf is None:
        return None
    if value not in Priority._value2member_map_:
        leaf.report("envelope.priority_out_of_range", f"Priority {value} is outside 0 to 4")
        return None
    return Priority(value)


def _other_info(node: Node | None) -> OtherInfo | None:
    if node is None:
        return None
    appendixes = node.block("Appendixes")
    return OtherInfo(
        priority=_priority(node),
        sphere_of_promulgation=node.text_of("SphereOfPromulgation"),
        typer_notation=node.text_of("TyperNotation"),
        promulgation_amount=node.text_of("PromulgationAmount"),
        page_amount=node.text_of("PageAmount"),
        direction=node.text_of("Direction"),
        appendixes=appendixes.texts_of("Appendix") if appendixes else (),
    )


def _business(node: Node | None) -> Business | None:
    if node is None:
        return None
    doc_type: BusinessDocType | None = BusinessDocType.NEW
    type_node = node.block("BussinessDocType")
    if type_node is not None:
        value = type_node.int_text("business.invalid_doc_type")
        doc_type = None
        if value is not None and value in BusinessDocType._value2member_map_:
            doc_type = BusinessDocType(value)
        elif value is not None:
            type_node.report("business.unknown_doc_type", f"BussinessDocType {value} is not 0 to 3")
    paper: bool | None = None
    paper_node = node.block("Paper")
    if paper_node is not None:
        flag = paper_node.int_text("business.invalid_paper")
        paper = None if flag not in (0, 1) else bool(flag)
        if flag not in (0, 1, None):
            paper_node.report("business.invalid_paper", f"Paper {flag} is neither 0 nor 1")
    info = node.block("BussinessDocumentInfo")
    receivers = info.block("ReceiverList") if info else None
    replacements = node.block("ReplacementInfoList")
    return Business(
        doc_type=doc_type,
        reason=node.text_of("BussinessDocReason"),
        document_id=node.text_of("DocumentId"),
        paper=paper,
        document_info=None
        if info is None
        else BusinessDocumentInfo(
            document_info=info.text_of("DocumentInfo"),
            document_receiver=info.text_of("DocumentReceiver"),
            receivers=tuple(
                Receiver(r.text_of("OrganId") or "", r.text_of("ReceiverType"))
                for r in (receivers.blocks("Receiver") if receivers else ())
            ),
        ),
        replacements=tuple(
            ReplacementInfo(
                document_id=item.text_of("DocumentId"),
                organ_ids=organ_list.texts_of("OrganId") if organ_list else (),
            )
            for item in (replacements.blocks("ReplacementInfo") if replacements else ())
            for organ_list in (item.block("OrganIdList"),)
        ),
        staff=_staff(node.block("StaffInfo")),
    )


def _steering_type(node: Node) -> int | None:
    leaf = node.block("SteeringType")
    return leaf.int_text("envelope.invalid_steering_type") if leaf else None


def _document(
    top: Node,
    envelope: Node,
    header: Node,
    message_header: Node,
    signature: SignatureInfo | None,
    context: Context,
) -> Document:
    mh = message_header
    sender = mh.block("From")
    code = mh.block("Code")
    promulgation = mh.block("PromulgationInfo")
    document_type = mh.block("DocumentType")
    signer = mh.block("SignerInfo")
    to_places = mh.block("ToPlaces")
    trace_list = header.block("TraceHeaderList")
    body = envelope.block("edXMLBody")
    manifest = body.block("edXMLManifest") if body else None
    encoded = top.block("AttachmentEncoded")
    attachment_nodes = encoded.blocks("Attachment") if encoded else []
    payloads = locate_payloads(
        context.raw, [node.one("ContentTransferEncoded") for node in attachment_nodes]
    )
    return Document(
        sender=_organization(sender) if sender else None,
        recipients=tuple(_organization(node) for node in mh.blocks("To")),
        document_id=mh.text_of("DocumentId"),
        code=Code(code.text_of("CodeNumber"), code.text_of("CodeNotation")) if code else None,
        promulgation=PromulgationInfo(
            promulgation.text_of("Place"),
            promulgation.date_of("PromulgationDate", parse_date),
        )
        if promulgation
        else None,
        document_type=DocumentType(
            document_type.text_of("Type"),
            document_type.text_of("TypeDetail"),
            document_type.text_of("TypeName"),
        )
        if document_type
        else None,
        subject=mh.text_of("Subject"),
        content=mh.text_of("Content"),
        signer=SignerInfo(
            signer.text_of("Competence"), signer.text_of("Position"), signer.text_of("FullName")
        )
        if signer
        else None,
        due_date=mh.date_of("DueDate", parse_date),
        other_info=_other_info(mh.block("OtherInfo")),
        response_for=tuple(_response_for(node) for node in mh.blocks("ResponseFor")),
        steering_type=_steering_type(mh),
        to_places=to_places.texts_of("Place") if to_places else (),
        traces=tuple(
            TraceHeader(node.text_of("OrganId") or "", node.date_of("Timestamp", parse_timestamp))
            for node in (trace_list.blocks("TraceHeader") if trace_list else ())
        ),
        business=_business(trace_list.block("Bussiness") if trace_list else None),
        references=tuple(
            Reference(
                content_id=node.text_of("ContentId") or "",
                content_type=node.text_of("ContentType"),
                attachment_name=node.text_of("AttachmentName"),
                description=node.text_of("Description"),
            )
            for node in (manifest.blocks("Reference") if manifest else ())
        ),
        attachments=tuple(
            Attachment(
                content_id=node.text_of("ContentId") or "",
                name=node.text_of("AttachmentName"),
                content_type=node.text_of("ContentType"),
                payload=payload,
                description=node.text_of("Description"),
            )
            for node, payload in zip(attachment_nodes, payloads, strict=True)
        ),
        signature=signature,
        raw=context.raw,
        source_lines=context.lines,
        parse_problems=tuple(context.problems),
    )


def _status(mh: Node, signature: SignatureInfo | None, context: Context) -> Status:
    sender = mh.block("From")
    response_for = mh.block("ResponseFor")
    status_code: StatusCode | None = None
    code_node = mh.block("StatusCode")
    if code_node is not None:
        text = code_node.text() or ""
        normalized = text.zfill(2) if text.isdigit() else text
        if normalized in StatusCode._value2member_map_:
            status_code = StatusCode(normalized)
        else:
            code_node.report("status.unknown_code", f"Status code {text!r} is not a known code")
    return Status(
        sender=_organization(sender) if sender else None,
        response_for=_response_for(response_for) if response_for else None,
        staff=_staff(mh.block("StaffInfo")),
        status_code=status_code,
        description=mh.text_of("Description"),
        timestamp=mh.date_of("Timestamp", parse_timestamp),
        signature=signature,
        raw=context.raw,
        source_lines=context.lines,
        parse_problems=tuple(context.problems),
    )
