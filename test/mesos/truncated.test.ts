import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConnectionError } from "../../src/mesos/errors.js";
import { HttpTransport } from "../../src/mesos/transport.js";
import { runCli } from "../support/cli.js";
import { tempDir } from "../support/tmp.js";

const servers: Server[] = [];
const sockets: Socket[] = [];
const transports: HttpTransport[] = [];

afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** A peer that answers every request with 200 and Content-Length 5000, sends 5 bytes and resets the connection. */
async function cutShort(): Promise<string> {
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on("error", () => {});
    socket.once("data", () => {
      socket.write(
        'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"a":',
        () => setTimeout(() => socket.resetAndDestroy(), 20),
      );
    });
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return `http://127.0.0.1:${address.port}`;
}

describe("a response cut off after its headers", () => {
  it("is a truncated answer from a reached peer, not an unreachable one", async () => {
    const origin = await cutShort();
    const transport = new HttpTransport();
    transports.push(transport);
    const failure = await transport
      .fetch({ method: "GET", url: new URL(`${origin}/state`), deadlineMs: 5000, maxBytes: 1 << 20 })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(ConnectionError);
    expect((failure as Error).message).toBe(
      `${origin} answered a truncated response (the connection closed after 5 of 5000 bytes)`,
    );
  });

  it("is reported so by a stream too", async () => {
    const origin = await cutShort();
    const transport = new HttpTransport();
    transports.push(transport);
    const stream = await transport.open({
      method: "GET",
      url: new URL(`${origin}/state`),
      deadlineMs: 5000,
      idleTimeoutMs: 5000,
    });
    const read = async (): Promise<void> => {
      for await (const _ of stream.chunks);
    };
    await expect(read()).rejects.toThrow(`${origin} answered a truncated response`);
  });

  it("makes ps say the master answered short, with a hint", async () => {
    const origin = await cutShort();
    const dir = tempDir();
    const result = await runCli(["ps", "--master", origin], {
      env: { TITAN_CONFIG: join(dir, "config.yaml"), XDG_DATA_HOME: join(dir, "data") },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: ${origin} answered a truncated response`);
    expect(result.stderr).toMatch(/^hint: .*cut its answer short/m);
    expect(result.stderr).not.toContain("cannot reach");
  });
});
