"""Typed settings of the operations service (pydantic-settings).

Every setting can come from the environment (``TAKTLINE_`` prefix, ``__`` between
levels: ``TAKTLINE_POLICIES__WIP_CAP=150``, ``TAKTLINE_TOKENS__ADMIN=...``) or be passed
in code; the ``taktline serve`` options override both. Nothing is read at import time:
``Settings()`` reads the environment when it is built, and :func:`create_app` takes the
object. ``docs/operate.md`` lists every setting.
"""

from __future__ import annotations

import ipaddress
import secrets
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from taktline.errors import FleetError, SettingsError
from taktline.ops.fleet.transport import parse_mqtt_url
from taktline.ops.opcua import OpcUaSettings, OpcUaUser
from taktline.ops.twin_driver import MAX_SPEED

__all__ = [
    "PLACEHOLDERS",
    "ApiSettings",
    "PolicySettings",
    "Role",
    "SequencingSettings",
    "Settings",
    "TokenSettings",
    "TwinSettings",
    "generate_tokens",
    "is_loopback",
    "opcua_settings",
]

PLACEHOLDERS = frozenset({"changethis", "changeme", "change-me", "secret", "password",
                          "token", "admin", "operator", "viewer", "test", "default", "xxx"})
"""Token values that are never accepted outside development mode."""
MIN_TOKEN_LENGTH = 16


class Role(StrEnum):
    """What a token may do: a viewer reads, an operator also manages orders, an admin
    also commands stations and the twin."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return ("viewer", "operator", "admin").index(self.value)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TokenSettings(_Section):
    """Bearer tokens, one per role."""

    viewer: SecretStr | None = None
    operator: SecretStr | None = None
    admin: SecretStr | None = None

    def by_role(self) -> dict[Role, str]:
        out = {}
        for role in Role:
            value = getattr(self, role.value)
            if value is not None:
                out[role] = value.get_secret_value()
        return out


class TwinSettings(_Section):
    """The twin that stands in for the plant."""

    speed: float = Field(60.0, ge=0.0, le=MAX_SPEED,
                         description="plant seconds per wall second; 0 pauses the twin")
    seed: int = Field(1, ge=0, description="root seed of the twin's random streams")
    tick_s: float = Field(0.1, gt=0.0, le=5.0, description="wall seconds between steps")


class PolicySettings(_Section):
    """The autonomous fault-handling policies (docs/operate.md, "Fault policies")."""

    degraded_mode: bool = True
    min_redundant_robots: int = Field(2, ge=2)
    switchover_s: float = Field(30.0, ge=0.0)
    reroute: bool = True
    wip_cap: int | None = Field(None, ge=1, description="None: derived from the plant")
    resequence_options: bool = True


class SequencingSettings(_Section):
    """Sequencing of the orders that are not released yet."""

    method: Literal["solver", "arrival"] = "solver"
    frozen: int = Field(12, ge=0, description="orders at the head of the queue never moved")
    time_limit_s: float = Field(1.0, gt=0.0, le=60.0)
    interval_s: float = Field(5.0, ge=0.0, description="re-sequence at most this often")
    max_orders: int = Field(2000, ge=1, description="sequence at most this many at once")


class ApiSettings(_Section):
    """Bounds of the REST API (page and batch sizes are fixed: 500 and 1000)."""

    max_body_bytes: int = Field(1_048_576, ge=1024, description="larger bodies get 413")
    kpi_cache_s: float = Field(2.0, ge=0.0, description="live KPIs are recomputed at most "
                               "this often")
    kpi_window_h: float = Field(8.0, gt=0.0, le=24 * 30, description="default KPI window")


class Settings(BaseSettings):
    """Everything ``taktline serve`` needs (see the module docstring)."""

    model_config = SettingsConfigDict(env_prefix="TAKTLINE_", env_nested_delimiter="__",
                                      extra="forbid", frozen=True)

    plant: str = Field("default", description="bundled plant name or plant YAML file")
    db: str = Field("sqlite:///taktline.db", description="SQLAlchemy URL of the store")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    dev: bool = Field(False, description="development mode: placeholder tokens allowed")
    release_ahead: int = Field(2, ge=1, le=100,
                               description="vehicles waiting at the line entry at most")
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"
    retention_days: float = Field(30.0, ge=0.0, description="plant events older than this "
                                  "many plant days are deleted (0: kept forever); vehicles, "
                                  "orders, andon, audit and the MES's own events stay")
    opcua: bool = Field(True, description="start the OPC UA server")
    opcua_port: int = Field(4840, ge=1, le=65535, description="port of the OPC UA server "
                            "(when opcua_settings does not give the endpoint)")
    opcua_settings: OpcUaSettings | None = Field(
        None, description="the OPC UA server's settings; None: the default endpoint on "
        "this host, users 'viewer' and 'operator' with the API tokens as passwords")
    mqtt: str | None = Field(None, description="mqtt://host:port of an MQTT broker: the AGV "
                             "fleet manager speaks VDA 5050 through it (None: in process)")
    twin: TwinSettings = TwinSettings()
    policies: PolicySettings = PolicySettings()
    sequencing: SequencingSettings = SequencingSettings()
    api: ApiSettings = ApiSettings()
    tokens: TokenSettings = TokenSettings()

    @field_validator("mqtt")
    @classmethod
    def _broker_url(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                parse_mqtt_url(v)
            except FleetError as exc:
                raise ValueError(str(exc)) from None
        return v

    def check_secrets(self) -> None:
        """Refuse missing or placeholder tokens (allowed with ``dev``)."""
        tokens = self.tokens.by_role()
        problems = [f"tokens.{r.value}: not set" for r in Role if r not in tokens]
        for role, value in tokens.items():
            if value.lower() in PLACEHOLDERS or len(value) < MIN_TOKEN_LENGTH:
                problems.append(f"tokens.{role.value}: a placeholder or shorter than "
                                f"{MIN_TOKEN_LENGTH} characters")
        if len(set(tokens.values())) < len(tokens):
            problems.append("tokens: every role needs its own token")
        if problems and not self.dev:
            raise SettingsError(
                "refusing to start: " + "; ".join(problems) + " (set TAKTLINE_TOKENS__ADMIN,"
                " __OPERATOR, __VIEWER, or use the development flag)",
                field="tokens")
        if not tokens:
            raise SettingsError("no API token at all, even in development mode",
                                field="tokens")


def opcua_settings(settings: Settings) -> OpcUaSettings:
    """The OPC UA settings to use: the given ones, or derived from the API settings."""
    if settings.opcua_settings is not None:
        return settings.opcua_settings
    tokens = settings.tokens.by_role()
    users = [OpcUaUser(name=r.value, password=SecretStr(tokens[r]), role=r.value)
             for r in (Role.VIEWER, Role.OPERATOR) if r in tokens]
    host = settings.host if settings.host not in ("0.0.0.0", "::") else "0.0.0.0"
    return OpcUaSettings(endpoint=f"opc.tcp://{host}:{settings.opcua_port}", users=users,
                         development=settings.dev)


def generate_tokens() -> TokenSettings:
    """Fresh random tokens for every role."""
    return TokenSettings(**{r.value: SecretStr(secrets.token_urlsafe(24)) for r in Role})


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (only this machine can connect)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
