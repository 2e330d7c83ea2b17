// Reading the Stats API (the same endpoints API users call) with the logged-in session.

export class ApiError extends Error {}

let sharedLink = "";

/** On a shared link's page every request carries the link's ``auth`` slug instead of a session. */
export function useSharedLink(slug) {
  sharedLink = slug || "";
}

/** GET ``path`` with the query ``params``; the JSON answer, or an ApiError carrying the API's message. */
export async function get(path, params, signal) {
  const query = new URLSearchParams();
  if (sharedLink) query.set("auth", sharedLink);
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
