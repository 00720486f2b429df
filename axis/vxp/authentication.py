"""Who is calling: the HMAC of the raw ``XroadVnpt-sign-header`` bytes.

The SDK signs a JSON object of its header map in Java ``HashMap`` order, so
the signed string is never rebuilt: the HMAC covers the received bytes, the
system id comes from inside them, and only the signed JSON supplies
parameters (keys without the ``XroadVnpt-`` prefix, lower-cased). The
timestamp is fixed when the SDK's service object is built, so it is not
checked for freshness.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from axis.boundary import HEADER, SYSTEM_ID, Field, InputRefused, read_json
from axis.expiring_cache import ExpiringCache
from axis.registry.agencies import Agency, AgencyNotFound, Registry

logger = logging.getLogger(__name__)

SIGN_HEADER = b"xroadvnpt-sign-header"
HASH_HEADER = b"xroadvnpt-hash-header"
_PREFIX = "xroadvnpt-"
# Long enough to spare a registry round trip per call, short enough that a
# suspended agency or a new secret takes effect within seconds.
CACHE_SECONDS = 10.0
# The signed header is one flat JSON object of strings (and the odd list).
MAX_SIGN_HEADER_DEPTH = 4


class VxpAuthenticationError(Exception):
    """The request is not signed by a known, active system."""


@dataclass(frozen=True, slots=True)
class Caller:
    agency: Agency
    parameters: Mapping[str, str]

    @property
    def actor(self) -> str:
        return f"vxp:{self.agency.system_id}"

    def parameter(self, name: str, default: str = "", field: Field = HEADER) -> str:
        """The signed parameter ``name`` by ``field``'s rules (:class:`InputRefused` if not)."""
        return field.named(name).check(self.parameters.get(name.lower(), default))


def raw_header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def signed_parameters(sign_header: bytes) -> dict[str, str]:
    """The signed JSON as parameters: prefix stripped, keys lower-cased."""
    try:
        text = sign_header.decode("utf-8")
    except UnicodeDecodeError:
        raise VxpAuthenticationError(
            "The XroadVnpt-sign-header is not UTF-8: SDK calls to an http endpoint with an "
            "explicit port truncate non-ASCII header values; keep header values ASCII."
        ) from None
    try:
        document = read_json(
            text,
            HEADER.named("XroadVnpt-sign-header"),
            max_bytes=HEADER.max_length,
            max_depth=MAX_SIGN_HEADER_DEPTH,
            check_strings=False,
        )
    except InputRefused as refused:
        if refused.rule == "not_json":
            raise VxpAuthenticationError("The XroadVnpt-sign-header is not JSON.") from None
        raise VxpAuthenticationError(str(refused)) from None
    if not isinstance(document, dict):
        raise VxpAuthenticationError("The XroadVnpt-sign-header is not a JSON object.")
    parameters: dict[str, str] = {}
    for key, value in document.items():
        name = str(key).lower()
        if name.startswith(_PREFIX):
            name = name[len(_PREFIX) :]
        parameters[name] = value if isinstance(value, str) else json.dumps(value)
    return parameters


def hmac_hex(secret: str, sign_header: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), sign_header, hashlib.sha256).hexdigest()


class Authenticator:
    def __init__(self, registry: Registry, cache_seconds: float = CACHE_SECONDS) -> None:
        self._registry = registry
        self._credentials = ExpiringCache(self._load_credentials, ttl=cache_seconds)

    async def _load_credentials(self, system_id: str) -> tuple[Agency, str] | None:
        agency = await self._registry.by_system_id(system_id)
        if agency is None:
            return None
        try:
            secret = await self._registry.secret_of(agency.organ_id)
        except AgencyNotFound:
            return None
        return agency, secret

    async def authenticate(self, headers: Iterable[tuple[bytes, bytes]]) -> Caller:
        headers = list(headers)
        sign_header = raw_header(headers, SIGN_HEADER)
        hash_header = raw_header(headers, HASH_HEADER)
        if not sign_header or not hash_header:
            raise VxpAuthenticationError(
                "The request carries no XroadVnpt-sign-header and XroadVnpt-hash-header."
            )
        parameters = signed_parameters(sign_header)
        system_id = parameters.get("systemid", "")
        if not system_id:
            raise VxpAuthenticationError("The signed header names no XroadVnpt-systemid.")
        try:
            SYSTEM_ID.named("XroadVnpt-systemid").check(system_id)
        except InputRefused as refused:
            raise VxpAuthenticationError(str(refused)) from None
        credentials = await self._credentials.get(system_id)
        if credentials is None:
            raise VxpAuthenticationError(f"No agency is registered with system id {system_id!r}.")
        agency, secret = credentials
        expected = hmac_hex(secret, sign_header).encode("ascii")
        if not hmac.compare_digest(expected, hash_header.strip().lower()):
            if any(byte >= 0x80 for byte in sign_header):
                raise VxpAuthenticationError(
                    "The XroadVnpt-hash-header does not match; the signed header holds "
                    "non-ASCII bytes, which some SDK setups truncate: keep header values ASCII."
                )
            raise VxpAuthenticationError("The XroadVnpt-hash-header does not match.")
        if not agency.active:
            raise VxpAuthenticationError(f"Agency {agency.organ_id} is suspended.")
        return Caller(agency, parameters)
