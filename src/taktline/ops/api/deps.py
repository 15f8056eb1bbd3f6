"""Dependencies of the routes: the service, the store, the caller's role.

``Viewer``, ``Operator`` and ``Admin`` are annotated types a route takes as a parameter
to require that role; they give the caller's role (for the audit log).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, APIWebSocketRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import HTTPConnection

from taktline.ops.service import Mes
from taktline.ops.settings import Role
from taktline.ops.store.db import Store

__all__ = ["Admin", "MesDep", "Operator", "StoreDep", "Viewer", "known_query"]

bearer = HTTPBearer(auto_error=False, description="a viewer, operator or admin token")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def get_mes(request: Request) -> Mes:
    mes: Mes = request.app.state.mes
    return mes


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


MesDep = Annotated[Mes, Depends(get_mes)]
StoreDep = Annotated[Store, Depends(get_store)]


def _role(need: Role) -> Callable[[Request, HTTPAuthorizationCredentials | None], Role]:
    def check(request: Request, creds: Credentials) -> Role:
        token = creds.credentials if creds is not None else None
        role: Role = request.app.state.tokens.check(token, need)
        return role

    return check


def known_query(conn: HTTPConnection) -> None:
    """Refuse query parameters the route does not take, or one given twice (422 naming
    them): a misspelt filter must not silently list everything."""
    route = conn.scope.get("route")
    if not isinstance(route, APIRoute | APIWebSocketRoute):
        return
    known = _query_names(route.dependant)
    params = conn.query_params
    problems = [{"loc": ("query", name), "msg": "unknown query parameter (this route takes "
                 f"{sorted(known) or 'none'})", "type": "extra_forbidden"}
                for name in sorted(set(params) - known)]
    problems += [{"loc": ("query", name), "msg": "given more than once",
                  "type": "repeated"} for name in sorted(set(params) & known)
                 if len(params.getlist(name)) > 1]
    if problems:
        raise RequestValidationError(problems)


def _query_names(dep: Dependant) -> set[str]:
    names = {p.alias for p in dep.query_params}
    for sub in dep.dependencies:
        names |= _query_names(sub)
    return names


Viewer = Annotated[Role, Depends(_role(Role.VIEWER))]
Operator = Annotated[Role, Depends(_role(Role.OPERATOR))]
Admin = Annotated[Role, Depends(_role(Role.ADMIN))]
