"""The narrow verifier: one signature profile, checked strictly and fast.

A general XML-Signature library re-serialises the document several times
and rebuilds the certificate chain on every call; this module parses once,
canonicalises SignedInfo and the document once each with lxml (libxml2's
C14N), hashes with hashlib and verifies one signature with `cryptography`.
The certificate chain is the TrustStore's business, which caches it.
"""

from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from lxml import etree

from envelope.file_bytes import FileBytes
from envelope.safe_xml import HostileXml, Source, parse_xml
from signing.algorithms import (
    C14N_EXCLUSIVE,
    C14N_INCLUSIVE,
    DEFAULT_PROFILE,
    DIGEST_HASHLIB_NAMES,
    ENVELOPED,
    LEGACY_SHA1_PROFILE,
    SIGNATURE_METHODS,
    VerificationProfile,
)
from signing.c14n import canonical_document_digest, canonical_subtree
from signing.errors import (
    AlgorithmNotAllowedError,
    DigestMismatchError,
    HostileDocumentError,
    InvalidSignatureError,
    MalformedSignatureError,
)
from signing.identity import fingerprint, organ_id_hint, subject_text
from signing.keys import KeyMismatchError, verify_bytes
from signing.layout import locate_signature, refuse_split_text
from signing.parts import SignatureParts, decode_base64, read_parts
from signing.trust import TrustStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CheckedSignature:
    """A signature whose digest and value verified; its certificate not yet judged."""

    certificate: x509.Certificate
    presented: tuple[x509.Certificate, ...]
    signature_algorithm: str
    digest_algorithm: str
    canonicalization: str
    digest: str
    fingerprint: str
    subject: str
    organ_id_hint: str | None


@dataclass(frozen=True, slots=True)
class VerifiedSignature:
    """What was signed, how, and by whom (a certificate that chains to a trusted CA)."""

    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    signature_algorithm: str
    digest_algorithm: str
    canonicalization: str
    digest: str
    fingerprint: str
    organ_id_hint: str | None
    subject: str


@dataclass(frozen=True, slots=True)
class _LoadedCertificate:
    """A KeyInfo certificate with what the verifier asks of it, computed once."""

    certificate: x509.Certificate
    public_key: CertificatePublicKeyTypes
    fingerprint: str
    subject: str
    organ_id_hint: str | None


@functools.lru_cache(maxsize=1024)
def _load_certificate(text: str) -> _LoadedCertificate:
    # Keyed on the base64 text: a cache hit costs one string hash, no decoding.
    try:
        certificate = x509.load_der_x509_certificate(decode_base64(text, "X509Certificate"))
    except ValueError as error:
        raise MalformedSignatureError("an X509Certificate in KeyInfo cannot be read") from error
    return _LoadedCertificate(
        certificate,
        certificate.public_key(),
        fingerprint(certificate),
        subject_text(certificate),
        organ_id_hint(certificate),
    )


def parse_document(data: Source) -> etree._Element:
    """Parses through the hardened parser; its refusals become signature.malformed."""
    try:
        return parse_xml(data)
    except HostileXml as error:
        raise HostileDocumentError(error.reason, error.message) from error


def _check_algorithms(parts: SignatureParts, profile: VerificationProfile) -> bool:
    """Checks the algorithms against the profile; True when the document uses exclusive C14N."""
    if parts.canonicalization not in profile.canonicalizations:
        raise AlgorithmNotAllowedError(
            f"the canonicalization {parts.canonicalization} is not allowed"
        )
    for uri in parts.transforms:
        if uri != ENVELOPED and uri not in profile.canonicalizations:
            raise AlgorithmNotAllowedError(f"the transform {uri} is not allowed")
    if parts.transforms[:1] != (ENVELOPED,) or len(parts.transforms) > 2:
        raise MalformedSignatureError(
            "the Reference must use the enveloped-signature transform, then at most one C14N"
        )
    for uri, allowed in (
        (parts.signature_method, profile.signature_methods),
        (parts.digest_method, profile.digest_methods),
    ):
        if uri not in allowed:
            sha1 = " (SHA-1 is accepted only for agencies marked legacy)" if "sha1" in uri else ""
            raise AlgorithmNotAllowedError(f"the algorithm {uri} is not allowed{sha1}")
    return parts.transforms[1:] == (C14N_EXCLUSIVE,)


def _detach(signature: etree._Element) -> Callable[[], None]:
    """The enveloped-signature transform: drop Signature, keep the text that followed it.

    Returns what puts the tree back as it was, so a caller's tree is only lent.
    """
    parent = signature.getparent()
    assert parent is not None  # locate_signature placed it inside edXMLHeader
    index = parent.index(signature)
    tail = signature.tail
    previous = signature.getprevious()
    previous_tail = None if previous is None else previous.tail
    parent_text = parent.text
    parent.remove(signature)  # lxml removes the tail along with the element
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail

    def restore() -> None:
        if previous is not None:
            previous.tail = previous_tail
        else:
            parent.text = parent_text
        parent.insert(index, signature)
        signature.tail = tail

    return restore


def _signer(
    parts: SignatureParts, signed_info: bytes
) -> tuple[_LoadedCertificate, tuple[x509.Certificate, ...]]:
    method = SIGNATURE_METHODS[parts.signature_method]
    loaded = [_load_certificate(der) for der in parts.certificates]
    # The signer is the first presented certificate whose key verifies; usually the first.
    for candidate in loaded:
        try:
            if verify_bytes(candidate.public_key, method, parts.signature_value, signed_info):
                others = tuple(c.certificate for c in loaded if c is not candidate)
                return candidate, others
        except KeyMismatchError:
            continue
    raise InvalidSignatureError("the signature value does not verify with the KeyInfo certificate")


def check_signature(
    data: Source,
    *,
    profile: VerificationProfile = DEFAULT_PROFILE,
    tree: etree._Element | None = None,
) -> CheckedSignature:
    """Checks placement, structure, algorithms, digest and signature value; not trust.

    ``tree``: the root ``envelope.safe_xml.parse_xml`` made of ``data``, when the caller
    already has it (the axis parses once for envelope and signing); it is given back as
    it came.
    """
    root = parse_document(data) if tree is None else tree
    signature = locate_signature(root)
    refuse_split_text(root)
    parts = read_parts(signature)
    exclusive_document = _check_algorithms(parts, profile)
    signed_info = canonical_subtree(
        parts.signed_info, exclusive=parts.canonicalization == C14N_EXCLUSIVE
    )
    restore = _detach(signature)
    try:
        digest = canonical_document_digest(
            root,
            exclusive=exclusive_document,
            hash_name=DIGEST_HASHLIB_NAMES[parts.digest_method],
            source=data if isinstance(data, FileBytes) else None,
        )
    finally:
        restore()
    if not hmac.compare_digest(digest, parts.digest_value):
        raise DigestMismatchError("the document was changed after it was signed")
    signer, presented = _signer(parts, signed_info)
    return CheckedSignature(
        certificate=signer.certificate,
        presented=presented,
        signature_algorithm=parts.signature_method,
        digest_algorithm=parts.digest_method,
        canonicalization=C14N_EXCLUSIVE if exclusive_document else C14N_INCLUSIVE,
        digest=digest.hex(),
        fingerprint=signer.fingerprint,
        subject=signer.subject,
        organ_id_hint=signer.organ_id_hint,
    )


def verify(
    data: Source,
    trust: TrustStore,
    *,
    allow_sha1: bool = False,
    at: datetime | None = None,
    tree: etree._Element | None = None,
) -> VerifiedSignature:
    """Verifies the edXML envelope's signature and its signer's certificate.

    Raises a :class:`signing.errors.SignatureError` subclass whose ``code``
    says why; the document itself is never changed. ``tree``: as for
    :func:`check_signature`.
    """
    checked = check_signature(
        data, profile=LEGACY_SHA1_PROFILE if allow_sha1 else DEFAULT_PROFILE, tree=tree
    )
    chain = trust.check(
        checked.certificate, at, checked.presented, known_fingerprint=checked.fingerprint
    )
    return VerifiedSignature(
        certificate=checked.certificate,
        chain=chain,
        signature_algorithm=checked.signature_algorithm,
        digest_algorithm=checked.digest_algorithm,
        canonicalization=checked.canonicalization,
        digest=checked.digest,
        fingerprint=checked.fingerprint,
        organ_id_hint=checked.organ_id_hint,
        subject=checked.subject,
    )
