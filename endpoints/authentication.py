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
from endpoints import client_certificates, rate_limits
from endpoints.keys import RUNTIME


class AgencySuspended(Forbidden):
    """A known agency, suspended: its refusal is its own, not a stranger's."""

    def __init__(self, organ_id: str) -> None:
        super().__init__(f"Agency {organ_id} is suspended.", code="agency.suspended")
        self.organ_id = organ_id


def _bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def authenticated_agency(request: web.Request) -> Agency:
    """The calling agency; 401 without valid credentials, 403 when suspended, 429 when over.

    Misses are looked up in the database but only a few recent ones are
    kept (``axis.runtime.AUTHENTICATION_MISSES``); a flood of made-up tokens
    is stopped before this by the source address's allowance.
    """
    token = _bearer_token(request)
    if token is None:
        raise Unauthenticated(
            "The request carries no 'Authorization: Bearer <secret>' header.", code="auth.missing"
        )
    agency = await request.app[RUNTIME].agencies_by_secret.get(token)
    if agency is None:
        raise Unauthenticated("The bearer secret does not belong to any agency.")
    if not agency.active:
        raise AgencySuspended(agency.organ_id)
    await client_certificates.bind(request, agency)
    rate_limits.identified(request)
    rate_limits.proved(token)
    await rate_limits.check_agency(request, agency.organ_id)
    return agency


def is_operator(request: web.Request) -> bool:
    """Whether the request carries the configured operator token."""
    expected = request.app[RUNTIME].settings.operator_token
    token = _bearer_token(request)
    operator = (
        expected is not None
        and token is not None
        and hmac.compare_digest(token.encode(), expected.encode())
    )
    if operator:
        rate_limits.identified(request)
    return operator


def require_operator(request: web.Request) -> None:
    """401 unless the request carries the configured operator token."""
    if request.app[RUNTIME].settings.operator_token is None:
        raise Unauthenticated(
            "No operator token is configured (AXIS_OPERATOR_TOKEN).", code="auth.operator_disabled"
        )
    if not is_operator(request):
        raise Unauthenticated("The operator token is missing or wrong.")
