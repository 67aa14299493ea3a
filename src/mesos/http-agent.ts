import { createRequire } from "node:module";
import type { Agent } from "undici";

const require = createRequire(import.meta.url);

/**
 * undici's Agent (connection pools and the `request` API), loaded without the rest of the library. The package's
 * main module evaluates all of undici, fetch, WebSocket, cache stores and mock agents included: about 0.15 s on
 * the machines of docs/benchmarks.md, a tenth of `titan ps` on a cluster of 50,000 tasks and most of a small
 * one's, for every command that talks to a master. The three modules titan uses take about 0.05 s. undici
 * publishes no exports map, so its files may be required; should a release move them, the whole library is
 * loaded instead, as before.
 */
export function loadAgent(): typeof Agent {
  try {
    const agent: unknown = require("undici/lib/dispatcher/agent.js");
    const dispatcher: unknown = require("undici/lib/dispatcher/dispatcher.js");
    const api: unknown = require("undici/lib/api/index.js");
    if (typeof agent === "function" && typeof dispatcher === "function" && isApi(api)) {
      // What the package's main module does: the request API lives on every dispatcher.
      if (typeof dispatcher.prototype.request !== "function") Object.assign(dispatcher.prototype, api);
      return agent as typeof Agent;
    }
  } catch {
    // Laid out otherwise: the whole library, below.
  }
  return (require("undici") as { Agent: typeof Agent }).Agent;
}

function isApi(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { request?: unknown }).request === "function"
  );
}
