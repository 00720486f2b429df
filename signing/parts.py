"""The pieces of one XML-Signature element, read strictly.

Only the shape the profile signs is accepted: SignedInfo (CanonicalizationMethod,
SignatureMethod, one Reference with URI=""), SignatureValue, and KeyInfo
holding X509Data. Anything else inside Signature, an Object in particular, is
refused: the enveloped transform removes the whole Signature from what is
signed, so nothing inside it may carry meaning.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from lxml import etree

from signing.algorithms import DSIG_NS
from signing.errors import MalformedSignatureError

_DS = f"{{{DSIG_NS}}}"
_EXC_C14N_NS = "{http://www.w3.org/2001/10/xml-exc-c14n#}"
# X509Data children that identify the certificate without carrying it; ignored.
_X509_IGNORED = frozenset(
    _DS + name for name in ("X509IssuerSerial", "X509SubjectName", "X509SKI", "X509CRL")
)
# KeyInfo children some SDKs add next to X509Data; never used to verify.
_KEYINFO_IGNORED = frozenset(_DS + name for name in ("KeyName", "KeyValue"))
_REFERENCE_SHAPES = (
    (_DS + "Transforms", _DS + "DigestMethod", _DS + "DigestValue"),
    (_DS + "DigestMethod", _DS + "DigestValue"),
)


@dataclass(frozen=True, slots=True)
class SignatureParts:
    signed_info: etree._Element
    canonicalization: str
    signature_method: str
    transforms: tuple[str, ...]
    digest_method: str
    digest_value: bytes
    signature_value: bytes
    # Base64 text, whitespace removed: the verifier's certificate cache is keyed on it.
    certificates: tuple[str, ...]


def _elements(parent: etree._Element) -> list[etree._Element]:
    # Hot path: one pass, no temporary tuples, strip() only when there is text.
    text = parent.text
    if text and not text.isspace():
        raise MalformedSignatureError(f"unexpected text inside {etree.QName(parent).localname}")
    children = []
    for child in parent:
        tail = child.tail
        if tail and not tail.isspace():
            raise MalformedSignatureError(f"unexpected text inside {etree.QName(parent).localname}")
        if isinstance(child.tag, str):
            children.append(child)
    return children


def _expect(parent: etree._Element, names: tuple[str, ...]) -> list[etree._Element]:
    children = _elements(parent)
    if len(children) != len(names) or any(
        child.tag != _DS + name for child, name in zip(children, names, strict=True)
    ):
        raise MalformedSignatureError(
            f"{etree.QName(parent).localname} must hold exactly {', '.join(names)}"
        )
    return children


def _algorithm(element: etree._Element, *, allow_children: bool = False) -> str:
    uri = element.get("Algorithm")
    if not uri:
        raise MalformedSignatureError(f"{etree.QName(element).localname} has no Algorithm")
    has_content = len(element) or (element.text and not element.text.isspace())
    if has_content and (not allow_children or _elements(element)):
        raise MalformedSignatureError(f"{etree.QName(element).localname} has unexpected content")
    return uri


def _text(element: etree._Element, what: str) -> str:
    """The base64 text of ``element`` without whitespace; decoded by the caller."""
    if len(element):
        raise MalformedSignatureError(f"{what} has unexpected content")
    text = "".join((element.text or "").split())
    if not text:
        raise MalformedSignatureError(f"{what} is empty")
    return text


def _base64(element: etree._Element, what: str) -> bytes:
    text = _text(element, what)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise MalformedSignatureError(f"{what} is not valid base64") from error


def _transforms(container: etree._Element) -> tuple[str, ...]:
    transforms = _expect(container, ("Transform",) * len(_elements(container)))
    uris = []
    for transform in transforms:
        uris.append(_algorithm(transform, allow_children=True))
        for child in _elements(transform) if len(transform) else ():
            if child.tag == _EXC_C14N_NS + "InclusiveNamespaces":
                # A PrefixList changes what exclusive C14N emits; the profile never needs it.
                raise MalformedSignatureError("InclusiveNamespaces is not supported")
            raise MalformedSignatureError("a Transform has unexpected content")
    return tuple(uris)


def _certificates(key_info: etree._Element) -> tuple[str, ...]:
    certificates: list[str] = []
    for child in _elements(key_info):
        if child.tag in _KEYINFO_IGNORED:
            continue
        if child.tag != _DS + "X509Data":
            raise MalformedSignatureError(f"KeyInfo may not hold {etree.QName(child).localname}")
        for item in _elements(child):
            if item.tag == _DS + "X509Certificate":
                certificates.append(_text(item, "X509Certificate"))
            elif item.tag not in _X509_IGNORED:
                raise MalformedSignatureError(
                    f"X509Data may not hold {etree.QName(item).localname}"
                )
    if not certificates:
        raise MalformedSignatureError("KeyInfo carries no X509Certificate")
    return tuple(certificates)


def read_parts(signature: etree._Element) -> SignatureParts:
    """Reads ``signature`` or raises MalformedSignatureError naming what is wrong."""
    if any(name != "Id" for name in signature.attrib):
        raise MalformedSignatureError("Signature has unexpected attributes")
    signed_info, value, key_info = _expect(signature, ("SignedInfo", "SignatureValue", "KeyInfo"))
    c14n, method, reference = _expect(
        signed_info, ("CanonicalizationMethod", "SignatureMethod", "Reference")
    )
    if reference.get("URI") != "":
        raise MalformedSignatureError('the Reference must have URI="" (the whole document)')
    if any(name not in ("URI", "Id") for name in reference.attrib):
        raise MalformedSignatureError("the Reference has unexpected attributes")
    children = _elements(reference)
    names = tuple(str(child.tag) for child in children)
    if names not in _REFERENCE_SHAPES:
        raise MalformedSignatureError(
            "the Reference must hold Transforms, DigestMethod, DigestValue"
        )
    transforms = _transforms(children[0]) if len(names) == 3 else ()
    return SignatureParts(
        signed_info=signed_info,
        canonicalization=_algorithm(c14n),
        signature_method=_algorithm(method),
        transforms=transforms,
        digest_method=_algorithm(children[-2]),
        digest_value=_base64(children[-1], "DigestValue"),
        signature_value=_base64(value, "SignatureValue"),
        certificates=_certificates(key_info),
    )
