"""The axis's seal: its own signature over a message it accepted without an XML signature.

An agency in transition (its system cannot sign yet) is vouched for by its
channel credentials alone. The axis then attests what it received, not who
wrote it: a JWS (RFC 7515, compact serialization) signed with the axis's
Ed25519 key (EdDSA, RFC 8037), whose payload names the SHA-256 of the exact
bytes, the agency, the channel it came by and the time. The seal is
detached: the envelope is never changed and the seal travels beside it.

Why JWS with ``cryptography`` primitives: any JOSE library (jwcrypto,
nimbus-jose, node ``jose``) checks it with the axis's public certificate,
the payload is JSON anyone can read, and the format takes claims (agency,
channel, time) that a CMS or XMLDSig detached signature over the bytes
alone would need custom signed attributes for. The few lines of compact
serialization below are all the format needs, so no new dependency.

The JWS header carries the axis's certificate (``x5c``) and its SHA-256
thumbprint (``x5t#S256``) so a seal names the key that made it; a verifier
must still pin the axis's certificate (or its fingerprint) it obtained
elsewhere, or anyone could mint a "seal" with a certificate of their own.

Pure code, like the rest of :mod:`signing`: no database, no HTTP, no asyncio.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.x509.oid import NameOID

SEAL_TYPE = "axis-seal"
# What a sealed message's ``signature_algorithm`` says instead of an XMLDSig URI.
SEALED_ALGORITHM = "axis-seal"
_ALGORITHM = "EdDSA"
# Fixed validity and serial: the certificate is a pure function of the key, so
# every process (and every host given the same key) publishes the same bytes.
_NOT_BEFORE = datetime(2024, 1, 1, tzinfo=UTC)
_NOT_AFTER = datetime(2099, 12, 31, tzinfo=UTC)


class SealError(Exception):
    """The seal cannot be accepted."""

    code = "seal.invalid"

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class SealMismatch(SealError):
    """The seal is genuine but about other bytes."""

    code = "seal.mismatch"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise SealError("The seal is not base64url JWS.") from None


@dataclass(frozen=True, slots=True)
class SealClaims:
    """What the axis attests: these exact bytes came from ``agency`` by ``channel`` at ``sealed_at``."""  # noqa: E501

    sha256: str
    size: int
    agency: str
    channel: str
    authenticated_by: str
    message_id: str
    sealed_at: datetime
    # What stood where an XML signature belongs: "none", or "placeholder" (a
    # Signature element in the edXML namespace, as some agencies' libraries write).
    xml_signature: str

    def payload(self) -> dict[str, Any]:
        return {
            "typ": SEAL_TYPE,
            "sha256": self.sha256,
            "size": self.size,
            "agency": self.agency,
            "channel": self.channel,
            "authenticated_by": self.authenticated_by,
            "message_id": self.message_id,
            "sealed_at": self.sealed_at.astimezone(UTC).isoformat(),
            "xml_signature": self.xml_signature,
        }

    @classmethod
    def from_payload(cls, payload: Any) -> SealClaims:
        if not isinstance(payload, dict) or payload.get("typ") != SEAL_TYPE:
            raise SealError("The JWS is not an axis seal.")
        try:
            return cls(
                sha256=str(payload["sha256"]),
                size=int(payload["size"]),
                agency=str(payload["agency"]),
                channel=str(payload["channel"]),
                authenticated_by=str(payload["authenticated_by"]),
                message_id=str(payload["message_id"]),
                sealed_at=datetime.fromisoformat(str(payload["sealed_at"])),
                xml_signature=str(payload["xml_signature"]),
            )
        except (KeyError, ValueError, TypeError):
            raise SealError("The seal's payload lacks a field or has a bad value.") from None


@dataclass(frozen=True, slots=True)
class SealKey:
    """The axis's Ed25519 key and its self-signed certificate."""

    private_key: Ed25519PrivateKey
    certificate: x509.Certificate

    @classmethod
    def generate(cls) -> SealKey:
        return cls.from_private_key(Ed25519PrivateKey.generate())

    @classmethod
    def from_private_key(cls, key: Ed25519PrivateKey) -> SealKey:
        return cls(key, _certificate(key))

    @classmethod
    def from_pem(cls, pem: bytes) -> SealKey:
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as error:
            raise SealError(f"The seal key cannot be read as PEM: {error}.") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise SealError("The seal key must be an Ed25519 private key (PKCS#8 PEM).")
        return cls.from_private_key(key)

    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the certificate's DER, lower-case hex (as agency certificates)."""
        return self.certificate.fingerprint(hashes.SHA256()).hex()

    def seal(self, claims: SealClaims) -> str:
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        header = {
            "alg": _ALGORITHM,
            "typ": "JOSE",
            "x5c": [base64.b64encode(der).decode("ascii")],
            "x5t#S256": _b64(hashlib.sha256(der).digest()),
        }
        signing_input = (
            _b64(_canonical(header)) + "." + _b64(_canonical(claims.payload()))
        ).encode("ascii")
        return signing_input.decode("ascii") + "." + _b64(self.private_key.sign(signing_input))


def _canonical(value: dict[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


_SEAL_KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=True,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


def _certificate(key: Ed25519PrivateKey) -> x509.Certificate:
    public = key.public_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "axis envelope seal"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "axis"),
        ]
    )
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(int.from_bytes(hashlib.sha256(raw).digest()[:16], "big") >> 1)
        .not_valid_before(_NOT_BEFORE)
        .not_valid_after(_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_SEAL_KEY_USAGE, critical=True)
        .sign(key, None)
    )


def load_certificate(pem: bytes) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError as error:
        raise SealError(f"The axis certificate cannot be read as PEM: {error}.") from None


def read_seal(seal: str) -> tuple[dict[str, Any], SealClaims]:
    """The header and claims of a seal, unchecked (for display and for :func:`verify_seal`)."""
    parts = seal.strip().split(".")
    if len(parts) != 3:
        raise SealError("The seal is not a compact JWS (three dot-separated parts).")
    try:
        header = json.loads(_unb64(parts[0]))
        payload = json.loads(_unb64(parts[1]))
    except ValueError:
        raise SealError("The seal's header or payload is not JSON.") from None
    if not isinstance(header, dict):
        raise SealError("The seal's header is not a JSON object.")
    return header, SealClaims.from_payload(payload)


def verify_seal(seal: str, data: bytes, certificate: x509.Certificate) -> SealClaims:
    """The claims of ``seal`` if ``certificate`` (the axis's, pinned) made it over ``data``.

    Raises :class:`SealError` for anything else, :class:`SealMismatch` for a
    genuine seal about other bytes.
    """
    header, claims = read_seal(seal)
    if header.get("alg") != _ALGORITHM:
        raise SealError(f"The seal's algorithm is {header.get('alg')!r}, not {_ALGORITHM}.")
    public = certificate.public_key()
    if not isinstance(public, Ed25519PublicKey):
        raise SealError("The axis certificate does not hold an Ed25519 key.")
    head, body, signature = seal.strip().split(".")
    try:
        public.verify(_unb64(signature), f"{head}.{body}".encode("ascii"))
    except InvalidSignature:
        raise SealError(
            "The seal was not made by the key of this certificate "
            f"(SHA-256 {certificate.fingerprint(hashes.SHA256()).hex()})."
        ) from None
    digest = hashlib.sha256(data).hexdigest()
    if not hmac.compare_digest(digest, claims.sha256) or claims.size != len(data):
        raise SealMismatch(
            f"The seal is about other bytes (SHA-256 {claims.sha256}), not these ({digest})."
        )
    return claims


def load_or_create(path: Path) -> SealKey:
    """The key kept in ``path`` (PKCS#8 PEM), created once, readable by its owner only."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as key_file:
            key_file.write(SealKey.generate().private_pem())
        # Linked into place: link() fails if another process got there first,
        # so every process of one installation ends up with one key.
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return SealKey.from_pem(path.read_bytes())
