// Small DOM helpers: SVG and HTML elements from a tag, attributes and children.
const NS = "http://www.w3.org/2000/svg";

function fill(el, attrs, kids) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") el.textContent = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v);
  }
  for (const c of kids || []) if (c !== null && c !== undefined) el.append(c);
  return el;
}

export const s = (tag, attrs, kids) => fill(document.createElementNS(NS, tag), attrs, kids);
export const h = (tag, attrs, kids) => fill(document.createElement(tag), attrs, kids);

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export const STATES = [
  ["working", "#2fb872", "working"],
  ["setup", "#8f6ad8", "setup / die change"],
  ["blocked", "#e89b2b", "blocked"],
  ["starved", "#4a78c2", "starved"],
  ["failed", "#ef4444", "failed"],
  ["stopped", "#d61f69", "stopped (held)"],
  ["planned", "#6b7280", "planned stop"],
];
export const COLOUR = Object.fromEntries(STATES.map(([k, c]) => [k, c]));

export function pct(x, digits = 0) {
  return x === null || x === undefined ? "–" : `${(100 * x).toFixed(digits)} %`;
}

export function clock(t) {
  if (t === null || t === undefined) return "–";
  const day = Math.floor(t / 86400) + 1;
  const r = t % 86400;
  const hh = String(Math.floor(r / 3600)).padStart(2, "0");
  const mm = String(Math.floor((r % 3600) / 60)).padStart(2, "0");
  const ss = String(Math.floor(r % 60)).padStart(2, "0");
  return `day ${day} ${hh}:${mm}:${ss}`;
}

export function dur(sec) {
  if (sec === null || sec === undefined) return "–";
  if (sec < 120) return `${Math.round(sec)} s`;
  if (sec < 7200) return `${(sec / 60).toFixed(1)} min`;
  return `${(sec / 3600).toFixed(1)} h`;
}
