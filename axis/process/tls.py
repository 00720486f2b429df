"""HTTPS served by the axis itself: the server's TLS context, built once at start-up.

With ``AXIS_TLS_CERT`` and ``AXIS_TLS_KEY`` a node listens with TLS 1.2 or
later (the alternative, documented in ``docs/production.md``, is a reverse
proxy in front of plain HTTP on loopback). ``AXIS_TLS_CLIENT_CERTIFICATES``
asks callers for a certificate chaining to ``AXIS_TLS_CLIENT_CA``. The
handshake never refuses a caller for having none: load balancers' health
probes, the supervisor's readiness probe and people's browsers on the pages
carry no client certificate. What ``required`` means is decided per request
where an agency authenticates (``endpoints.client_certificates``, the VXP
service): an agency's system must present one, and it must be one registered
for that agency; a certificate that chains to a trusted CA is not yet a
certificate of the agency the bearer secret names.
"""

from __future__ import annotations

import ssl

from axis.errors import ConfigurationError
from axis.settings import Settings


def server_context(settings: Settings) -> ssl.SSLContext | None:
    """The listening socket's TLS context; None when the node serves plain HTTP."""
    if settings.tls_cert is None or settings.tls_key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(settings.tls_cert, settings.tls_key)
    except (OSError, ssl.SSLError) as error:
        raise ConfigurationError(
            f"Settings AXIS_TLS_CERT ({settings.tls_cert}) and AXIS_TLS_KEY "
            f"({settings.tls_key}) must be a readable PEM certificate chain and its key: {error}."
        ) from None
    if settings.tls_client_certificates != "off":
        assert settings.tls_client_ca is not None  # Settings refuses the mode without it
        try:
            context.load_verify_locations(cafile=settings.tls_client_ca)
        except (OSError, ssl.SSLError) as error:
            raise ConfigurationError(
                f"Setting AXIS_TLS_CLIENT_CA ({settings.tls_client_ca}) must be a readable "
                f"PEM bundle of CA certificates: {error}."
            ) from None
        context.verify_mode = ssl.CERT_OPTIONAL
    return context


def probe_context(settings: Settings) -> ssl.SSLContext | None:
    """For a supervisor asking its own children ``/readyz`` on loopback: no name check.

    The supervisor connects to 127.0.0.1, which the certificate need not name;
    it reads one status line and sends nothing secret.
    """
    if not settings.serves_https:
        return None
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context
