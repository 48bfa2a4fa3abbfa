// The phonghop JSON API: same-origin JSON requests carrying the session cookie and, on
// every state-changing request, the session's CSRF token. Errors arrive as
// {"error": {"code", "message", "params"}} with the message already in the UI's
// language; they are thrown as ApiError.

import { language, t } from "./i18n.js";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
// The API lives beside client_web's folders, so a server mounted under a sub-path works.
const ROOT = new URL("../", import.meta.url);

let csrf = null;

export class ApiError extends Error {
  constructor(status, code, message, params = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.params = params;
  }
}

/** The session's CSRF token, for a request sent without request() (an upload with progress). */
export function csrfToken() {
  return csrf;
}

/** The absolute URL of an API path such as "/api/meetings/3/join-qr.svg". */
export function apiUrl(path) {
  return new URL(path.replace(/^\//, ""), ROOT).href;
}

export async function request(method, path, body) {
  const headers = { Accept: "application/json", "Accept-Language": language() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (!SAFE_METHODS.has(method) && csrf) headers["X-CSRF-Token"] = csrf;
  let response;
  try {
    response = await fetch(apiUrl(path), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "network_error", t("error.network"));
  }
  let data = null;
  const text = await response.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const error = data && typeof data.error === "object" ? data.error : null;
    throw new ApiError(
      response.status,
      error?.code ?? `http_${response.status}`,
      error?.message ?? t("error.unexpected", { status: response.status }),
      error?.params ?? {},
    );
  }
  return data;
}

export const get = (path) => request("GET", path);
export const post = (path, body = {}) => request("POST", path, body);
export const put = (path, body = {}) => request("PUT", path, body);
export const patch = (path, body = {}) => request("PATCH", path, body);
export const del = (path) => request("DELETE", path);

function remember(session) {
  csrf = session?.csrf_token ?? null;
  return session;
}

/** The current session, or null when nobody is signed in on this browser. */
export async function currentSession() {
  try {
    return remember(await get("/api/session"));
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return remember(null);
    throw err;
  }
}

export async function login(username, password) {
  return remember(await post("/api/session", { username, password }));
}

/** Join with the code and who holds the tablet: `proof` is {personal_code} or
 * {username, password}, or {} to wait for the secretary (then `{pending: true}` comes back). */
export async function joinMeeting(code, participantId, proof = {}) {
  const body = { code, ...proof };
  if (participantId != null) body.participant_id = participantId;
  const answer = await post("/api/join", body);
  return answer.pending ? answer : remember(answer);
}

/** A room display's link: its token becomes a read-only display session for its meeting. */
export async function openDisplay(token) {
  return remember(await post("/api/display/open", { token }));
}

export async function logout() {
  try {
    await del("/api/session");
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) throw err;
  } finally {
    remember(null);
  }
}
