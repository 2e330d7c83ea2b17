// Reading the Stats API (the same endpoints API users call) with the logged-in session, and the
// dashboard's few writes (saved segments), which carry the session's CSRF token.

export class ApiError extends Error {}

let sharedLink = "";
let pageToken = "";

/** A new page load: the requests sent from now on carry a new token, so the server reads the days'
 * event counts once for all of them (``snapshot``), not again for each event that arrives meanwhile. */
export function newPageLoad() {
  pageToken = Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
}

/** On a shared link's page every request carries the link's ``auth`` slug instead of a session. */
export function useSharedLink(slug) {
  sharedLink = slug || "";
}

/** GET ``path`` with the query ``params``; the JSON answer, or an ApiError carrying the API's message. */
export async function get(path, params, signal) {
  const query = new URLSearchParams();
  if (sharedLink) query.set("auth", sharedLink);
  if (pageToken) query.set("snapshot", pageToken);
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== "") query.set(name, value);
  let response;
  try {
    response = await fetch(path + "?" + query.toString(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      signal,
    });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError("Lantern could not be reached; check your connection.");
  }
  return answer(response);
}

/** The JSON of an answer, or an ApiError carrying the API's message. */
async function answer(response) {
  if (response.status === 401) throw new ApiError("Your session has ended: log in again.");
  let body = null;
  try {
    body = await response.json();
  } catch (err) {
    body = null;
  }
  if (!response.ok) {
    const message = body && body.error ? body.error : `the server answered ${response.status}`;
    throw new ApiError(message);
  }
  return body;
}

/** The session's CSRF token (the csrftoken cookie Django sets), which every write carries. */
function csrfToken() {
  const found = document.cookie.split("; ").find((part) => part.startsWith("csrftoken="));
  return found ? decodeURIComponent(found.slice("csrftoken=".length)) : "";
}

/** POST or DELETE ``path`` with a JSON ``body`` as the logged-in user: the JSON answer, or an ApiError. */
export async function send(method, path, body = undefined) {
  let response;
  try {
    response = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError("Lantern could not be reached; check your connection.");
  }
  return answer(response);
}
