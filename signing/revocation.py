"""Certificate revocation lists, from memory or from files that may change.

A file-backed list is re-read only when its size or modification time
changes, and the stat itself is throttled, so checking on every verification
costs next to nothing.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes

logger = logging.getLogger(__name__)


def load_crl(data: bytes) -> x509.CertificateRevocationList:
    """Loads a CRL in PEM or DER."""
    if b"-----BEGIN" in data:
        return x509.load_pem_x509_crl(data)
    return x509.load_der_x509_crl(data)


@dataclass(frozen=True, slots=True)
class RevocationList:
    """One CRL, indexed by serial number for constant-time lookups."""

    crl: x509.CertificateRevocationList
    revoked: dict[int, datetime] = field(hash=False, compare=False)
    identity: str

    @classmethod
    def of(cls, crl: x509.CertificateRevocationList) -> RevocationList:
        revoked = {entry.serial_number: entry.revocation_date_utc for entry in crl}
        return cls(crl, revoked, crl.fingerprint(hashes.SHA256()).hex())

    @property
    def issuer(self) -> x509.Name:
        return self.crl.issuer

    def is_signed_by(self, public_key: CertificatePublicKeyTypes) -> bool:
        issuer_keys = (
            rsa.RSAPublicKey,
            ec.EllipticCurvePublicKey,
            ed25519.Ed25519PublicKey,
            ed448.Ed448PublicKey,
        )
        if not isinstance(public_key, issuer_keys):
            return False
        try:
            return self.crl.is_signature_valid(public_key)
        except (TypeError, ValueError):
            return False


class CrlFile:
    """A CRL kept in a file; :meth:`refresh` re-reads it when the file changed."""

    def __init__(self, path: str | os.PathLike[str], *, check_interval: float = 1.0) -> None:
        self.path = Path(path)
        self.check_interval = check_interval
        self._stamp: tuple[int, int] | None = None
        self._checked_at = float("-inf")
        self.current: RevocationList | None = None
        self.refresh(force=True)

    def refresh(self, *, force: bool = False) -> bool:
        """Re-reads the file if it changed; True when the list changed."""
        now = time.monotonic()
        if not force and now - self._checked_at < self.check_interval:
            return False
        self._checked_at = now
        try:
            status = self.path.stat()
        except OSError as error:
            if self.current is not None:
                # Keep the last good list: a CRL that vanishes must not un-revoke anyone.
                logger.warning("CRL %s cannot be read (%s); keeping the last one", self.path, error)
                return False
            raise
        stamp = (status.st_mtime_ns, status.st_size)
        if stamp == self._stamp:
            return False
        try:
            loaded = RevocationList.of(load_crl(self.path.read_bytes()))
        except (OSError, ValueError) as error:
            if self.current is None:
                raise
            logger.warning("CRL %s is unreadable (%s); keeping the last one", self.path, error)
            return False
        self._stamp = stamp
        changed = self.current is None or loaded.identity != self.current.identity
        self.current = loaded
        if changed:
            logger.info("CRL %s loaded: %d revoked", self.path, len(loaded.revoked))
        return changed
