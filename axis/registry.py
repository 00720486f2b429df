"""The agency registry: who may send, who receives, and how.

An agency is known by its OrganId, holds a secret (for bearer and VXP HMAC
authentication, stored encrypted), zero or more signing certificates, and
either a push endpoint or none (it pulls from its inbox).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import asyncpg
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from axis import audit, sql
from axis.database import Connection, Pool
from axis.errors import AxisError
from axis.secret_box import SecretBox, new_agency_secret
from envelope import organ_id as organ_ids

logger = logging.getLogger(__name__)


class RegistryError(AxisError):
    """The registry refused the change."""


class AgencyExists(RegistryError):
    """An agency with this OrganId or system id is already registered."""


class AgencyNotFound(RegistryError):
    """No agency is registered under this OrganId."""


class InvalidOrganId(RegistryError):
    """The OrganId is not 1 to 64 characters from A-Z, a-z, 0-9, '.', '_' and '-'."""


class InvalidCertificate(RegistryError):
    """The certificate cannot be read as PEM."""


@dataclass(frozen=True, slots=True)
class Agency:
    organ_id: str
    name: str
    parent_id: str | None
    system_id: str
    endpoint_url: str | None
    legacy_sha1: bool
    active: bool
    email: str = ""

    @property
    def delivery_mode(self) -> Literal["push", "pull"]:
        return "push" if self.endpoint_url else "pull"


@dataclass(frozen=True, slots=True)
class AgencyCredentials:
    """Shown once, when the agency is registered; the axis keeps the secret encrypted."""

    organ_id: str
    system_id: str
    secret: str


@dataclass(frozen=True, slots=True)
class AgencyCertificate:
    fingerprint: str
    organ_id: str
    subject: str
    pem: str


def _agency(row: asyncpg.Record) -> Agency:
    return Agency(
        organ_id=row["organ_id"],
        name=row["name"],
        parent_id=row["parent_id"],
        system_id=row["system_id"],
        endpoint_url=row["endpoint_url"],
        legacy_sha1=row["legacy_sha1"],
        active=row["active"],
        email=row["email"],
    )


def certificate_fingerprint(certificate: x509.Certificate) -> str:
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def load_certificate(pem: bytes) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError as error:
        raise InvalidCertificate(f"The certificate cannot be read as PEM: {error}.") from None


class Registry:
    def __init__(self, pool: Pool, secret_box: SecretBox) -> None:
        self._pool = pool
        self._secret_box = secret_box

    async def add(
        self,
        organ_id: str,
        name: str,
        *,
        parent_id: str | None = None,
        endpoint_url: str | None = None,
        legacy_sha1: bool = False,
        system_id: str | None = None,
        email: str = "",
        actor: str = "operator",
        certificates: Iterable[bytes] = (),
    ) -> AgencyCredentials:
        if not organ_ids.is_acceptable(organ_id):
            raise InvalidOrganId(
                f"The OrganId {organ_id!r} is not acceptable: {InvalidOrganId.__doc__}"
            )
        parent = parent_id if parent_id is not None else organ_ids.parent_of(organ_id)
        loaded = [load_certificate(pem) for pem in certificates]
        secret = new_agency_secret()
        credentials = AgencyCredentials(organ_id, system_id or organ_id, secret)
        async with self._pool.acquire() as connection, connection.transaction():
            try:
                await connection.execute(
                    sql.query("insert_agency"),
                    organ_id,
                    name,
                    parent,
                    credentials.system_id,
                    self._secret_box.encrypt(secret),
                    self._secret_box.lookup_digest(secret),
                    endpoint_url,
                    legacy_sha1,
                    email,
                    actor,
                )
            except asyncpg.UniqueViolationError:
                raise AgencyExists(
                    f"An agency with OrganId {organ_id!r} or system id "
                    f"{credentials.system_id!r} is already registered."
                ) from None
            for certificate in loaded:
                await self._insert_certificate(connection, organ_id, certificate)
            await audit.append(
                connection,
                audit.AuditEntry(
                    actor,
                    "agency.add",
                    organ_id,
                    {
                        "name": name,
                        "parent_id": parent,
                        "system_id": credentials.system_id,
                        "endpoint_url": endpoint_url,
                        "legacy_sha1": legacy_sha1,
                        "certificates": [certificate_fingerprint(c) for c in loaded],
                    },
                ),
            )
        logger.info("agency registered", extra={"organ_id": organ_id, "actor": actor})
        return credentials

    async def _insert_certificate(
        self, connection: Connection, organ_id: str, certificate: x509.Certificate
    ) -> str:
        fingerprint = certificate_fingerprint(certificate)
        pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
        await connection.execute(
            sql.query("insert_agency_certificate"),
            fingerprint,
            organ_id,
            pem,
            certificate.subject.rfc4514_string(),
            certificate.not_valid_before_utc,
            certificate.not_valid_after_utc,
        )
        await connection.execute(sql.query("bump_trust_generation"))
        return fingerprint

    async def add_certificate(self, organ_id: str, pem: bytes, *, actor: str = "operator") -> str:
        certificate = load_certificate(pem)
        async with self._pool.acquire() as connection, connection.transaction():
            if await connection.fetchrow(sql.query("get_agency"), organ_id) is None:
                raise AgencyNotFound(f"No agency is registered under OrganId {organ_id!r}.")
            fingerprint = await self._insert_certificate(connection, organ_id, certificate)
            await audit.append(
                connection,
                audit.AuditEntry(actor, "agency.cert_add", organ_id, {"fingerprint": fingerprint}),
            )
        return fingerprint

    async def get(self, organ_id: str) -> Agency | None:
        row = await self._pool.fetchrow(sql.query("get_agency"), organ_id)
        return None if row is None else _agency(row)

    async def require(self, organ_id: str) -> Agency:
        agency = await self.get(organ_id)
        if agency is None:
            raise AgencyNotFound(f"No agency is registered under OrganId {organ_id!r}.")
        return agency

    async def get_many(self, organ_ids_wanted: Iterable[str]) -> dict[str, Agency]:
        rows = await self._pool.fetch(sql.query("get_agencies"), list(organ_ids_wanted))
        return {row["organ_id"]: _agency(row) for row in rows}

    async def by_bearer_secret(self, secret: str) -> Agency | None:
        """The active-or-not agency whose secret this is, or None."""
        row = await self._pool.fetchrow(
            sql.query("get_agency_by_secret_lookup"), self._secret_box.lookup_digest(secret)
        )
        return None if row is None else _agency(row)

    async def by_system_id(self, system_id: str) -> Agency | None:
        row = await self._pool.fetchrow(sql.query("get_agency_by_system_id"), system_id)
        return None if row is None else _agency(row)

    async def secret_of(self, organ_id: str) -> str:
        ciphertext = await self._pool.fetchval(sql.query("get_agency_secret"), organ_id)
        if ciphertext is None:
            raise AgencyNotFound(f"No agency is registered under OrganId {organ_id!r}.")
        return self._secret_box.decrypt(bytes(ciphertext))

    async def certificate_fingerprints(self, organ_id: str) -> frozenset[str]:
        rows = await self._pool.fetch(sql.query("get_agency_certificate_fingerprints"), organ_id)
        return frozenset(row["fingerprint"] for row in rows)

    async def set_active(self, organ_id: str, active: bool, *, actor: str = "operator") -> None:
        async with self._pool.acquire() as connection, connection.transaction():
            updated = await connection.fetchval(sql.query("set_agency_active"), organ_id, active)
            if updated is None:
                raise AgencyNotFound(f"No agency is registered under OrganId {organ_id!r}.")
            action = "agency.resume" if active else "agency.suspend"
            await audit.append(connection, audit.AuditEntry(actor, action, organ_id))
