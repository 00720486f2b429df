"""Sign-in (with lock-out) and sign-out."""

from __future__ import annotations

import hmac
import secrets

import aiohttp_jinja2
from aiohttp import web

from axis.accounts import sessions, users
from endpoints.keys import RUNTIME
from endpoints.ui import session as ui_session


def _home(user: users.User) -> str:
    return "/ui/ops" if user.is_operator else "/ui/sent"


async def _form(request: web.Request, error: str | None, status: int = 200) -> web.Response:
    # Before a session exists the form is protected by a double-submit token.
    token = secrets.token_urlsafe(24)
    response: web.Response = aiohttp_jinja2.render_template(
        "sign_in.html", request, {"csrf": token, "error": error, "user": None}, status=status
    )
    ui_session.set_cookie(response, request, ui_session.LOGIN_CSRF_COOKIE, token)
    return response


async def show(request: web.Request) -> web.Response:
    current = await ui_session.current(request)
    if current is not None:
        raise web.HTTPSeeOther(_home(current.user))
    return await _form(request, None)


async def submit(request: web.Request) -> web.Response:
    form = await request.post()
    presented = str(form.get("csrf", ""))
    expected = request.cookies.get(ui_session.LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(presented.encode(), expected.encode()):
        return await _form(request, "Phiên đăng nhập đã hết hạn; vui lòng thử lại.", 403)
    pool = request.app[RUNTIME].pool
    try:
        user = await users.authenticate(
            pool, str(form.get("username", "")).strip(), str(form.get("password", "")),
            source=request.remote or "",
        )  # fmt: skip
    except users.SignInRefused as refusal:
        return await _form(request, refusal.message, 401)
    token, _ = await sessions.open_session(pool, user)
    response = web.HTTPSeeOther(_home(user))
    ui_session.set_cookie(response, request, ui_session.SESSION_COOKIE, token)
    response.del_cookie(ui_session.LOGIN_CSRF_COOKIE, path="/ui")
    raise response


async def sign_out(request: web.Request) -> web.Response:
    current = await ui_session.current(request)
    if current is not None:
        form = await request.post()
        if not current.csrf_matches(str(form.get("csrf", ""))):
            raise web.HTTPForbidden(text="Phiên làm việc không hợp lệ (CSRF).")
        await sessions.close_session(
            request.app[RUNTIME].pool, request.cookies[ui_session.SESSION_COOKIE],
            current.user.username,
        )  # fmt: skip
    response = web.HTTPSeeOther("/ui/")
    response.del_cookie(ui_session.SESSION_COOKIE, path="/ui")
    raise response


async def _to_slash(request: web.Request) -> web.Response:
    raise web.HTTPFound("/ui/")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/ui", _to_slash)
    app.router.add_get("/ui/", show)
    app.router.add_post("/ui/sign-in", submit)
    app.router.add_post("/ui/sign-out", sign_out)
