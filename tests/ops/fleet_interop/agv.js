// An independent VDA 5050 2.0 vehicle for taktline's interop test: vda-5050-lib's
// AgvController driving its VirtualAgvAdapter, connected to an MQTT broker.
// usage: node agv.js <brokerUrl> <manufacturer> <serialNumber> <lastNodeId> <x> <y> <speed>
"use strict";
const { AgvController, VirtualAgvAdapter } = require("vda-5050-lib");

const [brokerUrl, manufacturer, serialNumber, lastNodeId, x, y, speed] = process.argv.slice(2);

async function main() {
    const agv = new AgvController(
        { manufacturer, serialNumber },
        { interfaceName: "uagv", transport: { brokerUrl }, vdaVersion: "2.0.0" },
        { agvAdapterType: VirtualAgvAdapter },
        {
            initialPosition: { mapId: "plant", x: Number(x), y: Number(y), theta: 0, lastNodeId },
            vehicleSpeed: Number(speed),
            timeLapse: 5,
        });
    await agv.start();
    console.log("READY");
    const stop = async () => {
        await agv.stop();
        process.exit(0);
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
