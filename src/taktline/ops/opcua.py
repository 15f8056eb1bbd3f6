"""The OPC UA server: the plant's address space for plant engineers' tools.

``await start_opcua(driver, settings)`` builds the address space from the companion
specifications (Machinery, Robotics, PackML; see :mod:`taktline.ops.opcua_space`), mirrors
the plant into it (:mod:`taktline.ops.opcua_mirror`) and listens; ``await handle.stop()``
stops it. The server talks to the plant only through the :class:`PlantDriver`.

Security: by default the only endpoint is Basic256Sha256 / SignAndEncrypt and a client
must log in with a user name and password from the settings. Roles:

* ``viewer``: browse, read, subscribe, read history;
* ``operator``: the same, and call the PackML methods (Stop, Start, Reset);
* anonymous (only with ``allow_anonymous_read``): browse, read and subscribe.

Nobody may write attributes or change the address space: the plant is commanded through
methods only.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import logging
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import urlparse

from asyncua import ua
from asyncua.crypto.cert_gen import (
    dump_private_key_as_pem,
    generate_private_key,
    generate_self_signed_app_certificate,
)
from asyncua.crypto.permission_rules import SimpleRoleRuleset, User, UserRole
from asyncua.crypto.truststore import TrustStore
from asyncua.crypto.uacrypto import load_private_key
from asyncua.crypto.validator import CertificateValidator, CertificateValidatorOptions
from asyncua.server.server import Server
from asyncua.server.user_managers import UserManager
from asyncua.ua.object_ids import ObjectIds
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from taktline.errors import SettingsError
from taktline.ops.driver import PlantDriver
from taktline.ops.opcua_mirror import Mirror
from taktline.ops.opcua_space import PlantSpace, build_space
from taktline.ops.opcua_template import node_id

__all__ = ["OpcUaHandle", "OpcUaSettings", "OpcUaUser", "SecurityPolicy", "start_opcua"]

log = logging.getLogger(__name__)

SecurityPolicy = Literal[
    "Basic256Sha256_SignAndEncrypt",
    "Aes256Sha256RsaPss_SignAndEncrypt",
    "Aes128Sha256RsaOaep_SignAndEncrypt",
    "Basic256Sha256_Sign",
    "None",
]
_DEFAULT_POLICIES: tuple[SecurityPolicy, ...] = ("Basic256Sha256_SignAndEncrypt",)
_PLACEHOLDERS = frozenset({"changeme", "change-me", "password", "secret", "admin", "opcua",
                           "operator", "viewer", "12345678", "placeholder"})


class OpcUaUser(BaseModel):
    """A user who may log in with a user name and password."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=64)
    password: SecretStr
    role: Literal["viewer", "operator"] = "operator"


class OpcUaSettings(BaseModel):
    """Typed settings of the OPC UA server (all optional; see docs/operate.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    endpoint: str = "opc.tcp://127.0.0.1:4840"
    users: list[OpcUaUser] = Field(default_factory=list)
    allow_anonymous_read: bool = False
    security_policies: list[SecurityPolicy] = Field(
        default_factory=lambda: list(_DEFAULT_POLICIES), min_length=1)
    certificate: Path | None = None  # server certificate (DER or PEM)
    private_key: Path | None = None  # its private key (PEM)
    pki_dir: Path = Path("opcua-pki")  # where a self-signed certificate is made if none given
    trusted_clients: Path | None = None  # folder of client certificates; None accepts any
    application_uri: str = "urn:taktline:opcua:server"
    namespace_uri: str | None = None  # default: urn:taktline:plant:<plant name>
    manufacturer: str = "taktline digital twin"
    server_name: str = "taktline plant"
    update_interval: float = Field(default=0.1, gt=0, le=10)  # s between mirror passes
    refresh_interval: float = Field(default=1.0, gt=0, le=60)  # s, durations refresh
    development: bool = False  # allows weak passwords and the "None" policy

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        url = urlparse(value)
        if url.scheme != "opc.tcp" or not url.hostname:
            raise ValueError(f"must look like opc.tcp://HOST:PORT (got {value!r})")
        try:
            url.port  # noqa: B018 - raises on a bad port
        except ValueError as exc:
            raise ValueError(f"bad port in {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        names = [u.name for u in self.users]
        if len(set(names)) != len(names):
            raise ValueError("users: names must be unique")
        if not self.users and not self.allow_anonymous_read:
            raise ValueError("users: at least one user is needed unless allow_anonymous_read")
        if (self.certificate is None) != (self.private_key is None):
            raise ValueError("certificate and private_key go together")
        if not self.development:
            if "None" in self.security_policies:
                raise ValueError("security_policies: 'None' only with development=true")
            for user in self.users:
                pw = user.password.get_secret_value()
                if len(pw) < 8 or pw.lower() in _PLACEHOLDERS:
                    raise ValueError(f"users[{user.name}].password: a placeholder or shorter "
                                     "than 8 characters (allowed only with development=true)")
        return self


class OpcUaHandle:
    """A running OPC UA server; ``await handle.stop()`` (or ``async with``) ends it."""

    def __init__(self, server: Server, mirror: Mirror, task: asyncio.Task[None],
                 space: PlantSpace, endpoint: str) -> None:
        self.server = server
        self.mirror = mirror
        self.space = space
        self.endpoint = endpoint
        self._task = task
        self._stopped = False

    @property
    def namespace_uri(self) -> str:
        return self.space.namespace_uri

    async def stop(self) -> None:
        """Stop mirroring and close the server (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        self.mirror.close()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await self.server.stop()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.stop()


async def start_opcua(driver: PlantDriver, settings: OpcUaSettings) -> OpcUaHandle:
    """Build the plant's address space, mirror the driver into it and start listening."""
    plant = driver.plant
    _check_port(settings.endpoint)  # fail in milliseconds, not after building the space
    server = Server(user_manager=_Users(settings))
    await server.init()
    server.set_endpoint(settings.endpoint)
    server.set_server_name(settings.server_name)
    await server.set_application_uri(settings.application_uri)
    await _security(server, settings)
    namespace = settings.namespace_uri or f"urn:taktline:plant:{plant.name}"
    space = await build_space(server, plant, namespace, settings.manufacturer)
    mirror = Mirror(server, space, driver, settings.update_interval, settings.refresh_interval)
    await mirror.prime()
    driver.subscribe(mirror.on_event)
    try:
        await server.start()
    except OSError as exc:
        mirror.close()
        raise SettingsError(f"cannot listen on {settings.endpoint}: {exc.strerror or exc}",
                         field="opcua.endpoint") from exc
    task = asyncio.create_task(mirror.run(), name="opcua-mirror")
    log.info("OPC UA server on %s (%d stations, %d robots)", settings.endpoint,
             len(space.stations), sum(space.robots.values()))
    return OpcUaHandle(server, mirror, task, space, settings.endpoint)


def _check_port(endpoint: str) -> None:
    url = urlparse(endpoint)
    try:
        with socket.create_server((url.hostname or "127.0.0.1", url.port or 4840)):
            pass
    except OSError as exc:
        raise SettingsError(f"cannot listen on {endpoint}: {exc.strerror or exc}",
                         field="opcua.endpoint") from exc


# -- security -----------------------------------------------------------------------------
async def _security(server: Server, settings: OpcUaSettings) -> None:
    cert, key = await _certificate(settings)
    try:
        await server.load_certificate(cert)
        await server.load_private_key(key)
    except (OSError, ValueError) as exc:
        raise SettingsError(f"cannot load the server certificate or key: {exc}",
                         field="opcua.certificate") from exc
    policies = [getattr(ua.SecurityPolicyType, p if p != "None" else "NoSecurity")
                for p in settings.security_policies]
    server.set_security_policy(policies, permission_ruleset=_Rules(settings))
    tokens: list[type] = [ua.UserNameIdentityToken]
    if settings.allow_anonymous_read:
        tokens.append(ua.AnonymousIdentityToken)
    server.set_identity_tokens(tokens)
    if settings.trusted_clients is not None:
        if not settings.trusted_clients.is_dir():
            raise SettingsError(f"not a folder: {settings.trusted_clients}",
                             field="opcua.trusted_clients")
        store = TrustStore([settings.trusted_clients], [])
        await store.load()
        server.set_certificate_validator(CertificateValidator(
            CertificateValidatorOptions.TRUSTED_VALIDATION
            | CertificateValidatorOptions.PEER_CLIENT, store))


async def _certificate(settings: OpcUaSettings) -> tuple[Path, Path]:
    """The configured certificate, or a self-signed one kept in ``pki_dir``.

    The self-signed one names the application URI, this machine's host name, localhost,
    127.0.0.1 and the endpoint's host; it is made again when one of those is missing
    or it expires within 30 days.
    """
    if settings.certificate is not None and settings.private_key is not None:
        for field, path in (("certificate", settings.certificate),
                            ("private_key", settings.private_key)):
            if not path.is_file():
                raise SettingsError(f"no such file: {path}", field=f"opcua.{field}")
        return settings.certificate, settings.private_key
    settings.pki_dir.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = settings.pki_dir / "server-cert.der", settings.pki_dir / "server-key.pem"
    names = _alt_names(settings)
    if key_path.is_file() and cert_path.is_file():
        cert = x509.load_der_x509_certificate(cert_path.read_bytes())
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        fresh = cert.not_valid_after_utc - datetime.now(UTC) > timedelta(days=30)
        if fresh and set(names) <= set(sans):
            return cert_path, key_path
    key = await load_private_key(key_path) if key_path.is_file() else generate_private_key()
    cert = generate_self_signed_app_certificate(
        key, settings.server_name, {"organizationName": "taktline"}, names,
        [ExtendedKeyUsageOID.SERVER_AUTH], days=365)
    key_path.write_bytes(dump_private_key_as_pem(key))
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(Encoding.DER))
    log.info("OPC UA: made a self-signed server certificate in %s", settings.pki_dir)
    return cert_path, key_path


def _alt_names(settings: OpcUaSettings) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [x509.UniformResourceIdentifier(settings.application_uri)]
    hosts = {socket.gethostname(), "localhost", "127.0.0.1", urlparse(settings.endpoint).hostname}
    for host in sorted(h for h in hosts if h and h not in ("0.0.0.0", "::")):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


class _Users(UserManager):
    """User name and password from the settings; anonymous only when allowed."""

    def __init__(self, settings: OpcUaSettings) -> None:
        self._passwords = {u.name: u.password.get_secret_value().encode() for u in settings.users}
        self._anonymous = settings.allow_anonymous_read

    def get_user(self, iserver: Any, username: str | None = None, password: str | None = None,
                 certificate: Any = None) -> User | None:
        if username is None:  # anonymous (X509 user tokens are not offered)
            return User(role=UserRole.Anonymous) if self._anonymous else None
        expected = self._passwords.get(username, b"\0" * 16)
        given = (password or "").encode()
        if hmac.compare_digest(expected, given) and username in self._passwords:
            return User(role=UserRole.User, name=username)
        log.warning("OPC UA: login refused for user %r", username)
        return None


def _ids(*names: str) -> frozenset[ua.NodeId]:
    return frozenset(node_id(getattr(ObjectIds, f"{n}Request_Encoding_DefaultBinary"))
                     for n in names)


_SESSION = _ids("CreateSession", "ActivateSession", "CloseSession", "CloseSecureChannel",
                "GetEndpoints", "FindServers")
_READ = _SESSION | _ids(
    "Read", "Browse", "BrowseNext", "TranslateBrowsePathsToNodeIds", "RegisterNodes",
    "UnregisterNodes", "CreateSubscription", "ModifySubscription", "DeleteSubscriptions",
    "TransferSubscriptions", "SetPublishingMode", "Publish", "Republish",
    "CreateMonitoredItems", "ModifyMonitoredItems", "DeleteMonitoredItems",
    "SetMonitoringMode", "HistoryRead")
_OPERATE = _READ | _ids("Call")


class _Rules(SimpleRoleRuleset):
    """Which service requests each role may send (see the module docstring)."""

    def __init__(self, settings: OpcUaSettings) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._roles = {u.name: u.role for u in settings.users}
        self._anonymous = _READ if settings.allow_anonymous_read else _SESSION

    def check_validity(self, user: User, action_type_id: ua.NodeId, body: Any) -> bool:
        if user.role == UserRole.Admin:  # the server's own internal session
            return True
        if user.role == UserRole.Anonymous or user.name is None:
            return action_type_id in self._anonymous
        role = self._roles.get(user.name)
        allowed = _OPERATE if role == "operator" else _READ if role == "viewer" else _SESSION
        return action_type_id in allowed
