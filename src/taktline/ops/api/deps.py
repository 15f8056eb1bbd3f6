"""Dependencies of the routes: the service, the store, the caller's role.

``Viewer``, ``Operator`` and ``Admin`` are annotated types a route takes as a parameter
to require that role; they give the caller's role (for the audit log).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from taktline.ops.service import Mes
from taktline.ops.settings import Role
from taktline.ops.store.db import Store

__all__ = ["Admin", "MesDep", "Operator", "StoreDep", "Viewer"]

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


Viewer = Annotated[Role, Depends(_role(Role.VIEWER))]
Operator = Annotated[Role, Depends(_role(Role.OPERATOR))]
Admin = Annotated[Role, Depends(_role(Role.ADMIN))]
