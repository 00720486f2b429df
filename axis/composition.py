"""The composition root: the one place where the broker meets its HTTP surfaces."""

from __future__ import annotations

from aiohttp import web

from axis.runtime import Runtime
from endpoints.application import build_application


def create_web_application(runtime: Runtime) -> web.Application:
    return build_application(runtime)
