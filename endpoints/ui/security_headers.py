"""Headers that keep the pages from being framed, sniffed or fed foreign script.

Added to every answer as it is prepared (errors included, whichever
middleware or handler made them). The pages carry no inline script or style
(the document page's live updates are ``/ui/static/document.js``), so the
policy allows only the axis's own files: an injected ``<script>`` would not
run, and no other site can put the operators' retry and discard buttons in
a frame to trick a click.
"""

from __future__ import annotations

from aiohttp import web

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
EVERYWHERE = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in EVERYWHERE.items():
        response.headers.setdefault(name, value)
    if request.path == "/ui" or request.path.startswith("/ui/"):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
