"""Why a signature or a certificate was refused.

Every refusal is a :class:`SignatureError` whose ``code`` is a stable string
that callers (the broker, the HTTP API, the CLI) may store and compare, and
whose ``message`` is one plain sentence for people. Subclasses exist so that
code can catch one kind of failure; the codes are the contract.

Choices made where the profile leaves room:

- a ``Signature`` in the edXML namespace (as some real files have it) is
  ``signature.misplaced``: it is not an XML signature where one must be;
- more than one XML signature, or one that is not the last element of
  edXMLHeader, is ``signature.misplaced``;
- an empty SignatureValue, a comment cutting into signed text, and XML the
  hardened parser refuses (:class:`HostileDocumentError`, which keeps the
  parser's ``reason``) are ``signature.malformed``;
- a certificate that is not yet valid is ``certificate.expired``, like an
  expired one, and so is a chain whose CA certificate is out of its validity.
"""

from __future__ import annotations


class SignatureError(Exception):
    """The signature could not be accepted."""

    code = "signature.error"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or (type(self).__doc__ or "").strip()
        super().__init__(self.message)


class MissingSignatureError(SignatureError):
    """The document carries no XML signature."""

    code = "signature.missing"


class MisplacedSignatureError(SignatureError):
    """The signature is not the single XML-Signature element at the end of edXMLHeader."""

    code = "signature.misplaced"


class MalformedSignatureError(SignatureError):
    """The signature does not follow the accepted structure."""

    code = "signature.malformed"


class HostileDocumentError(MalformedSignatureError):
    """The document was refused by the hardened XML parser before any signature check."""

    def __init__(self, reason: str, message: str) -> None:
        # ``reason`` is the parser's own code (e.g. "xml.dtd") kept for logs and metrics.
        self.reason = reason
        super().__init__(message)


class DigestMismatchError(SignatureError):
    """The signed content was changed after signing."""

    code = "signature.digest_mismatch"


class InvalidSignatureError(SignatureError):
    """The signature value does not verify with the signer's certificate."""

    code = "signature.invalid"


class AlgorithmNotAllowedError(SignatureError):
    """The signature uses an algorithm or transform that is not allowed."""

    code = "signature.algorithm_not_allowed"


class UntrustedCertificateError(SignatureError):
    """The signer's certificate does not chain to a configured trust anchor."""

    code = "certificate.untrusted"


class ExpiredCertificateError(SignatureError):
    """The signer's certificate is expired or not yet valid."""

    code = "certificate.expired"


class RevokedCertificateError(SignatureError):
    """The signer's certificate has been revoked."""

    code = "certificate.revoked"


class KeyUsageError(SignatureError):
    """The signer's certificate is not allowed to make signatures."""

    code = "certificate.key_usage"


ALL_CODES = (
    MissingSignatureError.code,
    MisplacedSignatureError.code,
    MalformedSignatureError.code,
    DigestMismatchError.code,
    InvalidSignatureError.code,
    AlgorithmNotAllowedError.code,
    UntrustedCertificateError.code,
    ExpiredCertificateError.code,
    RevokedCertificateError.code,
    KeyUsageError.code,
)
