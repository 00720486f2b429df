"""The agency registry: who may send, who receives, and how.

An agency is known by its OrganId, holds a secret (for bearer and VXP HMAC
authentication, stored encrypted), zero or more signing certificates, and
either a push endpoint or none (it pulls from its inbox).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import asyncpg
from cryptography import x509
from cryptography.hazmat.primitives import serialization

import signing
from axis.audit import chain as audit
from axis.errors import AxisError
from axis.registry import trust as trust_admin
from axis.registry.secret_box import SecretBox
from axis.storage import cursors, sql
from axis.storage.database import Connection, Pool
from axis.vocabulary import AuditAction, DeliveryMode
from envelope import organ_id as organ_ids
from signing import SignatureError

logger = logging.getLogger(__name__)


class RegistryError(AxisError):
    """The registry refused the change."""


class AgencyExists(RegistryError):
    """An agency with this OrganId or system id is already registered."""

    code = "agency.exists"


class AgencyNotFound(RegistryError):
    """No agency is registered under this OrganId."""

    code = "agency.unknown"


class InvalidOrganId(RegistryError):
    """The OrganId is not 1 to 64 characters from A-Z, a-z, 0-9, '.', '_' and '-'."""

    code = "agency.invalid_organ_id"


class InvalidCertificate(RegistryError):
    """The certificate cannot be read as PEM."""

    code = "certificate.invalid"


class UntrustedCertificate(RegistryError):
    """The certificate does not chain to a configured trust anchor."""

    code = "certificate.untrusted"


class CertificateExists(RegistryError):
    """This certificate is already registered."""

    code = "certificate.exists"


class InvalidEndpoint(RegistryError):
    """The endpoint must be an absolute http:// or https:// URL."""

    code = "agency.invalid_endpoint"


class InvalidAgency(RegistryError):
    """The agency's details are not acceptable."""

    code = "agency.invalid"


class InvalidCursor(RegistryError):
    """The directory cursor is not one this axis handed out."""

    code = "query.invalid_cursor"


DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


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
    def delivery_mode(self) -> DeliveryMode:
        return DeliveryMode.PUSH if self.endpoint_url else DeliveryMode.PULL

    def as_json(self) -> dict[str, Any]:
        """What operators see of an agency (never its secret)."""
        return {
            "organ_id": self.organ_id,
            "name": self.name,
            "parent_id": self.parent_id,
            "system_id": self.system_id,
            "delivery_mode": self.delivery_mode,
            "endpoint_url": self.endpoint_url,
            "legacy_sha1": self.legacy_sha1,
            "active": self.active,
        }


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
    not_before: datetime
    not_after: datetime


@dataclass(frozen=True, slots=True)
class DirectoryPage:
    """One page of the directory, in OrganId order; ``next_cursor`` None on the last."""

    items: tuple[Agency, ...]
    next_cursor: str | None


def encode_cursor(organ_id: str) -> str:
    return cursors.encode(organ_id)


def decode_cursor(cursor: str) -> str:
    try:
        (organ_id,) = cursors.decode(cursor, str)
    except ValueError:
        raise InvalidCursor() from None
    if not organ_ids.is_acceptable(organ_id):
        raise InvalidCursor()
    return str(organ_id)


def _directory_query(*, searching: bool, under_parent: bool) -> str:
    """The directory's block for this filter (literal names, so each block is findable)."""
    if searching:
        if under_parent:
            return sql.query("registry_directory_search_parent")
        return sql.query("registry_directory_search")
    if under_parent:
        return sql.query("registry_directory_parent")
    return sql.query("registry_directory")


def prefix_end(prefix: str) -> str:
    """The smallest string (bytewise) after every string that starts with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def check_endpoint(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidEndpoint(f"The endpoint {url!r} is not an absolute http:// or https:// URL.")
    return url


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


def load_certificate(pem: bytes) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError as error:
        raise InvalidCertificate(f"The certificate cannot be read as PEM: {error}.") from None


class Registry:
    def __init__(self, pool: Pool, secret_box: SecretBox) -> None:
        self._pool = pool
        self._secret_box = secret_box

    @property
    def pool(self) -> Pool:
        return self._pool

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
        for code in (organ_id, parent_id, system_id):
            if code is not None and not organ_ids.is_acceptable(code):
                raise InvalidOrganId(
                    f"The code {code!r} is not acceptable: {InvalidOrganId.__doc__}"
                )
        if not name.strip():
            raise InvalidAgency("The agency needs a non-empty name.")
        if endpoint_url is not None:
            check_endpoint(endpoint_url)
        # Unknown parents are allowed: legacy data names parents never registered.
        parent = parent_id if parent_id is not None else organ_ids.parent_of(organ_id)
        loaded = [load_certificate(pem) for pem in certificates]
        issued = self._secret_box.issue()
        credentials = AgencyCredentials(organ_id, system_id or organ_id, issued.secret)
        async with self._pool.acquire() as connection, connection.transaction():
            try:
                await connection.execute(
                    sql.query("insert_agency"),
                    organ_id,
                    name,
                    parent,
                    credentials.system_id,
                    issued.ciphertext,
                    issued.lookup,
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
                    AuditAction.AGENCY_ADD,
                    organ_id,
                    {
                        "name": name,
                        "parent_id": parent,
                        "system_id": credentials.system_id,
                        "endpoint_url": endpoint_url,
                        "legacy_sha1": legacy_sha1,
                        "certificates": [signing.fingerprint(c) for c in loaded],
                    },
                ),
            )
        logger.info("agency registered", extra={"organ_id": organ_id, "actor": actor})
        return credentials

    async def _insert_certificate(
        self, connection: Connection, organ_id: str, certificate: x509.Certificate
    ) -> str:
        fingerprint = signing.fingerprint(certificate)
        pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
        # Refused now rather than at the first signed message: a certificate
        # that does not chain (or is expired, revoked, unfit to sign) would
        # only ever produce 422s.
        store = await trust_admin.load_store(connection)
        try:
            store.check(certificate)
        except SignatureError as error:
            raise UntrustedCertificate(
                f"The certificate {certificate.subject.rfc4514_string()!r} is not acceptable: "
                f"{error}; add its CA with 'axis trust add' first."
            ) from None
        inserted = await connection.fetchval(
            sql.query("insert_agency_certificate"),
            fingerprint,
            organ_id,
            pem,
            certificate.subject.rfc4514_string(),
            certificate.not_valid_before_utc,
            certificate.not_valid_after_utc,
        )
        if inserted is None:
            raise CertificateExists(
                f"The certificate {fingerprint[:16]}... is already registered to an agency."
            )
        await connection.execute(sql.query("bump_trust_generation"))
        return fingerprint

    async def add_certificate(self, organ_id: str, pem: bytes, *, actor: str = "operator") -> str:
        certificate = load_certificate(pem)
        async with self._pool.acquire() as connection, connection.transaction():
            if await connection.fetchrow(sql.query("registry_agency_exists"), organ_id) is None:
                raise AgencyNotFound(f"No agency is registered under OrganId {organ_id!r}.")
            fingerprint = await self._insert_certificate(connection, organ_id, certificate)
            await audit.append(
                connection,
                audit.AuditEntry(
                    actor, AuditAction.AGENCY_CERT_ADD, organ_id, {"fingerprint": fingerprint}
                ),
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
            action = AuditAction.AGENCY_RESUME if active else AuditAction.AGENCY_SUSPEND
            await audit.append(connection, audit.AuditEntry(actor, action, organ_id))

    async def directory(
        self,
        *,
        q: str = "",
        parent_id: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
        include_suspended: bool = False,
    ) -> DirectoryPage:
        """A page of agencies in OrganId order (keyset: one index range per page).

        ``q`` matches an OrganId prefix (as typed) or a name prefix (any case).
        """
        limit = max(1, min(limit, MAX_PAGE_SIZE))
        after = decode_cursor(cursor) if cursor else ""
        q = q.strip()
        arguments: list[object] = [after, include_suspended, limit + 1]
        if q:
            arguments += [q, prefix_end(q)]
        if parent_id is not None:
            arguments.append(parent_id)
        query = _directory_query(searching=bool(q), under_parent=parent_id is not None)
        if not q:
            rows = await self._pool.fetch(query, *arguments)
        else:
            # A search's best plan depends on how common its prefix is; from
            # the sixth run a prepared statement may switch to a generic plan
            # that scans all agencies in OrganId order (measured: ~250 ms
            # instead of ~0.1 ms at 120,000 agencies), so plan each search.
            async with self._pool.acquire() as connection, connection.transaction():
                await connection.execute(sql.query("registry_plan_each_query"))
                rows = await connection.fetch(query, *arguments)
        items = tuple(_agency(row) for row in rows[:limit])
        next_cursor = encode_cursor(items[-1].organ_id) if len(rows) > limit else None
        return DirectoryPage(items, next_cursor)

    async def certificates(self, organ_id: str) -> list[AgencyCertificate]:
        rows = await self._pool.fetch(sql.query("registry_agency_certificates"), organ_id)
        return [
            AgencyCertificate(
                row["fingerprint"],
                row["organ_id"],
                row["subject"],
                row["pem"],
                row["not_before"],
                row["not_after"],
            )
            for row in rows
        ]
