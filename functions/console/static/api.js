// The cases API, same origin, with the lead's ID token as a bearer token. The token lives in
// sessionStorage: it is gone when the tab closes, and any 401 sends the lead back to sign-in.

const TOKEN = "recovery.token";
const EXPIRES = "recovery.expires";
const USER = "recovery.user";
const ADMIN = "recovery.admin"; // shows the admin views; the API checks the token on every call

let serverOffset = 0; // server clock minus this browser's, from the answers' Date header
const signedOutListeners = [];

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || problem?.message || `HTTP ${status}`);
    this.status = status;
    this.title = problem?.title || "";
    this.detail = problem?.detail || problem?.message || "";
    this.errors = Array.isArray(problem?.errors) ? problem.errors : [];
  }
}

export function signedIn() {
  const expires = Number(sessionStorage.getItem(EXPIRES) || 0);
  return Boolean(sessionStorage.getItem(TOKEN)) && Date.now() < expires;
}

export function userName() {
  return sessionStorage.getItem(USER) || "";
}

export function isAdmin() {
  return sessionStorage.getItem(ADMIN) === "1";
}

export function signOut(reason = "signed-out") {
  sessionStorage.removeItem(ADMIN);
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(EXPIRES);
  sessionStorage.removeItem(USER);
  for (const listener of signedOutListeners) listener(reason);
}

export function onSignedOut(listener) {
  signedOutListeners.push(listener);
}

// "Now" by the server's clock, so SLA countdowns agree with the deadlines the server set.
export function now() {
  return Date.now() + serverOffset;
}

export async function signIn(username, password) {
  const { data } = await request("POST", "/v1/session", { body: { username, password }, anonymous: true });
  sessionStorage.setItem(TOKEN, data.token);
  sessionStorage.setItem(EXPIRES, String(Date.now() + Number(data.expires_in || 3600) * 1000));
  const user = typeof data.user === "string" ? data.user : data.user?.actor || data.user?.user || username;
  sessionStorage.setItem(USER, user);
  sessionStorage.setItem(ADMIN, data.user?.admin === true ? "1" : "0");
  return data;
}

export function get(path, query) {
  return request("GET", path, { query });
}

export function post(path, body, etag) {
  return request("POST", path, { body, etag });
}

async function request(method, path, { body, etag, query, anonymous = false } = {}) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  const headers = { Accept: "application/json" };
  if (!anonymous) headers.Authorization = `Bearer ${sessionStorage.getItem(TOKEN) || ""}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (etag) headers["If-Match"] = etag;
  const response = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
    credentials: "omit",
  });
  noteServerTime(response);
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (response.status === 401 && !anonymous) {
    signOut("expired");
    throw new ApiError(401, data);
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return { data, etag: response.headers.get("ETag") };
}

function noteServerTime(response) {
  const date = Date.parse(response.headers.get("Date") || "");
  if (!Number.isNaN(date)) serverOffset = date - Date.now();
}
