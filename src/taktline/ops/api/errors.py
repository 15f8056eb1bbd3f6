"""The API's answers to the exception tree: one place maps errors to status codes.

========================= ==== =========================================================
InputError (catalogue)    422  ``detail``: one entry per problem, ``loc`` naming the field
NotFoundError             404
ConflictError             409
StoreError                503  the database is unavailable; retry later
========================= ==== =========================================================

Validation errors of request bodies and parameters keep FastAPI's 422 shape
(``{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}``), so every 422 names
the field and the rule the same way.
"""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from taktline.errors import ConflictError, InputError, NotFoundError, StoreError

__all__ = ["install_handlers", "loc_of"]

log = logging.getLogger("taktline.ops.api")
_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def loc_of(field: str | None, root: str = "body") -> list[str | int]:
    """``orders[3].colour`` -> ``["body", "orders", 3, "colour"]``."""
    out: list[str | int] = [root]
    for name, index in _PART.findall(field or ""):
        out.append(int(index) if index else name)
    return out


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(InputError)
    async def _input(_: Request, exc: InputError) -> JSONResponse:
        problems = exc.problems or [exc]
        return JSONResponse(status_code=422, content={"detail": [
            {"loc": loc_of(p.field), "msg": p.rule, "type": "catalogue"} for p in problems]})

    @app.exception_handler(NotFoundError)
    async def _missing(_: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": str(exc)})

    @app.exception_handler(ConflictError)
    async def _conflict(_: Request, exc: ConflictError) -> JSONResponse:
        return JSONResponse(status_code=409, content={"detail": str(exc)})

    @app.exception_handler(StoreError)
    async def _store(_: Request, exc: StoreError) -> JSONResponse:
        log.error("store error: %s", exc)
        return JSONResponse(status_code=503, content={"detail": "the database is "
                                                      "unavailable; retry later"},
                            headers={"Retry-After": "1"})
