"""mTLS on the native API: a presented client certificate must be the calling agency's.

Only when the node asks for client certificates (``AXIS_TLS_CLIENT_CERTIFICATES``
``optional`` or ``required``); the handshake has already checked the chain,
``axis.registry.channel_certificates`` decides whether it speaks for the agency.
"""

from __future__ import annotations

import ssl

from aiohttp import web

from axis.intake.refusals import Forbidden, Unauthenticated
from axis.registry.agencies import Agency
from axis.registry.channel_certificates import ChannelCertificates
from endpoints.keys import RUNTIME

CHANNEL_CERTIFICATES = web.AppKey("channel_certificates", ChannelCertificates)


def client_certificate(request: web.BaseRequest) -> bytes | None:
    """The DER of the certificate the caller presented in the TLS handshake, if any."""
    transport = request.transport
    ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
    if not isinstance(ssl_object, ssl.SSLObject):
        return None
    return ssl_object.getpeercert(binary_form=True)


async def bind(request: web.Request, agency: Agency) -> None:
    """403 when the caller presented a certificate that is not one of ``agency``'s;
    401 when the node requires one and none was presented."""
    mode = request.app[RUNTIME].settings.tls_client_certificates
    if mode == "off":
        return
    der = client_certificate(request)
    if der is None:
        if mode == "required":
            raise Unauthenticated(
                "This axis requires agencies' systems to present their registered certificate "
                "as a TLS client certificate.",
                code="auth.client_certificate_required",
            )
        return  # "optional": no certificate, the bearer secret alone
    if not await request.app[CHANNEL_CERTIFICATES].speaks_for(der, agency.organ_id):
        raise Forbidden(
            f"The TLS client certificate is not one registered for {agency.organ_id}.",
            code="auth.client_certificate_mismatch",
        )


def install(app: web.Application) -> None:
    app[CHANNEL_CERTIFICATES] = ChannelCertificates(app[RUNTIME].registry)
