"""The pages for people: clerks of an agency and operators of the axis.

Plain server-rendered HTML (aiohttp-jinja2), Vietnamese labels, a little
JavaScript (a static file, no inline script: see ``security_headers``) for
live status updates; no front-end build step.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from endpoints.ui import clerk, operator, sign_in, stats_pages
from endpoints.ui.security_headers import add_security_headers

_HERE = Path(__file__).parent


def _date(value: object, pattern: str = "%d/%m/%Y %H:%M") -> str:
    from datetime import datetime  # noqa: PLC0415

    return value.strftime(pattern) if isinstance(value, datetime) else ""


def add_routes(app: web.Application) -> None:
    environment = aiohttp_jinja2.setup(
        app, loader=jinja2.FileSystemLoader(_HERE / "templates"), autoescape=True
    )
    environment.filters["vn_date"] = _date
    app.on_response_prepare.append(add_security_headers)
    app.router.add_static("/ui/static", _HERE / "static")
    sign_in.add_routes(app)
    clerk.add_routes(app)
    operator.add_routes(app)
    stats_pages.add_routes(app)
