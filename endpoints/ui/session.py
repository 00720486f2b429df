"""The signed-in person of a page request, and the CSRF check of its forms."""

from __future__ import annotations

from aiohttp import web

from axis.accounts import sessions
from axis.accounts.sessions import Session
from endpoints import rate_limits
from endpoints.keys import RUNTIME

SESSION_COOKIE = "axis_session"
LOGIN_CSRF_COOKIE = "axis_login_csrf"


def is_https(request: web.Request) -> bool:
    # Behind a TLS-terminating proxy the request arrives as http.
    return request.secure or request.headers.get("X-Forwarded-Proto", "") == "https"


def set_cookie(response: web.StreamResponse, request: web.Request, name: str, value: str) -> None:
    response.set_cookie(
        name, value, httponly=True, samesite="Lax", secure=is_https(request), path="/ui"
    )


async def current(request: web.Request) -> Session | None:
    session = await sessions.load_session(
        request.app[RUNTIME].pool, request.cookies.get(SESSION_COOKIE)
    )
    if session is not None:
        rate_limits.identified(request)
    return session


async def require(request: web.Request, role: str) -> Session:
    """The session of a person with ``role``; otherwise back to the sign-in page."""
    session = await current(request)
    if session is None:
        raise web.HTTPSeeOther("/ui/")
    if session.user.role != role:
        raise web.HTTPForbidden(text="Bạn không có quyền xem trang này.")
    return session


async def require_form(request: web.Request, role: str) -> tuple[Session, dict[str, str]]:
    """A POSTed form from ``role``, refused (403) unless its CSRF token matches."""
    session = await require(request, role)
    form = {key: str(value) for key, value in (await request.post()).items()}
    if not session.csrf_matches(form.get("csrf")):
        raise web.HTTPForbidden(text="Phiên làm việc không hợp lệ (CSRF); vui lòng tải lại trang.")
    return session, form
