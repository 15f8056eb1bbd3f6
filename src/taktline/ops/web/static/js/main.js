// The dashboard: sign-in, initial load, the live stream, periodic refreshes, controls.
import { auth, get, send, setToken, ApiError } from "./api.js";
import { Stream } from "./stream.js";
import { PlantMap, AgvFloor, legend } from "./map.js";
import * as charts from "./charts.js";
import * as panels from "./panels.js";
import { h, clear, clock } from "./svg.js";

const $ = (id) => document.getElementById(id);
const ctx = { admin: false, series: null, live: null, wall: 0, andonDirty: false, fleetApi: false, shown: 0 };
let map, floor, stream, events;
const timers = [];

function every(ms, fn) {
  let busy = false;  // a slow answer is not asked for again before it arrives
  const run = async () => {
    if (busy) return;
    busy = true;
    try { await fn(); } catch (err) { problem(err); } finally { busy = false; }
  };
  timers.push(setInterval(run, ms));
  return run();
}

function problem(err) {
  if (err instanceof ApiError && err.status === 401) { signOut("the token is no longer valid"); return; }
  $("conn").dataset.note = String(err.message || err);
}

function plantNow() {
  if (!ctx.live) return 0;
  const estimate = ctx.live.t + ctx.live.speed * (performance.now() - ctx.wall) / 1000;
  // A busy twin runs behind its nominal speed: a new reading behind the estimate must
  // not send the clock (and the AGVs moving on it) backwards; it waits for the plant.
  ctx.shown = Math.max(ctx.shown || 0, estimate);
  return ctx.shown;
}

async function refreshLive() {
  const live = await get("/dashboard/live");
  if (live.t < (ctx.shown || 0) - 3600) ctx.shown = 0;  // a new plant clock (a restart)
  ctx.live = live;
  ctx.wall = performance.now();
  $("speed").textContent = `${live.speed.toLocaleString("en")}×`;
  const held = live.stations.filter((st) => st.state === "stopped").map((st) => st.id).join(",");
  if (held !== ctx.held) { ctx.held = held; ctx.andonDirty = true; }
  for (const st of live.stations) map.setState(st.id, st.state);
  map.setLevels(live.buffers);
  const pop = $("station-pop");  // an open station panel follows the plant too
  if (!pop.hidden && pop.dataset.station && !pop.matches(":hover")) await panels.stationPop(pop.dataset.station, ctx);
  // until the fleet manager reports AGVs ("agv" events, GET /fleet), the plant driver's
  // snapshot says at which node each AGV is
  if (!ctx.fleetSeen && !ctx.agvEvents) for (const a of live.agvs) floor.update({ fleet: a.fleet, agv: a.agv, node: a.node, state: "idle" }, live.t, true);
}

async function refreshSummary() {
  panels.tiles(await get("/dashboard/summary"));
}

async function refreshAndon() {
  const page = await get("/andon", { open: true, limit: 100 });
  panels.andon(page.items, ctx.live, plantNow());
}

async function refreshSeries() {
  const data = await get("/dashboard/series");
  ctx.series = data;
  charts.throughput($("c-tp"), data);
  $("c-tp-info").textContent = `JPH per ${Math.round((data.window_s[1] - data.window_s[0]) / data.throughput.length / 60)} min`;
  charts.stateShares($("c-states"), data.stations);
  charts.bottlenecks($("c-bn"), data.bottlenecks);
  charts.leadTime($("c-lt"), data.lead_time);
  const lt = data.lead_time;
  $("c-lt-info").textContent = lt.n ? `${lt.n} vehicles · mean ${(lt.mean_s / 3600).toFixed(1)} h · p95 ${(lt.p95_s / 3600).toFixed(1)} h` : "";
}

async function refreshFleet() {
  const data = await get("/fleet");
  for (const f of data.fleets) for (const a of f.agvs) { ctx.fleetSeen = true; floor.update(a, a.t); }
}

function onEvents(batch) {
  let andonChanged = false;
  for (const e of batch) {
    if (e.kind === "state" && e.station) map.setState(e.station, e.data.state);
    else if (e.kind === "agv") { ctx.agvEvents = true; floor.update(e.data, e.t); }
    if (["down", "up", "degraded", "recovered"].includes(e.kind) || (e.kind === "state" && ["stopped", "failed"].includes(e.data.state || e.data.previous))) andonChanged = true;
  }
  events.add(batch);
  $("conn").dataset.last = String(stream.last);
  if (andonChanged) ctx.andonDirty = true;
}

function onStatus(state) {
  const el = $("conn");
  el.dataset.state = state;
  el.textContent = { live: "live", connecting: "connecting…", reconnecting: "reconnecting…", off: "stream off" }[state] || state;
}

function speedControl() {
  const input = h("input", { id: "speed-input", type: "number", min: "0", max: "10000", step: "any", value: String(ctx.live?.speed ?? 60), "aria-label": "twin speed" });
  const btn = h("button", { id: "speed-set", type: "submit", text: "set" });
  const form = h("form", { class: "control speed-form" }, [input, btn]);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const r = await send("PUT", "/twin", { speed: Number(input.value) });
      $("speed").textContent = `${r.speed.toLocaleString("en")}×`;
      await refreshLive();
    } catch (err) { problem(err); }
  });
  return form;
}

function stationControls(st) {
  const act = async (action) => {
    try {
      await send("POST", `/stations/${st.id}/commands`, { action });
      await refreshLive();
      await refreshAndon();
      await panels.stationPop(st.id, ctx);
    } catch (err) { problem(err); }
  };
  return h("div", { class: "control station-controls" }, [
    h("button", { class: "danger", type: "button", "data-action": "stop", text: "Stop station", onclick: () => act("stop") }),
    h("button", { type: "button", "data-action": "start", text: "Start", onclick: () => act("start") }),
    h("button", { class: "ghost", type: "button", "data-action": "reset", text: "Reset", onclick: () => act("reset") })]);
}
ctx.controls = stationControls;

async function openStation(id) {
  try { await panels.stationPop(id, ctx); } catch (err) { problem(err); }
}

// a vehicle's page has its own address: #vehicle=<VIN> opens it (bookmark, share)
async function openVehicle(vin) {
  try {
    await panels.vehicle(vin);
    history.replaceState(null, "", `#vehicle=${vin}`);
  } catch (err) { problem(err); }
}

function fillSelect(id, values) {
  const sel = $(id);
  for (const v of values) sel.append(h("option", { value: v, text: v }));
}

async function start() {
  const session = await get("/dashboard/session");
  auth.role = session.role;
  ctx.admin = session.role === "admin";
  $("role").textContent = session.role;
  $("login").hidden = true;
  $("app").hidden = false;
  const [plant, m, openapi] = await Promise.all([get("/plant"), get("/dashboard/map"), fetch("/openapi.json").then((r) => r.json())]);
  $("plant-name").textContent = plant.name;
  document.title = `${plant.name} · taktline`;
  fillSelect("o-variant", plant.products.variants.map((v) => v.id));
  fillSelect("o-colour", plant.products.colours.map((c) => c.id));
  legend($("legend"));
  map = new PlantMap($("map"), openStation);
  map.draw(m, plant);
  floor = new AgvFloor($("agv"));
  floor.draw(m.fleets);
  $("agv-info").textContent = m.fleets.map((f) => `${f.id}: ${f.size} AGVs at ${f.speed} m/s`).join(" · ");
  ctx.fleetApi = Boolean(openapi.paths && openapi.paths["/api/v1/fleet"]);
  events = new panels.EventList();
  await refreshLive();
  if (ctx.admin) clear($("speed-control")).append(speedControl());
  stream = new Stream(onEvents, onStatus);
  stream.start(Math.max(0, ctx.live.last_event_id - 200));
  window.taktline = { stream, ctx, floor, map };
  timers.push(setInterval(() => {
    $("clock").textContent = clock(plantNow());
    floor.tick(plantNow());
    if (ctx.andonDirty) { ctx.andonDirty = false; refreshAndon().catch(problem); }
  }, 250));
  every(2000, refreshLive);
  every(4000, refreshSummary);
  every(3000, refreshAndon);
  every(8000, refreshSeries);
  every(5000, () => (document.activeElement === $("o-q") ? null : panels.orders(openVehicle)));
  if (ctx.fleetApi) every(10000, refreshFleet);
  const linked = /^#vehicle=([A-HJ-NPR-Z0-9]{17})$/.exec(location.hash);
  if (linked) openVehicle(linked[1]);
}

function signOut(message) {
  for (const t of timers.splice(0)) clearInterval(t);
  if (stream) stream.stop();
  setToken(null);
  $("app").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
  onStatus("off");
}

function wire() {
  $("login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    setToken($("token").value.trim());
    try { await start(); } catch (err) {
      signOut(err instanceof ApiError && err.status === 401 ? "unknown token" : String(err.message || err));
    }
  });
  $("logout").addEventListener("click", () => signOut(""));
  $("v-close").addEventListener("click", () => $("vehicle").close());
  $("vehicle").addEventListener("close", () => history.replaceState(null, "", location.pathname));
  let typing = null;
  $("order-filters").addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => panels.orders(openVehicle).catch(problem), 250);
  });
  $("order-filters").addEventListener("submit", (ev) => ev.preventDefault());
  if (auth.token) start().catch((err) => signOut(String(err.message || err)));
  else $("login").hidden = false;
}

wire();
