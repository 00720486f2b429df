"""Who is calling: an agency (bearer secret) or an operator (operator token)."""

from __future__ import annotations

import hmac

from aiohttp import web

from axis.registry.agencies import Agency
from endpoints.keys import RUNTIME
from endpoints.problems import Problem


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
        raise Problem(
            401, "auth.missing", "The request carries no 'Authorization: Bearer <secret>' header."
        )
    agency = await request.app[RUNTIME].agencies_by_secret.get(token)
    if agency is None:
        raise Problem(401, "auth.invalid", "The bearer secret does not belong to any agency.")
    if not agency.active:
        raise Problem(403, "agency.suspended", f"Agency {agency.organ_id} is suspended.")
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
        raise Problem(
            401, "auth.operator_disabled", "No operator token is configured (AXIS_OPERATOR_TOKEN)."
        )
    if not is_operator(request):
        raise Problem(401, "auth.invalid", "The operator token is missing or wrong.")
