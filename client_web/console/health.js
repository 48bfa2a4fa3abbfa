// A warning under the top bar while the server reports itself degraded (/readyz): the
// Redis bus between app instances is down, so tablets on other instances get events a
// second or two late, from the database. Nothing to do in the meeting; tell IT.

import { apiUrl } from "../shared/api.js";

const EVERY_MS = 15_000;

export function watchServerHealth(element) {
  let timer = null;
  async function check() {
    try {
      const response = await fetch(apiUrl("/readyz"), { headers: { Accept: "application/json" } });
      const body = await response.json();
      element.hidden = body?.status !== "degraded";
    } catch {
      element.hidden = true; // unreachable: the connection status says so already
    }
  }
  return {
    start() {
      if (timer !== null) return;
      check();
      timer = window.setInterval(check, EVERY_MS);
    },
    stop() {
      window.clearInterval(timer);
      timer = null;
      element.hidden = true;
    },
  };
}
