// The JSON API and the tokens it needs. Tokens live in sessionStorage: one session per tab,
// gone when the tab closes.

const ACCESS = "taskstack.access_token";
const REFRESH = "taskstack.refresh_token";
const EMAIL = "taskstack.email";

export class ApiError extends Error {
  constructor(status, message, details) {
    super(message);
    this.status = status;
    this.details = details;
  }
}

// The session is over (revoked, expired, or logged out elsewhere): sign in again.
export class SessionEnded extends Error {}

export function accessToken() {
  return sessionStorage.getItem(ACCESS);
}

export function signedInEmail() {
  return accessToken() ? sessionStorage.getItem(EMAIL) : null;
}

function saveTokens({ access_token, refresh_token }) {
  sessionStorage.setItem(ACCESS, access_token);
  sessionStorage.setItem(REFRESH, refresh_token);
}

export function forgetSession() {
  sessionStorage.removeItem(ACCESS);
  sessionStorage.removeItem(REFRESH);
  sessionStorage.removeItem(EMAIL);
}

async function send(method, path, { body, token } = {}) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  return { status: response.status, ok: response.ok, data };
}

function failure({ status, data }) {
  const error = data?.error ?? {};
  return new ApiError(status, error.message ?? `Request failed (${status}).`, error.details);
}

// Register or log in; on success the tab holds the new session's tokens.
export async function signIn(action, email, password) {
  const result = await send("POST", `/api/auth/${action}`, { body: { email, password } });
  if (!result.ok) throw failure(result);
  saveTokens(result.data);
  sessionStorage.setItem(EMAIL, result.data.user.email);
}

// One refresh at a time: the server rotates the refresh token, and presenting the old one
// twice would end the session.
let refreshing = null;

export function refreshTokens() {
  refreshing ??= rotate().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

async function rotate() {
  const token = sessionStorage.getItem(REFRESH);
  if (!token) throw new SessionEnded();
  const result = await send("POST", "/api/auth/refresh", { token });
  if (result.status === 401) {
    forgetSession();
    throw new SessionEnded();
  }
  if (!result.ok) throw failure(result);
  saveTokens(result.data);
}

// An API call with the access token; an expired token is refreshed once and the call retried.
export async function api(method, path, body) {
  let result = await send(method, path, { body, token: accessToken() });
  if (result.status === 401 && result.data?.error?.message === "Token has expired.") {
    await refreshTokens();
    result = await send(method, path, { body, token: accessToken() });
  }
  if (result.status === 401) {
    forgetSession();
    throw new SessionEnded();
  }
  if (!result.ok) throw failure(result);
  return result.data;
}

export async function signOut() {
  try {
    await api("POST", "/api/auth/logout");
  } finally {
    forgetSession();
  }
}
