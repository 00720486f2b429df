"""The pieces of one XML-Signature element, read strictly.

Only the shape the profile signs is accepted: SignedInfo (CanonicalizationMethod,
SignatureMethod, one Reference with URI=""), SignatureValue, and KeyInfo
holding X509Data. Anything else inside Signature, an Object in particular, is
refused: the enveloped transform removes the whole Signature from what is
signed, so nothing inside it may carry meaning.

This runs on every verification, so it walks each element once and compares
whole tag strings; error messages are built only on the failure path.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass

from lxml import etree

from signing.algorithms import DSIG_NS
from signing.errors import MalformedSignatureError

_DS = f"{{{DSIG_NS}}}"
_INCLUSIVE_NAMESPACES = "{http://www.w3.org/2001/10/xml-exc-c14n#}InclusiveNamespaces"
_SIGNATURE_SHAPE = (_DS + "SignedInfo", _DS + "SignatureValue", _DS + "KeyInfo")
_SIGNED_INFO_SHAPE = (_DS + "CanonicalizationMethod", _DS + "SignatureMethod", _DS + "Reference")
_REFERENCE_SHAPES = (
    (_DS + "Transforms", _DS + "DigestMethod", _DS + "DigestValue"),
    (_DS + "DigestMethod", _DS + "DigestValue"),
)
_TRANSFORM = _DS + "Transform"
_X509_DATA = _DS + "X509Data"
_X509_CERTIFICATE = _DS + "X509Certificate"
# X509Data children that identify the certificate without carrying it; ignored.
_X509_IGNORED = frozenset(
    _DS + name for name in ("X509IssuerSerial", "X509SubjectName", "X509SKI", "X509CRL")
)
# KeyInfo children some SDKs add next to X509Data; never used to verify.
_KEYINFO_IGNORED = frozenset(_DS + name for name in ("KeyName", "KeyValue"))
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]+")


@dataclass(frozen=True, slots=True)
class SignatureParts:
    signed_info: etree._Element
    canonicalization: str
    signature_method: str
    transforms: tuple[str, ...]
    digest_method: str
    digest_value: bytes
    signature_value: bytes
    # The X509Certificate texts as written (base64, maybe with line breaks):
    # the verifier's certificate cache is keyed on them, so a hit decodes nothing.
    certificates: tuple[str, ...]


def _name(element: etree._Element) -> str:
    return etree.QName(element).localname


def _elements(parent: etree._Element) -> list[etree._Element]:
    text = parent.text
    if text and not text.isspace():
        raise MalformedSignatureError(f"unexpected text inside {_name(parent)}")
    children = []
    for child in parent:
        tail = child.tail
        if tail and not tail.isspace():
            raise MalformedSignatureError(f"unexpected text inside {_name(parent)}")
        if isinstance(child.tag, str):
            children.append(child)
    return children


def _shaped(parent: etree._Element, shape: tuple[str, ...]) -> list[etree._Element]:
    children = _elements(parent)
    if tuple(child.tag for child in children) != shape:
        names = ", ".join(tag.removeprefix(_DS) for tag in shape)
        raise MalformedSignatureError(f"{_name(parent)} must hold exactly {names}")
    return children


def _algorithm(element: etree._Element) -> str:
    uri = element.get("Algorithm")
    if not uri:
        raise MalformedSignatureError(f"{_name(element)} has no Algorithm")
    if len(element) or (element.text and not element.text.isspace()):
        for child in _elements(element):
            if child.tag == _INCLUSIVE_NAMESPACES:
                # A PrefixList changes what exclusive C14N emits; the profile never needs it.
                raise MalformedSignatureError("InclusiveNamespaces is not supported")
            raise MalformedSignatureError(f"{_name(element)} has unexpected content")
    return uri


def _text(element: etree._Element, what: str) -> str:
    text = element.text
    if len(element):
        raise MalformedSignatureError(f"{what} has unexpected content")
    if not text or text.isspace():
        raise MalformedSignatureError(f"{what} is empty")
    return text


def decode_base64(text: str, what: str) -> bytes:
    if not _BASE64.fullmatch(text):
        raise MalformedSignatureError(f"{what} is not valid base64")
    try:
        # The alphabet was checked above, so the lenient decoder only drops whitespace.
        return binascii.a2b_base64(text)
    except binascii.Error as error:
        raise MalformedSignatureError(f"{what} is not valid base64") from error


def _certificates(key_info: etree._Element) -> tuple[str, ...]:
    certificates: list[str] = []
    for child in _elements(key_info):
        if child.tag == _X509_DATA:
            for item in _elements(child):
                if item.tag == _X509_CERTIFICATE:
                    certificates.append(_text(item, "X509Certificate"))
                elif item.tag not in _X509_IGNORED:
                    raise MalformedSignatureError(f"X509Data may not hold {_name(item)}")
        elif child.tag not in _KEYINFO_IGNORED:
            raise MalformedSignatureError(f"KeyInfo may not hold {_name(child)}")
    if not certificates:
        raise MalformedSignatureError("KeyInfo carries no X509Certificate")
    return tuple(certificates)


def read_parts(signature: etree._Element) -> SignatureParts:
    """Reads ``signature`` or raises MalformedSignatureError naming what is wrong."""
    if any(name != "Id" for name in signature.attrib):
        raise MalformedSignatureError("Signature has unexpected attributes")
    signed_info, value, key_info = _shaped(signature, _SIGNATURE_SHAPE)
    c14n, method, reference = _shaped(signed_info, _SIGNED_INFO_SHAPE)
    if reference.get("URI") != "":
        raise MalformedSignatureError('the Reference must have URI="" (the whole document)')
    if any(name not in ("URI", "Id") for name in reference.attrib):
        raise MalformedSignatureError("the Reference has unexpected attributes")
    children = _elements(reference)
    if tuple(child.tag for child in children) not in _REFERENCE_SHAPES:
        raise MalformedSignatureError(
            "the Reference must hold Transforms, DigestMethod, DigestValue"
        )
    transforms: tuple[str, ...] = ()
    if len(children) == 3:
        listed = _elements(children[0])
        if any(transform.tag != _TRANSFORM for transform in listed):
            raise MalformedSignatureError("Transforms may hold only Transform elements")
        transforms = tuple(_algorithm(transform) for transform in listed)
    return SignatureParts(
        signed_info=signed_info,
        canonicalization=_algorithm(c14n),
        signature_method=_algorithm(method),
        transforms=transforms,
        digest_method=_algorithm(children[-2]),
        digest_value=decode_base64(_text(children[-1], "DigestValue"), "DigestValue"),
        signature_value=decode_base64(_text(value, "SignatureValue"), "SignatureValue"),
        certificates=_certificates(key_info),
    )
