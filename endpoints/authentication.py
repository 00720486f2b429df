"""Who is calling: an agency (bearer secret) or an operator (operator token).

A caller who cannot prove who it is gets an :class:`Unauthenticated`, a
suspended agency a :class:`Forbidden`: the refusals intake records when a
submission is turned away at the door; ``endpoints.problems`` answers them.
"""

from __future__ import annotations

import hmac

from aiohttp import web

from axis.intake.refusals import Forbidden, Unauthenticated
from axis.registry.agencies import Agency
from endpoints import client_certificates
from endpoints.keys import RUNTIME


def _bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def authenticated_agency(request: web.Request) -> Agency:
    """The calling agency; 401 without valid credentials, 403 when suspended."""
    token = _bearer_token(request)
    if token is None:
        raise Unauthenticated(
            "The request carries no 'Authorization: Bearer <secret>' header.", code="auth.missing"
        )
    agency = await request.app[RUNTIME].agencies_by_secret.get(token)
    if agency is None:
        raise Unauthenticated("The bearer secret does not belong to any agency.")
    if not agency.active:
        raise Forbidden(f"Agency {agency.organ_id} is suspended.", code="agency.suspended")
    await client_certificates.bind(request, agency)
    return agency


def is_operator(request: web.Request) -> bool:
    """Whether the request carries the configured operator token."""
    expected = request.app[RUNTIME].settings.operator_token
    token = _bearer_token(request)
    return (
        expected is not None
        and token is not None
        and hmac.compare_digest(token.encode(), expected.encode())
    )


def require_operator(request: web.Request) -> None:
    """401 unless the request carries the configured operator token."""
    if request.app[RUNTIME].settings.operator_token is None:
        raise Unauthenticated(
            "No operator token is configured (AXIS_OPERATOR_TOKEN).", code="auth.operator_disabled"
        )
    if not is_operator(request):
        raise Unauthenticated("The operator token is missing or wrong.")
