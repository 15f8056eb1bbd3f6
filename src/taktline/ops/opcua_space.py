"""The plant's OPC UA address space, built from the companion specifications.

Loads the vendored NodeSets (DI 1.04, Machinery 1.03, Robotics 1.01.2, PackML 1.01; see
``nodesets/README.md``), then builds, in the plant's own namespace::

    Objects
     +-- Machines                          (Machinery entry point, OPC 40001-1)
     |    +-- <station>                    one per station; DisplayName = station name
     |         +-- Identification          MachineIdentificationType (HasAddIn)
     |         +-- MachineryBuildingBlocks FolderType
     |         |    +-- Identification, MachineryItemState, MachineryOperationMode,
     |         |        OperationCounters  (HasAddIn)
     |         +-- PackML                  PackMLBaseObjectType (OPC 30050)
     |              +-- Status, Admin, BaseStateMachine/MachineState/ExecuteState
     |                  with the Stop, Reset (MachineState) and Start (ExecuteState) methods
     +-- DeviceSet                         (DI)
          +-- <station>                    MotionDeviceSystemType (OPC 40010), stations with robots
               +-- MotionDevices/R01 ...   MotionDeviceType, one per robot

Every node we create has a string NodeId made of its browse path from ``Machines`` or
``DeviceSet`` (see :mod:`taktline.ops.opcua_template`), e.g.
``ns=<plant>;s=Machines/press_a/MachineryBuildingBlocks/MachineryItemState/CurrentState``.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

from asyncua import ua
from asyncua.common.copy_node_util import copy_node
from asyncua.common.instantiate_util import instantiate
from asyncua.common.manage_nodes import delete_nodes
from asyncua.common.node import Node
from asyncua.server.server import Server
from asyncua.ua.attribute_ids import AttributeIds
from asyncua.ua.object_ids import ObjectIds

from taktline.errors import TaktlineError
from taktline.ops.opcua_template import Template, child_id, node_id, write_value
from taktline.plant.schema import Plant
from taktline.plant.schema import Station as StationSpec

__all__ = [
    "DI",
    "MACHINERY",
    "NODESETS",
    "PACKML",
    "ROBOTICS",
    "PlantSpace",
    "build_space",
    "design_rate",
    "load_nodesets",
]

DI = "http://opcfoundation.org/UA/DI/"
MACHINERY = "http://opcfoundation.org/UA/Machinery/"
ROBOTICS = "http://opcfoundation.org/UA/Robotics/"
PACKML = "http://opcfoundation.org/UA/PackML/"
NODESETS: tuple[tuple[str, str], ...] = (
    (DI, "Opc.Ua.Di.NodeSet2.xml"),
    (MACHINERY, "Opc.Ua.Machinery.NodeSet2.xml"),
    (ROBOTICS, "Opc.Ua.Robotics.NodeSet2.xml"),
    (PACKML, "Opc.Ua.PackML.NodeSet2.xml"),
)
"""The companion models, in import order (each needs the ones before it)."""

# well-known nodes of the companion models (numeric ids in their own namespaces)
_MACHINES = 1001  # Machinery: Objects/Machines
_DEVICE_SET = 5001  # DI: Objects/DeviceSet
_MACHINE_IDENTIFICATION = 1012  # Machinery: MachineIdentificationType
_ITEM_STATE = 1002  # Machinery: MachineryItemState_StateMachineType
_OPERATION_MODE = 1008  # Machinery: MachineryOperationModeStateMachineType
_OPERATION_COUNTERS = 1009  # Machinery: MachineryOperationCounterType
_PACKML_BASE = 6  # PackML: PackMLBaseObjectType
_PACKML_EXECUTE_SM, _PACKML_MACHINE_SM, _PACKML_BASE_SM = 1, 2, 3  # PackML state machine types
_MOTION_DEVICE_SYSTEM = 1002  # Robotics: MotionDeviceSystemType
_MOTION_DEVICE = 1004  # Robotics: MotionDeviceType
ARTICULATED_ROBOT = 1  # Robotics: MotionDeviceCategoryEnumeration
AUTOMATIC = 3  # Robotics: OperationalModeEnumeration

# paths inside a station (browse names below Machines/<station>)
IDENTIFICATION = ("Identification",)
BLOCKS = ("MachineryBuildingBlocks",)
ITEM_STATE = (*BLOCKS, "MachineryItemState")
OPERATION_MODE = (*BLOCKS, "MachineryOperationMode")
COUNTERS = (*BLOCKS, "OperationCounters")
STATUS = ("PackML", "Status")
BASE_SM = ("PackML", "BaseStateMachine")
MACHINE_SM = (*BASE_SM, "MachineState")
EXECUTE_SM = (*MACHINE_SM, "ExecuteState")
METHODS: dict[str, tuple[str, ...]] = {
    "Stop": (*MACHINE_SM, "Stop"),
    "Reset": (*MACHINE_SM, "Reset"),
    "Start": (*EXECUTE_SM, "Start"),
}
"""The PackML command methods each station offers, by name."""


@dataclass(frozen=True, slots=True)
class PlantSpace:
    """What the mirror needs to know about the built address space."""

    ns: int  # the plant's namespace index
    namespace_uri: str
    stations: tuple[str, ...]
    robots: dict[str, int]  # robots per station (stations with robots only)
    states: dict[str, ua.NodeId]  # state name ("Executing", "Held", ...) -> its node in the type

    def station_prefix(self, station: str) -> str:
        return child_id("Machines", station)

    def node(self, station: str, *path: str) -> ua.NodeId:
        """The NodeId of ``path`` (browse names) under the station's machine object."""
        return node_id(child_id(self.station_prefix(station), *path), self.ns)


async def load_nodesets(server: Server) -> dict[str, int]:
    """Import the vendored companion NodeSets; their namespace indexes by URI."""
    folder = resources.files("taktline.ops") / "nodesets"
    for _uri, name in NODESETS:
        if not (folder / name).is_file():
            raise TaktlineError(f"companion NodeSet {name} is missing from this taktline "
                                "installation (taktline/ops/nodesets/ is package data)")
        with resources.as_file(folder / name) as path:
            await server.import_xml(str(path))
    return {uri: await server.get_namespace_index(uri) for uri, _ in NODESETS}


def design_rate(spec: StationSpec) -> float:
    """Operations per minute the station is designed for: servers x 60 / mean cycle."""
    cycle = spec.cycle
    means = [d.mean_value for d in cycle.values()] if isinstance(cycle, dict) else \
        [cycle.mean_value]
    mean = sum(means) / len(means)
    return spec.servers * 60.0 / mean if mean > 0 else 0.0


async def build_space(server: Server, plant: Plant, namespace_uri: str,
                      manufacturer: str) -> PlantSpace:
    """Import the companion models and build the plant's machines and robots."""
    nsi = await load_nodesets(server)
    ns = await server.register_namespace(namespace_uri)
    scratch = await server.nodes.objects.add_object(node_id("__templates__", ns),
                                                    ua.QualifiedName("__templates__", ns))
    station_t = await _station_template(server, scratch, nsi, ns)
    system_t, robot_t = await _robot_templates(server, scratch, nsi, ns)
    await _delete_tree(server.nodes.objects, scratch)

    machines = server.get_node(node_id(_MACHINES, nsi[MACHINERY]))
    device_set = server.get_node(node_id(_DEVICE_SET, nsi[DI]))
    robots: dict[str, int] = {}
    for spec in plant.stations:
        prefix = child_id("Machines", spec.id)
        await station_t.clone(machines, node_id(ObjectIds.Organizes), ns, prefix,
                              ua.QualifiedName(spec.id, ns), spec.name or spec.id)
        await _write_identification(server, plant, spec, ns, prefix, namespace_uri,
                                    manufacturer)
        count = await _add_robots(server, device_set, system_t, robot_t, plant, spec, ns,
                                  manufacturer)
        if count:
            robots[spec.id] = count
    states = await _state_nodes(server, nsi)
    return PlantSpace(ns, namespace_uri, tuple(s.id for s in plant.stations), robots, states)


# -- templates ---------------------------------------------------------------------------
async def _station_template(server: Server, scratch: Node, nsi: dict[str, int],
                            ns: int) -> Template:
    """One machine built by instantiating the companion types; captured, then deleted."""
    mi, di, pk = nsi[MACHINERY], nsi[DI], nsi[PACKML]
    machine = await scratch.add_object(node_id(None, ns), ua.QualifiedName("T", ns))
    ident = await _add_in(machine, server.get_node(node_id(_MACHINE_IDENTIFICATION, mi)),
                          ua.QualifiedName("Identification", di), ns)
    for bname, value in ((ua.QualifiedName("ComponentName", di), ua.LocalizedText("")),
                         (ua.QualifiedName("AssetId", di), ""),
                         (ua.QualifiedName("Location", mi), "")):
        await ident.add_property(node_id(None, ns), bname, value)
    blocks = await machine.add_folder(node_id(None, ns),
                                      ua.QualifiedName("MachineryBuildingBlocks", mi))
    await blocks.add_reference(ident, ObjectIds.HasAddIn, bidirectional=False)
    await _add_in(blocks, server.get_node(node_id(_ITEM_STATE, mi)),
                  ua.QualifiedName("MachineryItemState", mi), ns)
    await _add_in(blocks, server.get_node(node_id(_OPERATION_MODE, mi)),
                  ua.QualifiedName("MachineryOperationMode", mi), ns)
    counters = await _add_in(blocks, server.get_node(node_id(_OPERATION_COUNTERS, mi)),
                             ua.QualifiedName("OperationCounters", di), ns)
    await counters.add_property(node_id(None, ns),
                                ua.QualifiedName("OperationCycleCounter", di),
                                ua.Variant(0, ua.VariantType.UInt64),
                                datatype=node_id(ObjectIds.UInteger))
    for name in ("OperationDuration", "PowerOnDuration"):
        await counters.add_property(node_id(None, ns), ua.QualifiedName(name, di),
                                    ua.Variant(0.0, ua.VariantType.Double),
                                    datatype=node_id(ObjectIds.Duration))
    packml = (await instantiate(machine, server.get_node(node_id(_PACKML_BASE, pk)),
                                bname=ua.QualifiedName("PackML", ns), idx=ns,
                                instantiate_optional=False))[0]
    machine_sm = await packml.get_child([f"{pk}:BaseStateMachine", f"{pk}:MachineState"])
    execute_sm = await machine_sm.get_child(f"{pk}:ExecuteState")
    for sm, sm_type, names in ((machine_sm, _PACKML_MACHINE_SM, ("Stop", "Reset")),
                               (execute_sm, _PACKML_EXECUTE_SM, ("Start",))):
        for name in names:
            decl = await server.get_node(node_id(sm_type, pk)).get_child(f"{pk}:{name}")
            await copy_node(sm, decl)
    return await Template.capture(machine)


async def _robot_templates(server: Server, scratch: Node, nsi: dict[str, int],
                           ns: int) -> tuple[Template, Template]:
    """A motion device system (one controller, one safety state) and a motion device.

    Their folders hold MandatoryPlaceholders, which ``instantiate`` creates as literal
    ``<ControllerIdentifier>`` objects: the system's controller and safety state are
    renamed to ``Controller`` and ``SafetyState``; its ``<MotionDeviceIdentifier>`` is
    removed (the robots are cloned in). A robot's ``<AxisIdentifier>`` and
    ``<PowerTrainIdentifier>`` are removed: the twin models no joints.
    """
    rb = nsi[ROBOTICS]
    system = (await instantiate(scratch, server.get_node(node_id(_MOTION_DEVICE_SYSTEM, rb)),
                                bname=ua.QualifiedName("S", ns), idx=ns,
                                instantiate_optional=False))[0]
    robot = (await instantiate(scratch, server.get_node(node_id(_MOTION_DEVICE, rb)),
                               bname=ua.QualifiedName("R", ns), idx=ns,
                               instantiate_optional=False))[0]
    for node, folder, new_name in ((system, "MotionDevices", None),
                                   (system, "Controllers", "Controller"),
                                   (system, "SafetyStates", "SafetyState"),
                                   (robot, "Axes", None), (robot, "PowerTrains", None)):
        parent = await node.get_child(f"{rb}:{folder}")
        for placeholder in await parent.get_children():
            if new_name is None:
                await _delete_tree(parent, placeholder)
            else:
                await _rename(server, placeholder, ua.QualifiedName(new_name, rb))
    return await Template.capture(system), await Template.capture(robot)


async def _rename(server: Server, node: Node, bname: ua.QualifiedName) -> None:
    await write_value(server, node.nodeid, ua.Variant(bname), attr=AttributeIds.BrowseName)
    await write_value(server, node.nodeid, ua.Variant(ua.LocalizedText(bname.Name)),
                      attr=AttributeIds.DisplayName)


async def _delete_tree(parent: Node, root: Node) -> None:
    """Delete ``root`` (a child of ``parent``) and everything below it.

    Nothing outside the tree points into it but ``parent`` (instances reference their
    types forward only), so the nodes are deleted without asyncua's scan of the whole
    address space for references to each (which took 1.6 s for the templates).
    """
    found: dict[ua.NodeId, Node] = {}
    todo = [root]
    while todo:
        node = todo.pop()
        if node.nodeid not in found:
            found[node.nodeid] = node
            todo.extend(await node.get_children())
    for ref in await parent.get_references(direction=ua.BrowseDirection.Forward):
        if ref.NodeId == root.nodeid:
            await parent.delete_reference(root, ref.ReferenceTypeId, bidirectional=False)
    _, results = await delete_nodes(root.session, list(found.values()),
                                    delete_target_references=False)
    for status in results:
        status.check()


async def _add_in(parent: Node, type_node: Node, bname: ua.QualifiedName, ns: int) -> Node:
    """Instantiate ``type_node`` under ``parent`` and reference it with HasAddIn."""
    node: Node = (await instantiate(parent, type_node, bname=bname, idx=ns,
                                    instantiate_optional=False))[0]
    for ref in (ObjectIds.HasComponent, ObjectIds.Organizes):
        refs = await parent.get_references(refs=ref, direction=ua.BrowseDirection.Forward,
                                           includesubtypes=False)
        if any(r.NodeId == node.nodeid for r in refs):
            await parent.delete_reference(node, ref)
    await parent.add_reference(node, ObjectIds.HasAddIn)
    return node


# -- instances -----------------------------------------------------------------------------
async def _write_identification(server: Server, plant: Plant, spec: StationSpec, ns: int,
                                prefix: str, namespace_uri: str, manufacturer: str) -> None:
    shop = next((s for s in plant.shops if s.id == spec.shop), None)
    values: dict[str, Any] = {
        "Manufacturer": ua.LocalizedText(manufacturer),
        "SerialNumber": f"{plant.name}.{spec.id}",
        "ProductInstanceUri": f"{namespace_uri}:station:{spec.id}",
        "ComponentName": ua.LocalizedText(spec.name or spec.id),
        "AssetId": spec.id,
        "Location": (shop.name or shop.id) if shop else spec.shop,
    }
    await _write_all(server, ns, child_id(prefix, *IDENTIFICATION), values)


async def _add_robots(server: Server, device_set: Node, system_t: Template, robot_t: Template,
                      plant: Plant, spec: StationSpec, ns: int, manufacturer: str) -> int:
    if not spec.robots:
        return 0
    prefix = child_id("DeviceSet", spec.id)
    await system_t.clone(device_set, node_id(ObjectIds.HasComponent), ns, prefix,
                         ua.QualifiedName(spec.id, ns), f"{spec.name or spec.id} robots")
    folder = server.get_node(node_id(child_id(prefix, "MotionDevices"), ns))
    n = 0
    for group in spec.robots:
        for _ in range(group.count):
            n += 1
            name = f"R{n:02d}"
            robot = child_id(prefix, "MotionDevices", name)
            await robot_t.clone(folder, node_id(ObjectIds.HasComponent), ns, robot,
                                ua.QualifiedName(name, ns), f"{spec.id} {name} ({group.type})")
            await _write_all(server, ns, robot, {
                "Manufacturer": ua.LocalizedText(manufacturer),
                "Model": ua.LocalizedText(group.model or f"{group.type} robot"),
                "ProductCode": group.type,
                "SerialNumber": f"{plant.name}.{spec.id}.{name}",
                "MotionDeviceCategory": ua.Variant(ARTICULATED_ROBOT, ua.VariantType.Int32),
                "ParameterSet/SpeedOverride": 100.0,
            })
    await _write_all(server, ns, prefix, {
        "Controllers/Controller/Manufacturer": ua.LocalizedText(manufacturer),
        "Controllers/Controller/Model": ua.LocalizedText("twin cell controller"),
        "Controllers/Controller/ProductCode": "twin",
        "Controllers/Controller/SerialNumber": f"{plant.name}.{spec.id}.controller",
        "Controllers/Controller/CurrentUser/Level": "automatic",
        "SafetyStates/SafetyState/ParameterSet/OperationalMode":
            ua.Variant(AUTOMATIC, ua.VariantType.Int32),
        "SafetyStates/SafetyState/ParameterSet/EmergencyStop": False,
        "SafetyStates/SafetyState/ParameterSet/ProtectiveStop": False,
    })
    return n


async def _write_all(server: Server, ns: int, prefix: str, values: dict[str, Any]) -> None:
    for path, value in values.items():
        variant = value if isinstance(value, ua.Variant) else ua.Variant(value)
        await write_value(server, node_id(child_id(prefix, path), ns), variant)


async def _state_nodes(server: Server, nsi: dict[str, int]) -> dict[str, ua.NodeId]:
    """The State objects of the five state machine types, by name (names do not clash)."""
    types = [(nsi[MACHINERY], _ITEM_STATE), (nsi[MACHINERY], _OPERATION_MODE),
             (nsi[PACKML], _PACKML_BASE_SM), (nsi[PACKML], _PACKML_MACHINE_SM),
             (nsi[PACKML], _PACKML_EXECUTE_SM)]
    state_types = {node_id(ObjectIds.StateType), node_id(ObjectIds.InitialStateType)}
    out: dict[str, ua.NodeId] = {}
    for ns, ident in types:
        for desc in await server.get_node(node_id(ident, ns)).get_children_descriptions(
                refs=ObjectIds.HasComponent):
            if desc.TypeDefinition in state_types:
                name = desc.BrowseName.Name
                if name in out:
                    raise ValueError(f"state name {name!r} is used by two state machines")
                out[name] = ua.NodeId(desc.NodeId.Identifier, desc.NodeId.NamespaceIndex,
                                      desc.NodeId.NodeIdType)
    return out
