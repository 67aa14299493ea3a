import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { isHealthy } from "../../src/local/control.js";

const servers: Server[] = [];

/** A loopback server on a free port that answers as `handle` says; closed after each test. */
async function serve(handle: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handle);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe("isHealthy", () => {
  it("is true for a 200 from /health", async () => {
    const seen: string[] = [];
    const url = await serve((request, response) => {
      seen.push(request.url ?? "");
      response.end("ok");
    });
    expect(await isHealthy(url)).toBe(true);
    expect(seen).toEqual(["/health"]);
  });

  it("is false for another status, a refused connection and a silent server", async () => {
    const failing = await serve((_request, response) => {
      response.statusCode = 503;
      response.end("starting");
    });
    expect(await isHealthy(failing)).toBe(false);

    const gone = await serve(() => {});
    const port = new URL(gone).port;
    const last = servers.pop() as Server;
    await new Promise((resolve) => last.close(resolve));
    expect(await isHealthy(`http://127.0.0.1:${port}`)).toBe(false);

    // Without the time limit this would wait until the test's own timeout fails it.
    const silent = await serve(() => {});
    expect(await isHealthy(silent, 200)).toBe(false);
  });

  it("is false when the answer stops halfway", async () => {
    const url = await serve((_request, response) => {
      response.writeHead(200, { "Content-Length": "100" });
      response.write("partial");
      setTimeout(() => response.socket?.destroy(), 20);
    });
    expect(await isHealthy(url)).toBe(false);
  });
});
