// The live event stream (WebSocket), resumed with ?after=<last id> after any drop.
import { auth } from "./api.js";

export const KINDS = ["state", "down", "up", "degraded", "recovered", "setup", "released",
  "dispatched", "transport", "agv", "mes.decision", "heartbeat"];

export class Stream {
  constructor(onEvents, onStatus) {
    this.onEvents = onEvents;
    this.onStatus = onStatus;
    this.last = null;       // id of the last event received
    this.ws = null;
    this.retry = 0;
    this.stopped = false;
    this.connects = 0;
    this.pending = [];
    this.flushing = false;
  }

  start(after) {
    this.last = after;
    this.stopped = false;
    this.open();
  }

  url() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const q = new URLSearchParams({ token: auth.token, kinds: KINDS.filter(k => k !== "heartbeat").join(",") });
    if (this.last !== null) q.set("after", String(this.last));
    return `${proto}://${location.host}/api/v1/stream?${q}`;
  }

  open() {
    this.onStatus("connecting");
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.onopen = () => { this.retry = 0; this.connects += 1; this.onStatus("live"); };
    ws.onmessage = (m) => {
      const e = JSON.parse(m.data);
      if (e.kind === "heartbeat") return;
      if (this.last !== null && e.id <= this.last) return;
      this.last = e.id;
      this.pending.push(e);
      if (!this.flushing) {
        this.flushing = true;
        requestAnimationFrame(() => this.flush());
      }
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) { this.onStatus("off"); return; }
      this.onStatus("reconnecting");
      const wait = Math.min(5000, 250 * 2 ** this.retry++);
      setTimeout(() => { if (!this.stopped && !this.ws) this.open(); }, wait);
    };
  }

  flush() {
    const batch = this.pending;
    this.pending = [];
    this.flushing = false;
    if (batch.length) this.onEvents(batch);
  }

  stop() {
    this.stopped = true;
    if (this.ws) this.ws.close();
  }
}
