"""Typed keys for what the application object carries."""

from __future__ import annotations

from aiohttp import web

from axis.runtime import Runtime

RUNTIME = web.AppKey("runtime", Runtime)
