// The four charts, drawn as SVG: throughput over time, state shares per station
// (stacked), bottleneck ranking (sole and shifting), lead-time distribution.
import { s, clear, COLOUR, clock, dur, pct } from "./svg.js";

const W = 460, H = 200, L = 36, R = 8, T = 10, B = 26;

function frame(svg) {
  clear(svg);
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
  return svg;
}

function yAxis(svg, max, fmt) {
  for (let k = 0; k <= 4; k++) {
    const v = (max * k) / 4, y = H - B - ((H - B - T) * k) / 4;
    svg.append(s("line", { x1: L, x2: W - R, y1: y, y2: y, class: "grid" }));
    svg.append(s("text", { x: L - 4, y: y + 3, class: "ax ax-y", text: fmt(v) }));
  }
}

function empty(svg, text) {
  svg.append(s("text", { x: W / 2, y: H / 2, class: "empty", text }));
}

export function throughput(svg, data) {
  frame(svg);
  const bins = data.throughput;
  const max = Math.max(data.design_jph * 1.2, ...bins.map((b) => b.jph), 1);
  yAxis(svg, max, (v) => v.toFixed(0));
  const bw = (W - L - R) / bins.length;
  const Y = (v) => H - B - ((H - B - T) * v) / max;
  bins.forEach((b, i) => {
    svg.append(s("rect", { x: L + i * bw + 1, y: Y(b.jph), width: Math.max(1, bw - 2), height: H - B - Y(b.jph), class: "bar" }, [
      s("title", { text: `${clock(b.t0)} – ${clock(b.t1)}: ${b.vehicles} vehicles, ${b.jph.toFixed(1)} JPH` })]));
  });
  const yd = Y(data.design_jph);
  svg.append(s("line", { x1: L, x2: W - R, y1: yd, y2: yd, class: "target" }));
  svg.append(s("text", { x: L + 4, y: yd - 4, class: "ax target-l", text: `design ${data.design_jph.toFixed(0)} JPH` }));
  svg.append(s("text", { x: L, y: H - 8, class: "ax", text: clock(data.window_s[0]) }));
  svg.append(s("text", { x: W - R, y: H - 8, class: "ax end", text: clock(data.window_s[1]) }));
}

const ORDER = ["working", "setup", "blocked", "starved", "failed", "planned"];

export function stateShares(svg, stations) {
  frame(svg);
  if (!stations.length) return empty(svg, "no data yet");
  yAxis(svg, 1, (v) => `${Math.round(v * 100)}%`);
  const bw = (W - L - R) / stations.length;
  const Y = (v) => (H - B - T) * v;
  let shop = null;
  const span = {};
  for (const st of stations) span[st.shop] = (span[st.shop] || 0) + bw;
  stations.forEach((st, i) => {
    let y = H - B;
    const x = L + i * bw;
    const tip = ORDER.map((k) => `${k} ${pct(st.shares[k] || 0, 1)}`).join(", ");
    const g = s("g", { class: "stack", "data-id": st.id }, [s("title", { text: `${st.id}: ${tip}; OEE ${pct(st.oee, 1)}` })]);
    for (const k of ORDER) {
      const v = st.shares[k] || 0;
      if (v <= 0) continue;
      y -= Y(v);
      g.append(s("rect", { x: x + 0.3, y, width: Math.max(0.6, bw - 0.6), height: Y(v), fill: COLOUR[k] }));
    }
    svg.append(g);
    if (st.shop !== shop) {
      shop = st.shop;
      svg.append(s("line", { x1: x, x2: x, y1: T, y2: H - B + 4, class: "sep" }));
      if (span[shop] > 6 * shop.length) svg.append(s("text", { x: x + 2, y: H - 8, class: "ax shop-ax", text: shop }));
    }
  });
}

export function bottlenecks(svg, rows) {
  frame(svg);
  if (!rows.length) return empty(svg, "no bottleneck yet");
  const left = 90, max = Math.max(0.05, ...rows.map((r) => Math.max(r.sole_share, r.shifting_share)));
  const rowH = (H - T - 8) / Math.max(rows.length, 5);
  const X = (v) => ((W - left - 40) * v) / max;
  rows.forEach((r, i) => {
    const y = T + i * rowH;
    svg.append(s("text", { x: left - 6, y: y + rowH * 0.62, class: "ax ax-y", text: r.station }));
    svg.append(s("rect", { x: left, y: y + 1, width: X(r.sole_share), height: rowH * 0.42, class: "bar sole" }, [s("title", { text: `${r.station}: sole ${pct(r.sole_share, 1)}` })]));
    svg.append(s("rect", { x: left, y: y + 1 + rowH * 0.44, width: X(r.shifting_share), height: rowH * 0.36, class: "bar shifting" }, [s("title", { text: `${r.station}: shifting ${pct(r.shifting_share, 1)}` })]));
    svg.append(s("text", { x: left + X(Math.max(r.sole_share, r.shifting_share)) + 4, y: y + rowH * 0.62, class: "ax", text: pct(r.sole_share + r.shifting_share, 0) }));
  });
}

export function leadTime(svg, lt) {
  frame(svg);
  if (!lt.n) return empty(svg, "no vehicle completed in the window yet");
  const max = Math.max(4, ...lt.counts);  // whole vehicles on every grid line
  yAxis(svg, max, (v) => v.toFixed(0));
  const bw = (W - L - R) / lt.counts.length;
  const Y = (v) => H - B - ((H - B - T) * v) / max;
  lt.counts.forEach((c, i) => {
    svg.append(s("rect", { x: L + i * bw + 1, y: Y(c), width: Math.max(1, bw - 2), height: H - B - Y(c), class: "bar lt" }, [
      s("title", { text: `${dur(lt.edges[i])} – ${dur(lt.edges[i + 1])}: ${c} vehicles` })]));
  });
  svg.append(s("text", { x: L, y: H - 8, class: "ax", text: dur(lt.edges[0]) }));
  svg.append(s("text", { x: W - R, y: H - 8, class: "ax end", text: dur(lt.edges[lt.edges.length - 1]) }));
}
