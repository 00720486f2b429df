"""edXML as data: parse bytes into typed values, validate them, build bytes from values.

Pure: no I/O beyond what a caller asks of an attachment, no broker, no HTTP, no database.
"""

from envelope.attachments import Attachment, AttachmentError, Reference, ZipMember
from envelope.codes import BusinessDocType, Priority, StatusCode
from envelope.errors import (
    EnvelopeError,
    EnvelopeInvalid,
    HostileXml,
    MalformedEnvelope,
    MalformedXml,
    NotEdxml,
    Problem,
)
from envelope.file_bytes import FileBytes
from envelope.header import (
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
from envelope.message import Document, Message, Status
from envelope.organ_id import OrganId
from envelope.payload import Base64Payload
from envelope.reader import parse, parse_tree
from envelope.safe_xml import DEFAULT_LIMITS, XmlLimits
from envelope.trace import (
    ActedOn,
    Business,
    BusinessDocumentInfo,
    Receiver,
    ReplacementInfo,
    TraceHeader,
)
from envelope.validation import parse_valid, validate
from envelope.writer import build

__all__ = [
    "DEFAULT_LIMITS",
    "ActedOn",
    "Attachment",
    "AttachmentError",
    "Base64Payload",
    "Business",
    "BusinessDocType",
    "BusinessDocumentInfo",
    "Code",
    "Document",
    "DocumentType",
    "EnvelopeError",
    "EnvelopeInvalid",
    "FileBytes",
    "HostileXml",
    "MalformedEnvelope",
    "MalformedXml",
    "Message",
    "NotEdxml",
    "OrganId",
    "Organization",
    "OtherInfo",
    "Priority",
    "Problem",
    "PromulgationInfo",
    "Receiver",
    "Reference",
    "ReplacementInfo",
    "ResponseFor",
    "SignatureInfo",
    "SignerInfo",
    "StaffInfo",
    "Status",
    "StatusCode",
    "TraceHeader",
    "XmlLimits",
    "ZipMember",
    "build",
    "parse",
    "parse_tree",
    "parse_valid",
    "validate",
]
