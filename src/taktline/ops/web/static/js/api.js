// REST calls with the bearer token kept in sessionStorage (this tab only).
const KEY = "taktline.token";

export const auth = { token: sessionStorage.getItem(KEY), role: null };

export class ApiError extends Error {
  constructor(status, detail) {
    super(`${status}: ${detail}`);
    this.status = status;
  }
}

export function setToken(token) {
  auth.token = token;
  if (token) sessionStorage.setItem(KEY, token);
  else sessionStorage.removeItem(KEY);
}

function headers(extra = {}) {
  return { Authorization: `Bearer ${auth.token}`, ...extra };
}

async function answer(r) {
  if (!r.ok) {
    let detail = r.statusText;
    try { detail = (await r.json()).detail ?? detail; } catch { /* not JSON */ }
    throw new ApiError(r.status, typeof detail === "string" ? detail : JSON.stringify(detail));
  }
  return r.json();
}

export async function get(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") q.set(k, v);
  const qs = q.toString();
  return answer(await fetch(`/api/v1${path}${qs ? "?" + qs : ""}`, { headers: headers() }));
}

export async function send(method, path, body) {
  return answer(await fetch(`/api/v1${path}`, {
    method, headers: headers({ "Content-Type": "application/json" }), body: JSON.stringify(body),
  }));
}
