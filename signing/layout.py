"""Where the signature lives in an edXML document, and what may surround it.

The profile: exactly one XML-Signature ``Signature`` element, the last
element child of ``edXML/edXMLEnvelope/edXMLHeader``. A ``Signature`` in
the edXML namespace (as some real files have it) is reported as
``signature.misplaced``: it is a signature in the wrong namespace, so not an
XML signature at all, and never valid.
"""

from __future__ import annotations

from lxml import etree

from signing.algorithms import DSIG_NS
from signing.errors import (
    MalformedSignatureError,
    MisplacedSignatureError,
    MissingSignatureError,
)

EDXML_NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"

ROOT_TAG = f"{{{EDXML_NS}}}edXML"
ENVELOPE_TAG = f"{{{EDXML_NS}}}edXMLEnvelope"
HEADER_TAG = f"{{{EDXML_NS}}}edXMLHeader"
SIGNATURE_TAG = f"{{{DSIG_NS}}}Signature"
EDXML_SIGNATURE_TAG = f"{{{EDXML_NS}}}Signature"


def find_header(root: etree._Element) -> etree._Element:
    """The single edXML/edXMLEnvelope/edXMLHeader; refuses anything else."""
    if root.tag != ROOT_TAG:
        raise MalformedSignatureError("the document is not an edXML document")
    envelopes = root.findall(ENVELOPE_TAG)
    if len(envelopes) != 1:
        raise MalformedSignatureError("the document must have exactly one edXMLEnvelope")
    headers = envelopes[0].findall(HEADER_TAG)
    if len(headers) != 1:
        raise MalformedSignatureError("the edXMLEnvelope must have exactly one edXMLHeader")
    return headers[0]


def locate_signature(root: etree._Element) -> etree._Element:
    """The one XML-Signature element, checked to be in its place."""
    header = find_header(root)
    found = list(root.iter(SIGNATURE_TAG, EDXML_SIGNATURE_TAG))
    signatures = [element for element in found if element.tag == SIGNATURE_TAG]
    if len(signatures) != len(found):
        raise MisplacedSignatureError(
            "the document has a Signature in the edXML namespace instead of the XML-Signature one"
        )
    if not signatures:
        raise MissingSignatureError("the document carries no XML signature")
    if len(signatures) > 1:
        raise MisplacedSignatureError(
            f"the document carries {len(signatures)} XML signatures; exactly one is allowed"
        )
    signature = signatures[0]
    if signature.getparent() is not header:
        raise MisplacedSignatureError("the XML signature is not inside edXMLHeader")
    following = signature.itersiblings()
    if any(isinstance(node.tag, str) for node in following):
        raise MisplacedSignatureError("the XML signature is not the last element of edXMLHeader")
    return signature


def refuse_split_text(root: etree._Element) -> None:
    """Refuses comments and processing instructions that cut into text.

    Canonical XML drops comments, so ``<Subject>Pay A<!---->B</Subject>`` has
    the same digest as ``<Subject>Pay AB</Subject>`` while a reader taking the
    element's first text node sees only "Pay A". A comment between elements
    (whitespace on both sides) cannot mislead anyone and is allowed.
    """
    for node in root.iter(etree.Comment, etree.ProcessingInstruction):
        previous = node.getprevious()
        parent = node.getparent()
        before = (
            previous.tail if previous is not None else (parent.text if parent is not None else None)
        )
        if (before and before.strip()) or (node.tail and node.tail.strip()):
            raise MalformedSignatureError(
                "a comment or processing instruction splits text in the document, "
                "which the signature does not protect"
            )
