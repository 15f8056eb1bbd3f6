// An independent OPC UA peer for taktline's server: node-opcua-client (see package.json).
//
// Usage: node client.js CONFIG.json
//   CONFIG: {endpoint, namespaceUri, station, user, password, viewer, viewerPassword,
//            pkiDir, watchSeconds}
//
// Every step prints one JSON line on stdout ({"step": ..., ...}); the pytest side
// (tests/ops/test_opcua_interop.py) asserts on them. Human-readable progress goes to
// stderr. Exits 1 on an unexpected error, after printing {"step": "error", ...}.
"use strict";

const fs = require("fs");
const path = require("path");
const {
    OPCUAClient, MessageSecurityMode, SecurityPolicy, AttributeIds, UserTokenType, DataType,
    VariantArrayType, TimestampsToReturn, ClientMonitoredItem, makeBrowsePath, BrowseDirection,
} = require("node-opcua-client");
const { OPCUACertificateManager } = require("node-opcua-certificate-manager");

const MACHINERY = "http://opcfoundation.org/UA/Machinery/";
const DI = "http://opcfoundation.org/UA/DI/";
const PACKML = "http://opcfoundation.org/UA/PackML/";
const NAMESPACE_ARRAY = "ns=0;i=2255";

const cfg = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const out = (step, data) => process.stdout.write(JSON.stringify({ step, ...data }) + "\n");
const say = (...a) => process.stderr.write(a.join(" ") + "\n");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function makeClient(name) {
    const certificateManager = new OPCUACertificateManager({
        rootFolder: path.join(cfg.pkiDir, name),
        automaticallyAcceptUnknownCertificate: true,
    });
    return OPCUAClient.create({
        applicationName: `taktline-interop-${name}`,
        applicationUri: `urn:taktline:interop:node-opcua:${name}`,
        clientCertificateManager: certificateManager,
        securityMode: MessageSecurityMode.SignAndEncrypt,
        securityPolicy: SecurityPolicy.Basic256Sha256,
        endpointMustExist: false,
        connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
        requestedSessionTimeout: 60000,
    });
}

async function namespaces(session) {
    const dv = await session.read({ nodeId: NAMESPACE_ARRAY, attributeId: AttributeIds.Value });
    const arr = dv.value.value;
    const idx = (uri) => arr.indexOf(uri);
    return { plant: idx(cfg.namespaceUri), machinery: idx(MACHINERY), di: idx(DI), packml: idx(PACKML) };
}

// one relative path, resolved by the server (TranslateBrowsePathsToNodeIds)
async function resolve(session, start, relative) {
    const result = await session.translateBrowsePath(makeBrowsePath(start, relative));
    if (!result.statusCode.isGood() || result.targets.length === 0) {
        throw new Error(`cannot resolve ${start}${relative}: ${result.statusCode.toString()}`);
    }
    return result.targets[0].targetId.toString();
}

async function readText(session, nodeId) {
    const dv = await session.read({ nodeId, attributeId: AttributeIds.Value });
    const v = dv.value.value;
    return { status: dv.statusCode.name, value: v && v.text !== undefined ? v.text : v };
}

async function securedSteps() {
    const client = makeClient("operator");
    await client.connect(cfg.endpoint);
    const endpoints = await client.getEndpoints();
    out("endpoints", {
        endpoints: endpoints.map((e) => ({
            policy: e.securityPolicyUri.split("#")[1],
            mode: MessageSecurityMode[e.securityMode],
            tokens: e.userIdentityTokens.map((t) => UserTokenType[t.tokenType]),
        })),
    });
    const session = await client.createSession({
        type: UserTokenType.UserName, userName: cfg.user, password: cfg.password,
    });
    say("session as", cfg.user, "over", client.securityPolicy, MessageSecurityMode[client.securityMode]);
    out("session", { user: cfg.user, policy: client.securityPolicy,
                     mode: MessageSecurityMode[client.securityMode] });
    const n = await namespaces(session);
    out("namespaces", n);

    // browse Machines (OPC 40001-1 entry point)
    const machines = `ns=${n.machinery};i=1001`;
    const browsed = await session.browse({
        nodeId: machines, browseDirection: BrowseDirection.Forward, resultMask: 63,
        referenceTypeId: "HierarchicalReferences", includeSubtypes: true,
    });
    const stations = browsed.references.map((r) => ({
        browseName: r.browseName.toString(), displayName: r.displayName.text,
        nodeId: r.nodeId.toString(),
    }));
    out("browse", { status: browsed.statusCode.name, machines: stations });
    say("Machines:", stations.map((s) => s.browseName).join(", "));

    // identification of one station, by the spec's browse path
    const machine = await resolve(session, machines, `/${n.plant}:${cfg.station}`);
    const ident = {};
    for (const [name, nsi] of [["Manufacturer", n.di], ["SerialNumber", n.di],
                               ["ProductInstanceUri", n.di], ["ComponentName", n.di],
                               ["Location", n.machinery]]) {
        const id = await resolve(session, machine, `/${n.di}:Identification/${nsi}:${name}`);
        ident[name] = (await readText(session, id)).value;
    }
    out("identification", { station: cfg.station, ...ident });
    say("Identification:", JSON.stringify(ident));

    // subscribe to the station's state while the twin runs
    const itemState = await resolve(session, machine,
        `/${n.machinery}:MachineryBuildingBlocks/${n.machinery}:MachineryItemState/0:CurrentState`);
    const execState = await resolve(session, machine,
        `/${n.plant}:PackML/${n.packml}:BaseStateMachine/${n.packml}:MachineState/${n.packml}:ExecuteState/0:CurrentState`);
    const machineState = await resolve(session, machine,
        `/${n.plant}:PackML/${n.packml}:BaseStateMachine/${n.packml}:MachineState/0:CurrentState`);
    const starved = await resolve(session, machine,
        `/${n.plant}:PackML/${n.packml}:Status/${n.packml}:EquipmentStarved`);
    const subscription = await session.createSubscription2({
        requestedPublishingInterval: 100, requestedLifetimeCount: 600,
        requestedMaxKeepAliveCount: 20, maxNotificationsPerPublish: 100,
        publishingEnabled: true, priority: 1,
    });
    const changes = [];
    for (const [label, nodeId] of [["MachineryItemState", itemState], ["PackML.ExecuteState", execState],
                                   ["PackML.EquipmentStarved", starved]]) {
        const item = ClientMonitoredItem.create(subscription,
            { nodeId, attributeId: AttributeIds.Value },
            { samplingInterval: 50, discardOldest: true, queueSize: 10 },
            TimestampsToReturn.Both);
        item.on("changed", (dv) => {
            const v = dv.value.value;
            changes.push({ node: label, status: dv.statusCode.name,
                           value: v && v.text !== undefined ? v.text : v,
                           source: dv.sourceTimestamp && dv.sourceTimestamp.toISOString() });
        });
    }
    await sleep(cfg.watchSeconds * 1000);
    out("subscription", { station: cfg.station, changes });
    say("notifications:", changes.length);

    // Stop the station (PackML MachineState.Stop), see the plant stop it, then Start it
    const machineSm = await resolve(session, machine,
        `/${n.plant}:PackML/${n.packml}:BaseStateMachine/${n.packml}:MachineState`);
    const stop = await resolve(session, machineSm, `/${n.packml}:Stop`);
    const stopResult = await session.call({ objectId: machineSm, methodId: stop, inputArguments: [] });
    await sleep(600);
    out("stop", {
        status: stopResult.statusCode.name,
        machineState: (await readText(session, machineState)).value,
        itemState: (await readText(session, itemState)).value,
        executeState: (await readText(session, execState)).status,
    });
    const execSm = await resolve(session, machineSm, `/${n.packml}:ExecuteState`);
    const start = await resolve(session, execSm, `/${n.packml}:Start`);
    const startResult = await session.call({
        objectId: execSm, methodId: start,
        inputArguments: [{ dataType: DataType.ExtensionObject, arrayType: VariantArrayType.Array, value: [] }],
    });
    await sleep(600);
    out("start", { status: startResult.statusCode.name,
                   machineState: (await readText(session, machineState)).value });

    // an operator may not write either: the plant is commanded through methods
    const serial = await resolve(session, machine, `/${n.di}:Identification/${n.di}:SerialNumber`);
    out("operator_write", { status: await tryWrite(session, serial) });
    await subscription.terminate();
    await session.close();
    await client.disconnect();
    return { serial, machineSm, stop };
}

async function tryWrite(session, nodeId) {
    try {
        const status = await session.write({
            nodeId, attributeId: AttributeIds.Value,
            value: { value: { dataType: DataType.String, value: "tampered" } },
        });
        return status.name;
    } catch (err) {
        return (err.message.match(/Bad\w+/) || [err.message])[0];
    }
}

async function refusedSteps(ids) {
    // anonymous: read yes, write and call no
    const client = makeClient("anonymous");
    await client.connect(cfg.endpoint);
    const anon = await client.createSession();
    const read = await readText(anon, ids.serial);
    const write = await tryWrite(anon, ids.serial);
    let call;
    try {
        call = (await anon.call({ objectId: ids.machineSm, methodId: ids.stop, inputArguments: [] })).statusCode.name;
    } catch (err) {
        call = (err.message.match(/Bad\w+/) || [err.message])[0];
    }
    out("anonymous", { read: read.status, value: read.value, write, call });
    await anon.close();

    // a viewer may read but not command
    const viewer = await client.createSession({
        type: UserTokenType.UserName, userName: cfg.viewer, password: cfg.viewerPassword,
    });
    let viewerCall;
    try {
        viewerCall = (await viewer.call({ objectId: ids.machineSm, methodId: ids.stop, inputArguments: [] })).statusCode.name;
    } catch (err) {
        viewerCall = (err.message.match(/Bad\w+/) || [err.message])[0];
    }
    out("viewer", { read: (await readText(viewer, ids.serial)).status, call: viewerCall });
    await viewer.close();

    // a wrong password gets no session
    let wrong = "session created";
    try {
        const s = await client.createSession({
            type: UserTokenType.UserName, userName: cfg.user, password: "wrong-password",
        });
        await s.close();
    } catch (err) {
        wrong = (err.message.match(/Bad\w+/) || [err.message])[0];
    }
    out("wrong_password", { result: wrong });
    await client.disconnect();
}

(async () => {
    try {
        const ids = await securedSteps();
        await refusedSteps(ids);
        out("done", {});
        process.exit(0);
    } catch (err) {
        out("error", { message: String(err && err.stack || err) });
        process.exit(1);
    }
})();
