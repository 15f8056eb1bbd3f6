// Tiles, andon board, recent events, orders table, vehicle genealogy, station details.
import { get } from "./api.js";
import { h, clear, clock, dur, pct, COLOUR } from "./svg.js";

const $ = (id) => document.getElementById(id);

function setText(id, text) { $(id).textContent = text; }

export function tiles(sum) {
  setText("t-today", `${sum.vehicles_today} / ${sum.plan_so_far}`);
  setText("t-today-s", `plan so far · ${sum.plan_day} for the day (day ${sum.day})`);
  $("t-today").dataset.ok = String(sum.vehicles_today >= sum.plan_so_far * 0.95);
  setText("t-jph", sum.jph_last_hour === null ? "–" : sum.jph_last_hour.toFixed(1));
  setText("t-jph-s", `design ${sum.design_jph.toFixed(0)} JPH (takt ${sum.takt_s} s)`);
  setText("t-takt", pct(sum.takt_attainment, 1));
  setText("t-takt-s", "departures within takt");
  setText("t-oee", pct(sum.oee_plant, 1));
  const bars = clear($("t-oee-shops"));
  for (const [shop, v] of Object.entries(sum.oee_shops)) {
    const fillEl = h("i");
    fillEl.style.width = `${Math.max(0, Math.min(1, v || 0)) * 100}%`;
    bars.append(h("div", { class: "shopbar", "data-shop": shop }, [
      h("span", { class: "n", text: shop }), h("span", { class: "b" }, [fillEl]),
      h("span", { class: "p", text: pct(v, 0) })]));
  }
  setText("t-wip", String(sum.wip));
  setText("t-wip-s", `cap ${sum.wip_cap} · mean ${sum.wip_mean === null ? "–" : sum.wip_mean.toFixed(1)}`);
  setText("t-bn", sum.bottleneck ? sum.bottleneck.station : "none");
  setText("t-bn-s", sum.bottleneck ? `sole ${pct(sum.bottleneck.sole_share, 0)} · shifting ${pct(sum.bottleneck.shifting_share, 0)}` : "no station limits the line yet");
}

// the andon board: open andon events (failures, planned stops) and stations held by a
// stop command (an admin's or a fault policy's), longest first
export function andon(open, live, now) {
  const items = [...open];
  const listed = new Set(open.map((a) => a.station));
  for (const st of live ? live.stations : []) {
    if (st.state !== "stopped" || listed.has(st.id)) continue;
    const who = st.holds.length ? st.holds.join(", ") : "command";
    items.push({ station: st.id, cause: "stopped", start_t: st.since, planned: false, action: `held: ${who}`, held: true });
  }
  items.sort((a, b) => a.start_t - b.start_t);
  const ul = clear($("andon"));
  setText("andon-count", String(items.length));
  $("andon-count").toggleAttribute("data-zero", items.length === 0);
  if (!items.length) ul.append(h("li", { class: "none", text: "no active faults" }));
  for (const a of items) {
    const running = Math.max(0, now - a.start_t);
    ul.append(h("li", { class: `andon-item${a.planned ? " planned" : ""}${a.held ? " held" : ""}`, "data-station": a.station }, [
      h("span", { class: "a-st", text: a.station }),
      h("span", { class: "a-cause", text: a.cause }),
      h("span", { class: "a-dur", text: dur(running) }),
      h("span", { class: "a-act", text: a.held ? a.action : a.action ? `MES: ${a.action}` : (a.planned ? "planned" : "waiting for repair") }),
      a.note ? h("span", { class: "a-note", text: a.note }) : null]));
  }
}

function describe(e) {
  const d = e.data || {};
  switch (e.kind) {
    case "down": return [`${e.station} down`, d.cause || ""];
    case "up": return [`${e.station} up`, `${d.cause || ""} after ${dur(d.duration_s)}`];
    case "degraded": return [`${e.station} degraded`, `${d.robot || ""} out, cycle ×${Number(d.factor || 1).toFixed(2)}`];
    case "recovered": return [`${e.station} recovered`, d.robot || ""];
    case "setup": return [`${e.station} setup`, `${d.from} → ${d.to} (${dur(d.duration_s)})`];
    case "released": return ["released", e.vin || ""];
    case "dispatched": return ["dispatched", `${e.vin || ""}${d.good === false ? " (failed EOL)" : ""}`];
    case "transport": return ["AGV transport", `${d.agv ?? ""} ${d.from ?? ""} → ${d.to ?? ""}`];
    case "mes.decision": return [`MES ${d.action}`, d.reason || d.subject || ""];
    default: return null;
  }
}

export class EventList {
  constructor(max = 60) { this.max = max; this.ul = $("events"); }

  add(events) {
    for (const e of events) {
      const text = describe(e);
      if (!text) continue;
      const li = h("li", { class: `ev ev-${e.kind.replace(".", "-")}`, "data-id": String(e.id) }, [
        h("span", { class: "e-t", text: clock(e.t).replace(/^day \d+ /, "") }),
        h("span", { class: "e-k", text: text[0] }), h("span", { class: "e-d", text: text[1] })]);
      this.ul.prepend(li);
    }
    while (this.ul.children.length > this.max) this.ul.lastChild.remove();
  }
}

export async function orders(onVehicle) {
  const params = { q: $("o-q").value.trim(), status: $("o-status").value, variant: $("o-variant").value, colour: $("o-colour").value, limit: 100 };
  const page = await get("/dashboard/orders", params);
  setText("o-count", `${page.items.length} of ${page.count}`);
  const tb = clear($("orders").tBodies[0]);
  for (const o of page.items) {
    const bar = h("i");
    bar.style.width = `${Math.round(o.progress * 100)}%`;
    const vin = o.vin ? h("button", { class: "link vin", type: "button", "data-vin": o.vin, text: o.vin, onclick: () => onVehicle(o.vin) }) : h("span", { class: "muted", text: "–" });
    tb.append(h("tr", { "data-order": o.order_id }, [
      h("td", { class: "mono", text: o.order_id }), h("td", { text: o.variant }), h("td", { text: o.colour }),
      h("td", { class: "opts", text: o.options.join(", ") }),
      h("td", {}, [h("span", { class: `status s-${o.status}`, text: o.status })]),
      h("td", {}, [vin]), h("td", { class: "mono", text: o.location || (o.vehicle_state === "completed" ? "dispatched" : "–") }),
      h("td", { class: "prog" }, [h("span", { class: "progress" }, [bar]), h("span", { class: "pv", text: `${Math.round(o.progress * 100)}%` })])]));
  }
}

export async function vehicle(vin) {
  const v = await get(`/vehicles/${vin}`);
  setText("v-title", `Vehicle ${v.vin}`);
  const facts = clear($("v-facts"));
  const battery = v.parts.find((p) => p.part === "battery_pack");
  const fact = (k, val) => h("div", { class: "fact" }, [h("span", { class: "k", text: k }), h("span", { class: "v", text: val })]);
  facts.append(fact("order", v.order_id), fact("variant", v.variant), fact("colour", v.colour),
    fact("options", v.options.join(", ") || "none"), fact("state", v.state), fact("location", v.location || "–"),
    fact("battery serial", battery ? battery.serial : v.state === "completed" ? "none recorded" : "none yet"),
    fact("quality", v.eol_result ? `${v.eol_result}${v.first_pass ? " (first pass)" : v.first_pass === false ? " (after rework)" : ""}` : "not tested yet"),
    fact("released", clock(v.released_t)), fact("completed", v.completed_t === null ? "–" : clock(v.completed_t)));
  const tl = clear($("v-timeline"));
  const t0 = v.released_t, t1 = Math.max(...v.history.map((st) => st.finished_t ?? st.started_t), t0 + 1);
  for (const st of v.history) {
    const bar = h("i", { class: st.good === false ? "bad" : st.finished_t === null ? "open" : "" });
    bar.style.left = `${((st.started_t - t0) / (t1 - t0)) * 100}%`;
    bar.style.width = `${Math.max(0.4, (((st.finished_t ?? t1) - st.started_t) / (t1 - t0)) * 100)}%`;
    tl.append(h("div", { class: "step", "data-station": st.station }, [
      h("span", { class: "s-n", text: st.station }),
      h("span", { class: "s-bar" }, [bar]),
      h("span", { class: "s-t", text: `${clock(st.started_t).replace(/^day \d+ /, "")} · ${st.finished_t === null ? "in work" : dur(st.finished_t - st.started_t)}${st.good === false ? " · reject" : ""}${st.interrupted ? " · interrupted" : ""}` }),
      h("span", { class: "s-r", text: st.robots.join(" ") })]));
  }
  if (!v.history.length) tl.append(h("p", { class: "muted", text: "not at a station yet" }));
  const tb = clear($("v-parts").tBodies[0]);
  for (const p of v.parts) tb.append(h("tr", {}, [h("td", { text: p.station }), h("td", { text: p.part }), h("td", { class: "mono", text: p.serial }), h("td", { class: "mono", text: p.lot || "–" })]));
  const dlg = $("vehicle");
  if (!dlg.open) dlg.showModal();
}

export async function stationPop(id, ctx) {
  const pop = $("station-pop");
  const [st, faults] = await Promise.all([get(`/stations/${id}`), get("/andon", { station: id, limit: 5 })]);
  const k = (ctx.series?.stations || []).find((x) => x.id === id);
  const sw = h("i", { class: "sw" });
  sw.style.background = COLOUR[st.state] || "#888";
  const rows = [
    h("div", { class: "pop-h" }, [h("b", { text: st.name || st.id }), h("button", { class: "ghost x", type: "button", text: "×", onclick: () => { pop.hidden = true; } })]),
    h("div", { class: "pop-state" }, [sw, h("span", { class: "state-name", text: st.state }), h("span", { class: "muted", text: ` since ${clock(st.since_t)}${st.degraded ? " · degraded" : ""}${st.held ? " · held" : ""}` })]),
    h("div", {}, [h("span", { class: "k", text: "vehicle " }), h("span", { class: "mono", text: st.vins.join(", ") || "none" })]),
    h("div", {}, [h("span", { class: "k", text: "robots " }), h("span", { class: "mono small", text: st.robots.join(" ") || "none" })]),
  ];
  if (k) {
    rows.push(h("div", {}, [h("span", { class: "k", text: "OEE " }), h("b", { text: pct(k.oee, 1) }), h("span", { class: "muted", text: ` (A ${pct(k.availability, 0)} · P ${pct(k.effectiveness, 0)} · Q ${pct(k.quality, 0)})` })]));
    const bar = h("div", { class: "sharebar" });
    for (const key of ["working", "setup", "blocked", "starved", "failed", "planned"]) {
      const v = k.shares[key] || 0;
      if (v <= 0) continue;
      const seg = h("i", { title: `${key} ${pct(v, 1)}` });
      seg.style.width = `${v * 100}%`;
      seg.style.background = COLOUR[key];
      bar.append(seg);
    }
    rows.push(bar);
  }
  rows.push(h("div", { class: "k", text: "recent faults" }));
  const ul = h("ul", { class: "pop-faults" });
  for (const a of faults.items) ul.append(h("li", { text: `${clock(a.start_t)} ${a.cause} · ${a.end_t === null ? "open" : dur(a.duration_s)}${a.action ? " · " + a.action : ""}` }));
  if (!faults.items.length) ul.append(h("li", { class: "muted", text: "none" }));
  rows.push(ul);
  if (ctx.admin) rows.push(ctx.controls(st));
  clear(pop).append(...rows);
  pop.dataset.station = id;
  pop.hidden = false;
}
