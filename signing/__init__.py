"""XML signatures and agency certificates for edXML: sign, verify, trust, revoke.

Pure code: no asyncio, no database, no HTTP. XML is parsed only through
``envelope.safe_xml.parse_xml``; a document it refuses is reported as
``signature.malformed`` (:class:`HostileDocumentError`, with the parser's
``reason``).
"""

from signing.algorithms import SigningAlgorithm, VerificationProfile
from signing.credentials import CertificateAuthority, IssuedCredential
from signing.devpki import DevelopmentPki, PkiError
from signing.errors import (
    AlgorithmNotAllowedError,
    DigestMismatchError,
    ExpiredCertificateError,
    HostileDocumentError,
    InvalidSignatureError,
    KeyUsageError,
    MalformedSignatureError,
    MisplacedSignatureError,
    MissingSignatureError,
    RevokedCertificateError,
    SignatureError,
    UntrustedCertificateError,
)
from signing.identity import fingerprint
from signing.signer import UnsignableDocumentError, sign
from signing.trust import TrustStore
from signing.verifier import CheckedSignature, VerifiedSignature, check_signature, verify

__all__ = [
    "AlgorithmNotAllowedError",
    "CertificateAuthority",
    "CheckedSignature",
    "DevelopmentPki",
    "DigestMismatchError",
    "ExpiredCertificateError",
    "HostileDocumentError",
    "InvalidSignatureError",
    "IssuedCredential",
    "KeyUsageError",
    "MalformedSignatureError",
    "MisplacedSignatureError",
    "MissingSignatureError",
    "PkiError",
    "RevokedCertificateError",
    "SignatureError",
    "SigningAlgorithm",
    "TrustStore",
    "UnsignableDocumentError",
    "UntrustedCertificateError",
    "VerificationProfile",
    "VerifiedSignature",
    "check_signature",
    "fingerprint",
    "sign",
    "verify",
]
