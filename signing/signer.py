"""Adds the enveloped signature to an edXML document, changing no other byte.

The signature is spliced into the original bytes just before the end tag of
edXMLHeader, without whitespace around it, so the document minus the
signature is byte for byte what the caller gave: recipients receive exactly
what was signed. The result is verified before it is returned.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from lxml import etree

from signing.algorithms import (
    C14N_EXCLUSIVE,
    C14N_INCLUSIVE,
    DIGEST_HASHLIB_NAMES,
    DSIG_NS,
    ENVELOPED,
    LEGACY_SHA1_PROFILE,
    SigningAlgorithm,
)
from signing.c14n import canonical_document, canonical_subtree
from signing.errors import SignatureError
from signing.keys import sign_bytes
from signing.layout import (
    EDXML_SIGNATURE_TAG,
    SIGNATURE_TAG,
    find_header,
    locate_signature,
    refuse_split_text,
)
from signing.verifier import check_signature, parse_document

_HEADER_END = re.compile(rb"</(?:[A-Za-z_][\w.\-]*:)?edXMLHeader\s*>")
_VALUE_SLOT = b"<ds:SignatureValue></ds:SignatureValue>"
# Encodings in which an ASCII snippet can be spliced into the bytes as is.
_ASCII_COMPATIBLE = re.compile(r"(?i)(utf-?8|us-ascii|ascii|iso-8859-\d+|windows-125\d)")


class UnsignableDocumentError(ValueError):
    """The document cannot be signed as it is."""


def _wrapped(data: bytes) -> str:
    text = base64.b64encode(data).decode("ascii")
    return "\n".join(text[i : i + 76] for i in range(0, len(text), 76))


def _snippet(
    algorithm: SigningAlgorithm,
    c14n: str,
    digest: bytes,
    certificates: Sequence[x509.Certificate],
) -> bytes:
    x509_data = "".join(
        f"<ds:X509Certificate>{_wrapped(c.public_bytes(serialization.Encoding.DER))}"
        "</ds:X509Certificate>"
        for c in certificates
    )
    text = (
        f'<ds:Signature xmlns:ds="{DSIG_NS}">\n'
        "<ds:SignedInfo>\n"
        f'<ds:CanonicalizationMethod Algorithm="{c14n}"/>\n'
        f'<ds:SignatureMethod Algorithm="{algorithm.signature_method.uri}"/>\n'
        '<ds:Reference URI="">\n'
        "<ds:Transforms>\n"
        f'<ds:Transform Algorithm="{ENVELOPED}"/>\n'
        f'<ds:Transform Algorithm="{c14n}"/>\n'
        "</ds:Transforms>\n"
        f'<ds:DigestMethod Algorithm="{algorithm.digest_uri}"/>\n'
        f"<ds:DigestValue>{base64.b64encode(digest).decode('ascii')}</ds:DigestValue>\n"
        "</ds:Reference>\n"
        "</ds:SignedInfo>\n"
        f"{_VALUE_SLOT.decode('ascii')}\n"
        f"<ds:KeyInfo>\n<ds:X509Data>{x509_data}</ds:X509Data>\n</ds:KeyInfo>\n"
        "</ds:Signature>"
    )
    return text.encode("ascii")


def _signable(data: bytes) -> etree._Element:
    try:
        root = parse_document(data)
        find_header(root)
        refuse_split_text(root)
    except SignatureError as error:
        raise UnsignableDocumentError(error.message) from error
    if next(root.iter(SIGNATURE_TAG, EDXML_SIGNATURE_TAG), None) is not None:
        raise UnsignableDocumentError("the document is already signed")
    encoding = root.getroottree().docinfo.encoding or "UTF-8"
    if not _ASCII_COMPATIBLE.fullmatch(encoding):
        raise UnsignableDocumentError(f"documents encoded in {encoding} cannot be signed")
    return root


def _same_key(private_key: PrivateKeyTypes, certificate: x509.Certificate) -> bool:
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    return private_key.public_key().public_bytes(*spki) == certificate.public_key().public_bytes(
        *spki
    )


def sign(
    data: bytes,
    private_key: PrivateKeyTypes,
    certificate: x509.Certificate,
    *,
    algorithm: SigningAlgorithm = SigningAlgorithm.RSA_SHA256,
    exclusive_c14n: bool = True,
    intermediates: Sequence[x509.Certificate] = (),
) -> bytes:
    """Returns ``data`` with an enveloped signature at the end of edXMLHeader."""
    if not _same_key(private_key, certificate):
        raise UnsignableDocumentError("the private key does not belong to the certificate")
    root = _signable(data)
    c14n = C14N_EXCLUSIVE if exclusive_c14n else C14N_INCLUSIVE
    canonical = canonical_document(root, exclusive=exclusive_c14n)
    digest = hashlib.new(DIGEST_HASHLIB_NAMES[algorithm.digest_uri], canonical).digest()
    snippet = _snippet(algorithm, c14n, digest, [certificate, *intermediates])
    # A comment or CDATA section may contain the end-tag text, so each candidate
    # is tried until the spliced signature lands in edXMLHeader and verifies.
    for match in _HEADER_END.finditer(data):
        at = match.start()
        draft = data[:at] + snippet + data[at:]
        try:
            signed_info = _signed_info_c14n(draft, exclusive_c14n)
        except SignatureError:
            continue
        value = sign_bytes(private_key, algorithm.signature_method, signed_info)
        filled = snippet.replace(
            _VALUE_SLOT,
            b"<ds:SignatureValue>" + _wrapped(value).encode("ascii") + b"</ds:SignatureValue>",
        )
        signed = data[:at] + filled + data[at:]
        try:
            check_signature(signed, profile=LEGACY_SHA1_PROFILE)
        except SignatureError:
            continue
        return signed
    raise UnsignableDocumentError("the end of edXMLHeader cannot be found in the document bytes")


def _signed_info_c14n(draft: bytes, exclusive: bool) -> bytes:
    signature = locate_signature(parse_document(draft))
    signed_info = signature.find(f"{{{DSIG_NS}}}SignedInfo")
    if signed_info is None:
        raise UnsignableDocumentError("the signature template was not read back")
    return canonical_subtree(signed_info, exclusive=exclusive)
