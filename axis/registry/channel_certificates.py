"""Which agency a TLS client certificate may speak for (mTLS bound to the registry).

A client certificate that chains to a CA the node trusts (``AXIS_TLS_CLIENT_CA``,
checked in the handshake) proves only that someone holds a certificate; the
bearer secret or the VXP HMAC says which agency is calling. The two must agree:
the certificate must be one registered for that agency (``axis agency
cert-add``), the same list its XML signatures are checked against.
"""

from __future__ import annotations

from cryptography import x509

import signing
from axis.registry.agencies import Registry
from axis.registry.agency_cache import AgencyCache


class ChannelCertificates:
    def __init__(self, registry: Registry, *, ttl: float = 2.0) -> None:
        self._agencies = AgencyCache(registry, ttl=ttl)

    async def speaks_for(self, der: bytes, organ_id: str) -> bool:
        """Whether the client certificate ``der`` is registered for ``organ_id``."""
        try:
            certificate = x509.load_der_x509_certificate(der)
        except ValueError:
            return False
        return signing.fingerprint(certificate) in await self._agencies.fingerprints(organ_id)
