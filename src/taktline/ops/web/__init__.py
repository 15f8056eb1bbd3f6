"""The operations dashboard: one page and its static assets, served by taktline itself.

:data:`router` serves ``/`` (the page) and ``/ui/<file>`` (its scripts, styles and
icons, shipped inside the package; no CDN, no build step). The page reads everything
else from the REST API under ``/api/v1`` with the token the user enters, and follows the
plant over the WebSocket stream (``/api/v1/stream``). See docs/dashboard.md.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import PurePosixPath

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import Response

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml",
         ".png": "image/png", ".ico": "image/x-icon"}
# the page is self-contained: scripts and styles only from this server
POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
          "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'")


def _asset(name: str) -> bytes | None:
    path = PurePosixPath(name)
    if path.is_absolute() or any(p in ("..", "") for p in path.parts):
        return None
    res = files(__package__).joinpath("static", *path.parts)
    return res.read_bytes() if res.is_file() else None


def _send(name: str, body: bytes) -> Response:
    kind = TYPES.get(PurePosixPath(name).suffix, "application/octet-stream")
    return Response(body, media_type=kind, headers={
        "Content-Security-Policy": POLICY, "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-cache"})


@router.get("/")
def index() -> Response:
    """The dashboard page."""
    body = _asset("index.html")
    assert body is not None, "the dashboard's index.html is missing from the package"
    return _send("index.html", body)


@router.get("/ui/{name:path}")
def asset(name: str) -> Response:
    """A static file of the dashboard (404 for anything else)."""
    if PurePosixPath(name).suffix not in TYPES:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such file")
    body = _asset(name)
    if body is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such file")
    return _send(name, body)
