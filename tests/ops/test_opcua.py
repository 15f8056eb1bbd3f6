"""The OPC UA server with an in-memory plant (FakeDriver) and an asyncua client.

One server per module runs on an event loop in a background thread (starting one takes
seconds); the tests drive the fake plant on that loop and read through a client over
Basic256Sha256 SignAndEncrypt, as a plant engineer's tool would.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import pytest
from asyncua import ua
from asyncua.client.client import Client
from asyncua.crypto.cert_gen import setup_self_signed_certificate
from asyncua.ua.object_ids import ObjectIds
from asyncua.ua.uaerrors import UaStatusCodeError
from cryptography.x509.oid import ExtendedKeyUsageOID

from taktline.errors import SettingsError
from taktline.ops.driver import FakeDriver, PlantSnapshot
from taktline.ops.opcua import OpcUaHandle, OpcUaSettings, OpcUaUser, start_opcua
from taktline.ops.opcua_mirror import STATE_MAP
from taktline.ops.opcua_space import DI, MACHINERY, PACKML, ROBOTICS
from taktline.plant.load import load_plant

T = TypeVar("T")
OPERATOR = OpcUaUser(name="operator", password="operator-password", role="operator")
VIEWER = OpcUaUser(name="viewer", password="viewer-password", role="viewer")
NS_URI = "urn:taktline:plant:five-station-agv"


class CountingDriver(FakeDriver):
    """FakeDriver that also counts finished operations (``emit("finished", ...)``)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.finished: dict[str, int] = {}

    def emit(self, kind: Any, station: str | None = None, vin: str | None = None,
             time: float | None = None, **data: Any) -> Any:
        if kind == "finished" and station is not None:
            self.finished[station] = self.finished.get(station, 0) + 1
        return super().emit(kind, station, vin, time, **data)

    def snapshot(self) -> PlantSnapshot:
        snap = super().snapshot()
        return replace(snap, stations=tuple(replace(s, finished=self.finished.get(s.station, 0))
                                            for s in snap.stations))


class Served:
    """A server on a background event loop, and ways to reach it."""

    def __init__(self, tmp: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.tmp = tmp
        self.driver = CountingDriver(load_plant("five_station_agv"))
        self.port = _free_port()
        self.settings = OpcUaSettings(endpoint=f"opc.tcp://127.0.0.1:{self.port}",
                                      users=[OPERATOR, VIEWER], allow_anonymous_read=True,
                                      pki_dir=tmp / "server-pki", update_interval=0.02)
        self.key, self.cert = tmp / "client-key.pem", tmp / "client-cert.der"
        self.run(setup_self_signed_certificate(
            self.key, self.cert, "urn:taktline:test:client", "localhost",
            [ExtendedKeyUsageOID.CLIENT_AUTH], {"commonName": "taktline test client"}))
        self.handle: OpcUaHandle = self.run(start_opcua(self.driver, self.settings))

    def run(self, coro: Awaitable[T], timeout: float = 60) -> T:
        async def wrap() -> T:
            return await coro

        return asyncio.run_coroutine_threadsafe(wrap(), self.loop).result(timeout)

    def on_loop(self, fn: Callable[[], T]) -> T:
        async def call() -> T:
            return fn()

        return self.run(call())

    async def asettle(self) -> None:
        """Make the mirror write what the plant did so far (what its pump does when woken;
        the pump itself is exercised by the subscription tests)."""
        await self.handle.mirror.update(self.driver.snapshot())

    def settle(self) -> None:
        self.run(self.asettle())

    @asynccontextmanager
    async def client(self, user: OpcUaUser | None = None, password: str | None = None,
                     ) -> AsyncIterator[Client]:
        c = Client(self.settings.endpoint, timeout=10)
        c.application_uri = "urn:taktline:test:client"
        await c.set_security_string(f"Basic256Sha256,SignAndEncrypt,{self.cert},{self.key}")
        if user is not None:
            c.set_user(user.name)
            c.set_password(password or user.password.get_secret_value())
        async with c:
            yield c

    def close(self) -> None:
        self.run(self.handle.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    s = Served(tmp_path_factory.mktemp("opcua"))
    yield s
    s.close()


def _nid(ns: int, path: str) -> ua.NodeId:
    return ua.NodeId(ua.String(path), ua.Int16(ns))


async def _text(c: Client, ns: int, path: str) -> Any:
    dv = await c.get_node(_nid(ns, path)).read_data_value(raise_on_bad_status=False)
    value = dv.Value.Value if dv.Value is not None else None
    if dv.StatusCode is not None and not dv.StatusCode.is_good():
        return dv.StatusCode.name
    return value.Text if isinstance(value, ua.LocalizedText) else value


# -- the address space ---------------------------------------------------------------------
def test_machines_lists_every_station_with_its_identification(served: Served) -> None:
    async def scenario() -> None:
        async with served.client(OPERATOR) as c:
            mi = await c.get_namespace_index(MACHINERY)
            ns = await c.get_namespace_index(NS_URI)
            machines = c.get_node(ua.NodeId(ua.Int32(1001), ua.Int16(mi)))
            children = await machines.get_children()
            names = {(await n.read_browse_name()).Name: n for n in children}
            plant = served.driver.plant
            assert set(names) == {s.id for s in plant.stations}
            serials, uris = set(), set()
            for spec in plant.stations:
                node = names[spec.id]
                assert (await node.read_display_name()).Text == (spec.name or spec.id)
                ident = await node.get_child(f"{await c.get_namespace_index(DI)}:Identification")
                values = {(await v.read_browse_name()).Name: await v.read_value()
                          for v in await ident.get_properties()}
                assert values["Manufacturer"].Text == "taktline digital twin"
                assert values["SerialNumber"] == f"five-station-agv.{spec.id}"
                assert values["ProductInstanceUri"] == f"{NS_URI}:station:{spec.id}"
                assert values["AssetId"] == spec.id
                serials.add(values["SerialNumber"])
                uris.add(values["ProductInstanceUri"])
            assert len(serials) == len(uris) == len(plant.stations)
            # the string NodeIds are the browse paths
            assert await _text(c, ns, f"Machines/{plant.stations[0].id}/Identification/"
                                      "SerialNumber") == f"five-station-agv.{plant.stations[0].id}"

    served.run(scenario())


def test_building_blocks_are_add_ins_of_the_companion_types(served: Served) -> None:
    async def scenario() -> None:
        async with served.client(OPERATOR) as c:
            mi, pk = (await c.get_namespace_index(MACHINERY), await c.get_namespace_index(PACKML))
            ns = await c.get_namespace_index(NS_URI)
            sid = served.driver.plant.stations[0].id
            machine = c.get_node(_nid(ns, f"Machines/{sid}"))
            blocks = c.get_node(_nid(ns, f"Machines/{sid}/MachineryBuildingBlocks"))
            expected = {"Identification": 1012, "MachineryItemState": 1002,
                        "MachineryOperationMode": 1008, "OperationCounters": 1009}
            add_ins = await blocks.get_references(refs=ObjectIds.HasAddIn,
                                                  direction=ua.BrowseDirection.Forward)
            assert {r.BrowseName.Name: r.TypeDefinition for r in add_ins} == {
                name: ua.NodeId(ua.Int32(i), ua.Int16(mi)) for name, i in expected.items()}
            on_machine = await machine.get_references(refs=ObjectIds.HasAddIn,
                                                      direction=ua.BrowseDirection.Forward)
            ident = [r.NodeId for r in add_ins if r.BrowseName.Name == "Identification"]
            assert [r.NodeId for r in on_machine] == ident  # one node, two HasAddIn
            packml = c.get_node(_nid(ns, f"Machines/{sid}/PackML"))
            assert await packml.read_type_definition() == ua.NodeId(ua.Int32(6), ua.Int16(pk))
            for method in ("BaseStateMachine/MachineState/Stop",
                           "BaseStateMachine/MachineState/Reset",
                           "BaseStateMachine/MachineState/ExecuteState/Start"):
                node = c.get_node(_nid(ns, f"Machines/{sid}/PackML/{method}"))
                assert await node.read_node_class() == ua.NodeClass.Method

    served.run(scenario())


def test_robots_are_motion_devices_in_the_device_set(served: Served) -> None:
    async def scenario() -> None:
        async with served.client(VIEWER) as c:
            rb, ns = await c.get_namespace_index(ROBOTICS), await c.get_namespace_index(NS_URI)
            plant = served.driver.plant
            with_robots = [s for s in plant.stations if s.robots]
            assert with_robots, "the test plant has robots"
            for spec in with_robots:
                system = c.get_node(_nid(ns, f"DeviceSet/{spec.id}"))
                assert await system.read_type_definition() == \
                    ua.NodeId(ua.Int32(1002), ua.Int16(rb))
                devices = await c.get_node(
                    _nid(ns, f"DeviceSet/{spec.id}/MotionDevices")).get_children()
                assert len(devices) == sum(r.count for r in spec.robots)
                first = f"DeviceSet/{spec.id}/MotionDevices/R01"
                assert await c.get_node(_nid(ns, first)).read_type_definition() == \
                    ua.NodeId(ua.Int32(1004), ua.Int16(rb))
                assert await _text(c, ns, f"{first}/ProductCode") == spec.robots[0].type
                assert await _text(c, ns, f"{first}/ParameterSet/SpeedOverride") == 100.0
                assert await _text(c, ns, f"DeviceSet/{spec.id}/SafetyStates/SafetyState/"
                                          "ParameterSet/EmergencyStop") is False

    served.run(scenario())


# -- live values -----------------------------------------------------------------------------
def test_every_driver_state_shows_as_the_table_says(served: Served) -> None:
    sid = served.driver.plant.stations[1].id
    for n, (state, view) in enumerate(STATE_MAP.items()):
        served.on_loop(lambda s=state, t=float(n): served.driver.emit(
            "state", sid, time=10.0 + t, state=s))
        served.settle()

        async def check(view: Any = view, state: str = state) -> None:
            async with served.client(VIEWER) as c:
                ns = await c.get_namespace_index(NS_URI)
                m = f"Machines/{sid}"
                sm = f"{m}/PackML/BaseStateMachine"
                got = [await _text(c, ns, f"{m}/MachineryBuildingBlocks/{p}/CurrentState")
                       for p in ("MachineryItemState", "MachineryOperationMode")]
                got += [await _text(c, ns, f"{p}/CurrentState")
                        for p in (sm, f"{sm}/MachineState", f"{sm}/MachineState/ExecuteState")]
                expected = [view.item_state, view.operation_mode,
                            *(p or "BadStateNotActive" for p in view.packml)]
                assert got == expected, state
                status = {k: await _text(c, ns, f"{m}/PackML/Status/{k}") for k in
                          ("EquipmentBlocked", "EquipmentStarved", "UnitModeCurrent",
                           "CurMachSpeed")}
                assert status["EquipmentBlocked"] is view.blocked, state
                assert status["EquipmentStarved"] is view.starved, state
                assert status["UnitModeCurrent"] == view.unit_mode, state
                assert (status["CurMachSpeed"] > 0) is view.producing, state
                state_id = await c.get_node(_nid(ns, f"{m}/MachineryBuildingBlocks/"
                                                     "MachineryItemState/CurrentState/Id"))\
                    .read_value()
                assert (await c.get_node(state_id).read_browse_name()).Name == view.item_state

        served.run(check())


def test_counters_follow_the_plant(served: Served) -> None:
    sid = served.driver.plant.stations[2].id

    def plant_runs() -> None:
        d = served.driver
        d.emit("state", sid, time=100.0, state="working")
        for _ in range(3):
            d.emit("finished", sid, vin="V1")
        d.emit("state", sid, time=115.0, state="blocked")
        d.emit("state", sid, time=120.0, state="working")
        d.emit("state", sid, time=130.0, state="starved")

    served.on_loop(plant_runs)
    served.settle()

    async def check() -> None:
        async with served.client(VIEWER) as c:
            ns = await c.get_namespace_index(NS_URI)
            base = f"Machines/{sid}/MachineryBuildingBlocks/OperationCounters"
            assert await _text(c, ns, f"{base}/OperationCycleCounter") == 3
            assert await _text(c, ns, f"{base}/OperationDuration") == pytest.approx(25_000.0)
            assert await _text(c, ns, f"{base}/PowerOnDuration") == pytest.approx(130_000.0)

    served.run(check())


def test_a_subscription_sees_each_state_change(served: Served) -> None:
    sid = served.driver.plant.stations[3].id
    seen: list[str] = []

    class Handler:
        def datachange_notification(self, node: Any, val: Any, data: Any) -> None:
            seen.append(val.Text)

    async def subscribe() -> None:
        async with served.client(VIEWER) as c:
            ns = await c.get_namespace_index(NS_URI)
            sub = await c.create_subscription(20, Handler())
            await sub.subscribe_data_change(c.get_node(_nid(
                ns, f"Machines/{sid}/MachineryBuildingBlocks/MachineryItemState/CurrentState")))
            for t, state in enumerate(("working", "blocked", "failed", "working")):
                served.driver.emit("state", sid, time=200.0 + t, state=state)
                await asyncio.sleep(0.3)
            await sub.delete()

    served.run(subscribe())
    assert seen[-4:] == ["Executing", "NotExecuting", "OutOfService", "Executing"]


def test_packml_methods_command_the_plant(served: Served) -> None:
    sid = served.driver.plant.stations[4].id

    async def scenario() -> list[str]:
        async with served.client(OPERATOR) as c:
            ns = await c.get_namespace_index(NS_URI)
            sm = f"Machines/{sid}/PackML/BaseStateMachine/MachineState"
            machine_sm, execute_sm = c.get_node(_nid(ns, sm)), c.get_node(_nid(ns, f"{sm}/"
                                                                                 "ExecuteState"))
            await machine_sm.call_method(_nid(ns, f"{sm}/Stop"))
            await served.asettle()
            states = [await _text(c, ns, f"{sm}/CurrentState")]
            await execute_sm.call_method(_nid(ns, f"{sm}/ExecuteState/Start"),
                                         ua.Variant([], ua.VariantType.ExtensionObject))
            await served.asettle()
            states.append(await _text(c, ns, f"{sm}/CurrentState"))
            await machine_sm.call_method(_nid(ns, f"{sm}/Reset"))
            with pytest.raises(UaStatusCodeError, match="BadNotSupported"):
                await c.get_node(_nid(ns, f"Machines/{sid}/PackML")).call_method(
                    _nid(ns, f"Machines/{sid}/PackML/SetMachSpeed"),
                    ua.Variant(1.0, ua.VariantType.Float))
            return states

    before = len(served.driver.commands)
    states = served.run(scenario())
    assert served.driver.commands[before:] == [(sid, "stop"), (sid, "start"), (sid, "reset")]
    assert states == ["Stopped", "Running"]


def test_a_command_the_plant_refuses_is_bad_invalid_state(served: Served,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    def refuse(station: str, action: str) -> None:
        raise ValueError("station is locked out")

    monkeypatch.setattr(served.driver, "command", refuse)
    sid = served.driver.plant.stations[0].id

    async def scenario() -> None:
        async with served.client(OPERATOR) as c:
            ns = await c.get_namespace_index(NS_URI)
            sm = f"Machines/{sid}/PackML/BaseStateMachine/MachineState"
            with pytest.raises(UaStatusCodeError, match="BadInvalidState"):
                await c.get_node(_nid(ns, sm)).call_method(_nid(ns, f"{sm}/Stop"))

    served.run(scenario())


# -- security -------------------------------------------------------------------------------
def test_roles_decide_who_may_read_command_and_write(served: Served) -> None:
    sid = served.driver.plant.stations[0].id

    async def scenario() -> None:
        async with served.client() as anon:  # anonymous: read only
            ns = await anon.get_namespace_index(NS_URI)
            serial = anon.get_node(_nid(ns, f"Machines/{sid}/Identification/SerialNumber"))
            assert await serial.read_value() == f"five-station-agv.{sid}"
            with pytest.raises(UaStatusCodeError, match="BadUserAccessDenied"):
                await serial.write_value("tampered")
            sm = f"Machines/{sid}/PackML/BaseStateMachine/MachineState"
            with pytest.raises(UaStatusCodeError, match="BadUserAccessDenied"):
                await anon.get_node(_nid(ns, sm)).call_method(_nid(ns, f"{sm}/Stop"))
        async with served.client(VIEWER) as viewer:
            with pytest.raises(UaStatusCodeError, match="BadUserAccessDenied"):
                await viewer.get_node(_nid(ns, sm)).call_method(_nid(ns, f"{sm}/Stop"))
        async with served.client(OPERATOR) as op:  # nobody writes, not even an operator
            with pytest.raises(UaStatusCodeError, match="BadUserAccessDenied"):
                await op.get_node(serial.nodeid).write_value("tampered")
        with pytest.raises(UaStatusCodeError, match="BadUserAccessDenied"):
            async with served.client(OPERATOR, password="not-the-password"):
                pass

    before = list(served.driver.commands)
    served.run(scenario())
    assert served.driver.commands == before


def test_only_the_encrypted_endpoint_is_offered(served: Served) -> None:
    async def endpoints() -> list[ua.EndpointDescription]:
        c = Client(served.settings.endpoint, timeout=10)
        return list(await c.connect_and_get_server_endpoints())

    found = served.run(endpoints())
    assert {(e.SecurityPolicyUri.split("#")[-1], e.SecurityMode) for e in found} == {
        ("Basic256Sha256", ua.MessageSecurityMode.SignAndEncrypt)}
    tokens = {t.TokenType for t in found[0].UserIdentityTokens}
    assert tokens == {ua.UserTokenType.UserName, ua.UserTokenType.Anonymous}


def test_a_port_in_use_is_an_input_error(served: Served) -> None:
    settings = served.settings.model_copy(update={"pki_dir": served.tmp / "other"})
    t0 = time.perf_counter()
    with pytest.raises(SettingsError, match="cannot listen on"):
        served.run(start_opcua(FakeDriver(served.driver.plant), settings))
    assert time.perf_counter() - t0 < 2.0


# -- the reference plant, trusted clients, anonymous refused, stop ----------------------------
async def _cert(tmp: Path, name: str) -> tuple[Path, Path]:
    key, cert = tmp / f"{name}-key.pem", tmp / f"{name}-cert.der"
    await setup_self_signed_certificate(key, cert, f"urn:taktline:test:{name}", "localhost",
                                        [ExtendedKeyUsageOID.CLIENT_AUTH], {"commonName": name})
    return key, cert


async def _connect(endpoint: str, name: str, key: Path, cert: Path,
                   user: OpcUaUser | None) -> str:
    """Open a session and read the server state; the refusal's name, or "Good"."""
    c = Client(endpoint, timeout=5)
    c.application_uri = f"urn:taktline:test:{name}"
    await c.set_security_string(f"Basic256Sha256,SignAndEncrypt,{cert},{key}")
    if user is not None:
        c.set_user(user.name)
        c.set_password(user.password.get_secret_value())
    try:
        async with c:
            await c.get_node(ua.NodeId(ua.Int32(ObjectIds.Server_ServerStatus_State))).read_value()
            return "Good"
    except UaStatusCodeError as exc:
        return type(exc).__name__
    except (OSError, TimeoutError) as exc:
        return f"closed ({type(exc).__name__})"


def test_reference_plant_trusted_clients_only_and_a_clean_stop(tmp_path: Path) -> None:
    async def scenario() -> None:
        plant = load_plant(None)
        driver = FakeDriver(plant)
        trusted = tmp_path / "trusted"
        trusted.mkdir()
        known, stranger = await _cert(tmp_path, "known"), await _cert(tmp_path, "stranger")
        (trusted / "known.der").write_bytes(known[1].read_bytes())
        settings = OpcUaSettings(endpoint=f"opc.tcp://127.0.0.1:{_free_port()}",
                                 users=[OPERATOR], pki_dir=tmp_path / "pki",
                                 trusted_clients=trusted)
        t0 = time.perf_counter()
        handle = await start_opcua(driver, settings)
        built = time.perf_counter() - t0
        try:
            assert built < 60, f"the reference plant took {built:.1f} s to serve"
            assert len(handle.space.stations) == len(plant.stations) == 61
            assert sum(handle.space.robots.values()) == \
                sum(r.count for s in plant.stations for r in s.robots) >= 300
            ep = settings.endpoint
            assert await _connect(ep, "known", *known, OPERATOR) == "Good"
            assert await _connect(ep, "known", *known, None) == "BadIdentityTokenRejected"
            assert await _connect(ep, "stranger", *stranger, OPERATOR) == \
                "BadCertificateUntrusted"
        finally:
            await handle.stop()
            await handle.stop()  # idempotent
        driver.emit("state", plant.stations[0].id, state="working")  # ignored after stop
        with socket.create_server(("127.0.0.1", int(settings.endpoint.rsplit(":", 1)[1]))):
            pass  # the port is free again

    asyncio.run(scenario())


def test_bad_certificate_settings_are_settings_errors(tmp_path: Path) -> None:
    plant = load_plant("single_station")
    base = OpcUaSettings(endpoint=f"opc.tcp://127.0.0.1:{_free_port()}", users=[OPERATOR],
                         pki_dir=tmp_path / "pki")
    for update, message in (({"certificate": tmp_path / "nope.der",
                              "private_key": tmp_path / "nope.pem"}, "no such file"),
                            ({"trusted_clients": tmp_path / "missing"}, "not a folder")):
        with pytest.raises(SettingsError, match=message):
            asyncio.run(start_opcua(FakeDriver(plant), base.model_copy(update=update)))


def test_the_self_signed_certificate_names_the_hosts_and_is_kept(served: Served) -> None:
    from cryptography import x509

    from taktline.ops.opcua import _certificate

    cert_path, key_path = served.tmp / "server-pki" / "server-cert.der", \
        served.tmp / "server-pki" / "server-key.pem"
    first = cert_path.read_bytes()
    cert = x509.load_der_x509_certificate(first)
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.UniformResourceIdentifier) == \
        ["urn:taktline:opcua:server"]
    assert "localhost" in sans.get_values_for_type(x509.DNSName)
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert key_path.stat().st_mode & 0o777 == 0o600
    assert served.run(_certificate(served.settings)) == (cert_path, key_path)
    assert cert_path.read_bytes() == first  # kept, not made again
    other = served.settings.model_copy(update={"application_uri": "urn:other"})
    served.run(_certificate(other))
    assert cert_path.read_bytes() != first  # a different application gets a new one
    served.run(_certificate(served.settings))  # put the server's back
