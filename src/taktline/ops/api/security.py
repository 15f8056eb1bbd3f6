"""Bearer tokens with roles: viewer < operator < admin.

A request carries ``Authorization: Bearer <token>``. No token or an unknown one is
**401** (with ``WWW-Authenticate: Bearer``); a known token whose role is too low is
**403**. Tokens are compared in constant time. The WebSocket stream also takes the
token as ``?token=`` (browsers cannot set headers on a WebSocket).
"""

from __future__ import annotations

import hmac

from fastapi import HTTPException, status

from taktline.ops.settings import Role

__all__ = ["Tokens", "forbidden", "unauthorized"]


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail,
                         headers={"WWW-Authenticate": "Bearer"})


def forbidden(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, detail)


class Tokens:
    """The configured tokens and the role each one grants."""

    def __init__(self, by_role: dict[Role, str]) -> None:
        self._pairs = [(token.encode(), role) for role, token in by_role.items()]

    def role_of(self, token: str | None) -> Role | None:
        if not token:
            return None
        given = token.encode()
        found = None
        for secret, role in self._pairs:  # no early exit: same time for every token
            if hmac.compare_digest(given, secret):
                found = role
        return found

    def check(self, token: str | None, need: Role) -> Role:
        """The token's role, or the 401 / 403 to answer."""
        if not token:
            raise unauthorized("missing bearer token")
        role = self.role_of(token)
        if role is None:
            raise unauthorized("invalid bearer token")
        if role.rank < need.rank:
            raise forbidden(f"needs the {need.value} role (this token is {role.value})")
        return role
