"""The algorithm identifiers of XML Signature and the profile the axis accepts.

The profile is a frozen value so that the secure defaults live in one place
and a caller can only loosen them explicitly (SHA-1 for legacy agencies).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes

DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"

ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
C14N_INCLUSIVE = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
C14N_EXCLUSIVE = "http://www.w3.org/2001/10/xml-exc-c14n#"

DIGEST_SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
DIGEST_SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
DIGEST_SHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
DIGEST_SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"

RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_SHA384 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
RSA_SHA512 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
RSA_PSS_SHA256 = "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
ECDSA_SHA384 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"
ECDSA_SHA512 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"

# hashlib names, so the hot path can hash with hashlib directly.
DIGEST_HASHLIB_NAMES = {
    DIGEST_SHA1: "sha1",
    DIGEST_SHA256: "sha256",
    DIGEST_SHA384: "sha384",
    DIGEST_SHA512: "sha512",
}


class KeyKind(enum.Enum):
    RSA = "rsa"
    RSA_PSS = "rsa-pss"
    ECDSA = "ecdsa"


@dataclass(frozen=True, slots=True)
class SignatureMethod:
    uri: str
    kind: KeyKind
    hash_name: str

    def hash_algorithm(self) -> hashes.HashAlgorithm:
        return _HASHES[self.hash_name]()


_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}

SIGNATURE_METHODS = {
    method.uri: method
    for method in (
        SignatureMethod(RSA_SHA1, KeyKind.RSA, "sha1"),
        SignatureMethod(RSA_SHA256, KeyKind.RSA, "sha256"),
        SignatureMethod(RSA_SHA384, KeyKind.RSA, "sha384"),
        SignatureMethod(RSA_SHA512, KeyKind.RSA, "sha512"),
        SignatureMethod(RSA_PSS_SHA256, KeyKind.RSA_PSS, "sha256"),
        SignatureMethod(ECDSA_SHA256, KeyKind.ECDSA, "sha256"),
        SignatureMethod(ECDSA_SHA384, KeyKind.ECDSA, "sha384"),
        SignatureMethod(ECDSA_SHA512, KeyKind.ECDSA, "sha512"),
    )
}


class SigningAlgorithm(enum.Enum):
    """What :func:`signing.sign` can produce: (signature method, digest method)."""

    RSA_SHA256 = "rsa-sha256"
    ECDSA_SHA256 = "ecdsa-sha256"
    RSA_SHA1 = "rsa-sha1"
    RSA_PSS_SHA256 = "rsa-pss-sha256"

    @property
    def signature_method(self) -> SignatureMethod:
        return SIGNATURE_METHODS[_SIGNATURE_URIS[self]]

    @property
    def digest_uri(self) -> str:
        # Real senders pair rsa-sha1 with a sha1 digest; anything newer uses SHA-256.
        return DIGEST_SHA1 if self is SigningAlgorithm.RSA_SHA1 else DIGEST_SHA256


_SIGNATURE_URIS = {
    SigningAlgorithm.RSA_SHA256: RSA_SHA256,
    SigningAlgorithm.ECDSA_SHA256: ECDSA_SHA256,
    SigningAlgorithm.RSA_SHA1: RSA_SHA1,
    SigningAlgorithm.RSA_PSS_SHA256: RSA_PSS_SHA256,
}

_SHA1_URIS = frozenset({RSA_SHA1, DIGEST_SHA1})


@dataclass(frozen=True, slots=True)
class VerificationProfile:
    """The one signature shape the axis accepts; SHA-1 only when asked for."""

    signature_methods: frozenset[str] = frozenset(SIGNATURE_METHODS) - _SHA1_URIS
    digest_methods: frozenset[str] = frozenset(DIGEST_HASHLIB_NAMES) - _SHA1_URIS
    canonicalizations: frozenset[str] = frozenset({C14N_INCLUSIVE, C14N_EXCLUSIVE})

    def with_sha1(self) -> VerificationProfile:
        return VerificationProfile(
            signature_methods=self.signature_methods | {RSA_SHA1},
            digest_methods=self.digest_methods | {DIGEST_SHA1},
            canonicalizations=self.canonicalizations,
        )


DEFAULT_PROFILE = VerificationProfile()
LEGACY_SHA1_PROFILE = DEFAULT_PROFILE.with_sha1()
