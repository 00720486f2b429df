"""Raw signature values as XML Signature encodes them.

XML Signature writes ECDSA signatures as the fixed-width concatenation r || s
(RFC 4050 / XMLDSig 1.1), not as the DER sequence `cryptography` uses, so the
conversion lives here and nowhere else.
"""

from __future__ import annotations

from typing import TypeAlias

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificatePublicKeyTypes,
    PrivateKeyTypes,
)
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from signing.algorithms import KeyKind, SignatureMethod

SigningKey: TypeAlias = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


class KeyMismatchError(ValueError):
    """The key's type does not fit the signature method."""


def _pss(method: SignatureMethod) -> padding.PSS:
    # XMLDSig's RSA-PSS default parameters: MGF1 with the same hash, salt = hash length.
    hash_algorithm = method.hash_algorithm()
    return padding.PSS(mgf=padding.MGF1(hash_algorithm), salt_length=hash_algorithm.digest_size)


def as_signing_key(private_key: PrivateKeyTypes) -> SigningKey:
    if isinstance(private_key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        return private_key
    raise KeyMismatchError("only RSA and ECDSA keys can sign edXML envelopes")


def sign_bytes(private_key: PrivateKeyTypes, method: SignatureMethod, data: bytes) -> bytes:
    hash_algorithm = method.hash_algorithm()
    if method.kind is KeyKind.ECDSA:
        if not isinstance(private_key, ec.EllipticCurvePrivateKey):
            raise KeyMismatchError("an ECDSA signature needs an elliptic-curve key")
        der = private_key.sign(data, ec.ECDSA(hash_algorithm))
        r, s = decode_dss_signature(der)
        width = (private_key.curve.key_size + 7) // 8
        return r.to_bytes(width, "big") + s.to_bytes(width, "big")
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise KeyMismatchError("an RSA signature needs an RSA key")
    pad = _pss(method) if method.kind is KeyKind.RSA_PSS else padding.PKCS1v15()
    return private_key.sign(data, pad, hash_algorithm)


def verify_bytes(
    public_key: CertificatePublicKeyTypes, method: SignatureMethod, value: bytes, data: bytes
) -> bool:
    """True when ``value`` signs ``data``; raises KeyMismatchError for a wrong key type."""
    hash_algorithm = method.hash_algorithm()
    try:
        if method.kind is KeyKind.ECDSA:
            if not isinstance(public_key, ec.EllipticCurvePublicKey):
                raise KeyMismatchError("the certificate's key is not an elliptic-curve key")
            width = (public_key.curve.key_size + 7) // 8
            if len(value) != 2 * width:
                return False
            der = encode_dss_signature(
                int.from_bytes(value[:width], "big"), int.from_bytes(value[width:], "big")
            )
            public_key.verify(der, data, ec.ECDSA(hash_algorithm))
            return True
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise KeyMismatchError("the certificate's key is not an RSA key")
        pad = _pss(method) if method.kind is KeyKind.RSA_PSS else padding.PKCS1v15()
        public_key.verify(value, data, pad, hash_algorithm)
        return True
    except InvalidSignature:
        return False
