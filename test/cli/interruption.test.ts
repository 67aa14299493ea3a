import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { tempDir } from "../support/tmp.js";

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A master that takes requests and never answers them. */
async function silentMaster(): Promise<string> {
  const server = createServer(() => {});
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("a command stopped while a request is in flight", () => {
  it("is an interruption (exit 130), not an internal error", async () => {
    const master = await silentMaster();
    const dir = tempDir();
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 300);
    const result = await runCli(["ps", "--master", master], {
      env: { TITAN_CONFIG: join(dir, "config.yaml"), XDG_DATA_HOME: join(dir, "data") },
      signal: stop.signal,
    });
    expect(result.code).toBe(130);
    expect(result.stderr).toContain("error: interrupted");
    expect(result.stderr).not.toContain("internal error");
  });
});
