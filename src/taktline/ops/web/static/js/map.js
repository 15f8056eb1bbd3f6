// The plant map (stations coloured by state, buffer fill levels) and the AGV floor.
import { s, clear, COLOUR, STATES, h } from "./svg.js";

const BOX_W = 0.8, BOX_H = 0.42, GAUGE_W = 0.1, GAUGE_H = 0.32;
const ROW = 0.72;  // rows of the automatic layout are closer than its columns
const MIN_W = 12, MIN_H = 5.5, MIN_FLOOR_M = 120;

// the automatic layout's rows are drawn closer than its columns; a plant's own layout
// comes from the service already in map units
const scaleOf = (m) => (m.source === "automatic" ? [1, ROW] : [1, 1]);

export class PlantMap {
  constructor(svg, onStation) {
    this.svg = svg;
    this.onStation = onStation;
    this.st = new Map();   // id -> {g, rect}
    this.buf = new Map();  // id -> {level rect, capacity, text}
  }

  draw(m, plant) {
    const [kx, ky] = scaleOf(m);
    const X = (x) => x * kx, Y = (y) => y * ky;
    const [x0, y0, x1, y1] = m.bounds;
    clear(this.svg);
    // a small plant is not blown up: the view is at least MIN_W columns by MIN_H rows
    const w = X(x1) - X(x0) + 0.8, hgt = Y(y1) - Y(y0) + 1.0;
    const vw = Math.max(w, MIN_W), vh = Math.max(hgt, MIN_H);
    this.svg.setAttribute("viewBox", `${X(x0) - 0.4 - (vw - w) / 2} ${Y(y0) - 0.6 - (vh - hgt) / 2} ${vw} ${vh}`);
    this.svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    const names = Object.fromEntries(plant.stations.map((st) => [st.id, st.name || st.id]));
    const shopOf = Object.fromEntries(plant.stations.map((st) => [st.id, st.shop]));
    const pos = new Map();
    for (const st of m.stations) pos.set(st.id, [X(st.x), Y(st.y)]);
    for (const b of m.buffers) pos.set(b.id, [X(b.x), Y(b.y)]);
    const gShops = s("g", { class: "shops" });
    for (const sh of m.shops) {
      gShops.append(s("rect", { x: X(sh.x) + 0.04, y: Y(sh.y) + 0.04, width: X(sh.w) - 0.08, height: Y(sh.h) - 0.08, rx: 0.08, class: "shop" }));
      gShops.append(s("text", { x: X(sh.x) + 0.08, y: Y(sh.y) - 0.1, class: "shop-name", text: sh.name.toUpperCase() }));
    }
    const gLinks = s("g", { class: "links" });
    for (const l of m.links) {
      const a = pos.get(l.from), b = pos.get(l.to);
      if (!a || !b) continue;
      const far = Math.abs(a[1] - b[1]) > 1.5 || Math.abs(a[0] - b[0]) > 3;
      gLinks.append(s("line", { x1: a[0], y1: a[1], x2: b[0], y2: b[1], class: `link ${l.kind}${far ? " far" : ""}` }));
    }
    const gBufs = s("g", { class: "buffers" });
    for (const b of m.buffers) {
      const [x, y] = pos.get(b.id);
      const level = s("rect", { x: x - GAUGE_W / 2, y: y + GAUGE_H / 2, width: GAUGE_W, height: 0, class: "gauge-level" });
      // the level as a number too, unless another buffer stands right beside this one
      const crowded = m.buffers.some((o) => o !== b && Math.abs(X(o.x) - x) < 0.3 && Math.abs(Y(o.y) - y) < 0.2);
      const text = s("text", { x: x, y: y + GAUGE_H / 2 + 0.16, class: crowded ? "gauge-text crowded" : "gauge-text", text: "" });
      const g = s("g", { class: "buffer", "data-id": b.id }, [
        s("title", { text: b.id }),
        s("rect", { x: x - GAUGE_W / 2, y: y - GAUGE_H / 2, width: GAUGE_W, height: GAUGE_H, class: "gauge" }),
        level, text]);
      gBufs.append(g);
      this.buf.set(b.id, { level, text, capacity: b.capacity, y, g });
    }
    const gSt = s("g", { class: "stations" });
    for (const st of m.stations) {
      const [x, y] = pos.get(st.id);
      const rect = s("rect", { x: x - BOX_W / 2, y: y - BOX_H / 2, width: BOX_W, height: BOX_H, rx: 0.05, class: "box", fill: COLOUR.starved });
      const label = st.id.length > 10 ? st.id.slice(0, 9) + "…" : st.id;
      const g = s("g", { class: "station", "data-id": st.id, "data-state": "starved", "data-shop": shopOf[st.id], tabindex: "0" }, [
        s("title", { text: `${names[st.id]} (${st.id})` }), rect,
        s("text", { x, y: y + 0.045, class: "st-label", text: label })]);
      g.addEventListener("click", (ev) => this.onStation(st.id, ev));
      g.addEventListener("keydown", (ev) => { if (ev.key === "Enter") this.onStation(st.id, ev); });
      gSt.append(g);
      this.st.set(st.id, { g, rect });
    }
    this.svg.append(gShops, gLinks, gBufs, gSt);
  }

  setState(id, state) {
    const e = this.st.get(id);
    if (!e) return;
    e.g.setAttribute("data-state", state);
    e.rect.setAttribute("fill", COLOUR[state] || COLOUR.starved);
  }

  setLevels(levels) {
    for (const [id, level] of Object.entries(levels)) {
      const e = this.buf.get(id);
      if (!e) continue;
      const share = e.capacity ? Math.min(1, level / e.capacity) : Math.min(1, level / 10);
      const hgt = GAUGE_H * share;
      e.level.setAttribute("height", hgt);
      e.level.setAttribute("y", e.y + GAUGE_H / 2 - hgt);
      e.level.setAttribute("class", share >= 0.999 ? "gauge-level full" : "gauge-level");
      e.text.textContent = level ? String(level) : "";
      e.g.firstChild.textContent = `${id}: ${level}${e.capacity ? " of " + e.capacity : ""}`;
      e.g.setAttribute("data-level", String(level));
    }
  }
}

export function legend(el) {
  clear(el);
  for (const [key, colour, label] of STATES) {
    const sw = h("i", { class: "sw" });
    sw.style.background = colour;
    el.append(h("span", { class: "lg", "data-state": key }, [sw, label]));
  }
  const sw = h("i", { class: "sw gauge-sw" });
  el.append(h("span", { class: "lg" }, [sw, "buffer fill"]));
}

// ---- the AGV floor: the fleet's path network in metres, AGVs moving along it ----

export class AgvFloor {
  constructor(svg) {
    this.svg = svg;
    this.nodes = new Map();
    this.agvs = new Map();  // "fleet/agv" -> {g, data, t}
    this.guessed = new Set();  // keys placed from the driver's snapshot
    this.layer = null;
  }

  draw(fleets) {
    clear(this.svg);
    this.nodes.clear();
    this.agvs.clear();
    this.guessed.clear();
    if (!fleets.length) {
      this.svg.append(s("text", { x: 200, y: 100, class: "empty", text: "no AGV fleet in this plant" }));
      this.svg.setAttribute("viewBox", "0 0 400 200");
      return;
    }
    let xs = [], ys = [];
    for (const f of fleets) for (const n of f.nodes) { xs.push(n.x); ys.push(n.y); }
    const pad = 12;
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const w = Math.max(x1 - x0 + 2 * pad, MIN_FLOOR_M), hgt = Math.max(y1 - y0 + 2 * pad, MIN_FLOOR_M / 2);
    this.svg.setAttribute("viewBox", `${(x0 + x1 - w) / 2} ${(y0 + y1 - hgt) / 2} ${w} ${hgt}`);
    this.svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    const gE = s("g", { class: "agv-edges" }), gN = s("g", { class: "agv-nodes" });
    for (const f of fleets) {
      const by = new Map(f.nodes.map((n) => [n.id, n]));
      const atNode = {};
      for (const [b, n] of Object.entries(f.buffers || {})) (atNode[n] ||= []).push(b);
      for (const e of f.edges) {
        const a = by.get(e.from), b = by.get(e.to);
        if (a && b) gE.append(s("line", { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: e.two_way === false ? "agv-edge one" : "agv-edge" }));
      }
      for (const n of f.nodes) {
        this.nodes.set(`${f.id}/${n.id}`, n);
        gN.append(s("g", { class: n.charger ? "agv-node charger" : "agv-node" }, [
          n.charger ? s("rect", { x: n.x - 3, y: n.y - 3, width: 6, height: 6 }) : s("circle", { cx: n.x, cy: n.y, r: 2.4 }),
          s("text", { x: n.x + 3.5, y: n.y - 3.5, class: "agv-label", text: (atNode[n.id] || [n.id]).join(", ") })]));
      }
    }
    this.layer = s("g", { class: "agv-fleet" });
    this.svg.append(gE, gN, this.layer);
  }

  // one AGV's latest report (contract: fleet, agv, state, node, next, x, y, eta_t, ...);
  // `guess` marks a position from the plant driver's snapshot: the first report of the
  // fleet manager replaces all of those
  update(d, t, guess = false) {
    if (!this.layer) return;
    if (!guess && this.guessed.size) {
      for (const key of this.guessed) { this.agvs.get(key)?.g.remove(); this.agvs.delete(key); }
      this.guessed.clear();
    }
    const key = `${d.fleet}/${d.agv}`;
    if (guess) this.guessed.add(key);
    let e = this.agvs.get(key);
    if (!e) {
      const body = s("circle", { r: 4.2, class: "agv-body" });
      const tag = s("text", { class: "agv-tag", text: String(d.agv).slice(-3) });
      const g = s("g", { class: "agv", "data-agv": String(d.agv) }, [s("title", { text: "" }), body, tag]);
      this.layer.append(g);
      e = { g, tag };
      this.agvs.set(key, e);
    }
    let x = d.x, y = d.y;
    if ((x === undefined || x === null) && d.node) {
      const n = this.nodes.get(`${d.fleet}/${d.node}`);
      if (n) { x = n.x; y = n.y; }
    }
    e.data = { ...d, x, y, t };
    e.g.setAttribute("data-state", d.state || "idle");
    if (this.now !== undefined) this.tick(this.now);  // drawn where it is now, not at the next tick
    e.g.firstChild.textContent = `AGV ${d.agv} · ${d.state || "?"} · ${d.node || ""}${d.next ? " → " + d.next : ""}${d.battery != null ? " · " + Math.round(d.battery) + " %" : ""}`;
  }

  // place every AGV at plant time `now`: from its last point towards the next node,
  // arriving at eta_t
  tick(now) {
    this.now = now;
    const taken = new Map();  // AGVs on one spot stand side by side
    for (const e of this.agvs.values()) {
      const d = e.data;
      if (!d || d.x === undefined || d.x === null) continue;
      let x = d.x, y = d.y;
      const n = d.next ? this.nodes.get(`${d.fleet}/${d.next}`) : null;
      if (n && d.eta_t != null && d.eta_t > d.t) {
        const f = Math.max(0, Math.min(1, (now - d.t) / (d.eta_t - d.t)));
        x = d.x + (n.x - d.x) * f;
        y = d.y + (n.y - d.y) * f;
      }
      const spot = `${Math.round(x)},${Math.round(y)}`;
      const k = taken.get(spot) || 0;
      taken.set(spot, k + 1);
      x += 8 * (k % 5);
      y += 8 * Math.floor(k / 5);
      e.g.setAttribute("transform", `translate(${x.toFixed(2)} ${y.toFixed(2)})`);
    }
  }

  get count() { return this.agvs.size; }
}
