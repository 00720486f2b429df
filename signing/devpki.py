"""A development PKI kept in a folder: FOR DEMOS AND TESTS ONLY.

``axis pki`` and the broker's demo mode use it to make a CA, agency keys and
certificates, and a CRL that ``revoke`` rewrites. Keys are written
unencrypted; never put production keys in such a folder, and never configure
its CA as a trust anchor of a production axis (its subject says so).

Layout::

    D/ca.pem  D/ca.key.pem  D/crl.pem  D/index.json
    D/agencies/<OrganId>.pem  D/agencies/<OrganId>.key.pem
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from signing.credentials import (
    CertificateAuthority,
    IssuedCredential,
    KeyAlgorithm,
)
from signing.identity import is_organ_id
from signing.keys import SigningKey, as_signing_key

logger = logging.getLogger(__name__)


class PkiError(ValueError):
    """The development PKI folder cannot be used as asked."""


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    # Write then rename, so a reader (a CRL watcher) never sees half a file.
    temporary = path.with_name(path.name + ".tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    descriptor = os.open(temporary, flags, 0o600 if private else 0o644)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def _key_pem(key: SigningKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _cert_pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


class DevelopmentPki:
    """A CA in a folder that issues and revokes agency credentials. Demos and tests only."""

    def __init__(self, directory: Path, authority: CertificateAuthority) -> None:
        self.directory = directory
        self.authority = authority

    # ----- opening -----------------------------------------------------------

    @classmethod
    def init(cls, directory: str | os.PathLike[str]) -> DevelopmentPki:
        """Creates a new development CA in ``directory`` (refused if one is there)."""
        folder = Path(directory)
        if (folder / "ca.pem").exists():
            raise PkiError(f"{folder} already holds a development CA")
        (folder / "agencies").mkdir(parents=True, exist_ok=True)
        authority = CertificateAuthority.create()
        _write(folder / "ca.key.pem", _key_pem(authority.private_key), private=True)
        _write(folder / "ca.pem", _cert_pem(authority.certificate))
        pki = cls(folder, authority)
        pki._save_index({"agencies": {}, "revoked": {}})
        pki._write_crl()
        logger.info("development CA created in %s (demos and tests only)", folder)
        return pki

    @classmethod
    def open(cls, directory: str | os.PathLike[str]) -> DevelopmentPki:
        folder = Path(directory)
        try:
            key = serialization.load_pem_private_key(
                (folder / "ca.key.pem").read_bytes(), password=None
            )
            certificate = x509.load_pem_x509_certificate((folder / "ca.pem").read_bytes())
        except FileNotFoundError as error:
            raise PkiError(f"{folder} holds no development CA; run `axis pki init`") from error
        return cls(folder, CertificateAuthority(as_signing_key(key), certificate))

    @classmethod
    def open_or_init(cls, directory: str | os.PathLike[str]) -> DevelopmentPki:
        if (Path(directory) / "ca.pem").exists():
            return cls.open(directory)
        return cls.init(directory)

    # ----- paths -------------------------------------------------------------

    @property
    def ca_certificate(self) -> x509.Certificate:
        return self.authority.certificate

    @property
    def ca_path(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def crl_path(self) -> Path:
        return self.directory / "crl.pem"

    def _paths(self, organ_id: str) -> tuple[Path, Path]:
        if not is_organ_id(organ_id):
            raise PkiError(f"{organ_id!r} is not an OrganId (1 to 64 of A-Z a-z 0-9 . _ -)")
        folder = self.directory / "agencies"
        return folder / f"{organ_id}.key.pem", folder / f"{organ_id}.pem"

    # ----- index -------------------------------------------------------------

    def _load_index(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads((self.directory / "index.json").read_text("utf-8"))
        return loaded

    def _save_index(self, index: dict[str, Any]) -> None:
        text = json.dumps(index, indent=2, sort_keys=True) + "\n"
        _write(self.directory / "index.json", text.encode("utf-8"))

    def _write_crl(self) -> None:
        revoked = {
            int(serial, 16): datetime.fromisoformat(when)
            for serial, when in self._load_index()["revoked"].items()
        }
        crl = self.authority.crl(revoked)
        _write(self.crl_path, crl.public_bytes(serialization.Encoding.PEM))

    # ----- issuing and revoking ---------------------------------------------

    def issue(
        self,
        organ_id: str,
        *,
        algorithm: KeyAlgorithm = "rsa",
        name: str | None = None,
        days: int = 365,
        key: SigningKey | None = None,
    ) -> IssuedCredential:
        """Issues (or re-issues) the credential of ``organ_id`` and writes it."""
        key_path, cert_path = self._paths(organ_id)
        issued = self.authority.issue(organ_id, key=key, algorithm=algorithm, name=name, days=days)
        _write(key_path, _key_pem(issued.private_key), private=True)
        _write(cert_path, _cert_pem(issued.certificate))
        index = self._load_index()
        index["agencies"][organ_id] = {"serial": f"{issued.certificate.serial_number:x}"}
        self._save_index(index)
        return IssuedCredential(
            organ_id, issued.private_key, issued.certificate, key_path, cert_path
        )

    def credential(self, organ_id: str) -> IssuedCredential:
        """The credential issued earlier to ``organ_id``."""
        key_path, cert_path = self._paths(organ_id)
        try:
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
        except FileNotFoundError as error:
            raise PkiError(f"no credential was issued to {organ_id}") from error
        return IssuedCredential(organ_id, as_signing_key(key), certificate, key_path, cert_path)

    def revoke(self, organ_id: str, *, at: datetime | None = None) -> int:
        """Revokes the current certificate of ``organ_id``; returns its serial number."""
        self._paths(organ_id)
        index = self._load_index()
        entry = index["agencies"].get(organ_id)
        if entry is None:
            raise PkiError(f"no credential was issued to {organ_id}")
        when = (at or datetime.now(UTC)).astimezone(UTC)
        index["revoked"].setdefault(entry["serial"], when.isoformat())
        self._save_index(index)
        self._write_crl()
        logger.info("development PKI: revoked %s (serial %s)", organ_id, entry["serial"])
        return int(entry["serial"], 16)

    def crl(self) -> x509.CertificateRevocationList:
        return x509.load_pem_x509_crl(self.crl_path.read_bytes())
