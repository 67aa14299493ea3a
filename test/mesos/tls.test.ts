import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { ConnectionError } from "../../src/mesos/errors.js";
import { MasterCluster } from "../../src/mesos/leader.js";
import { MasterOperator } from "../../src/mesos/operator.js";

const TLS = new URL("../../fixtures/mesos/tls/", import.meta.url);
const CA_FILE = fileURLToPath(new URL("ca.pem", TLS));

const servers: Server[] = [];
const clusters: MasterCluster[] = [];
afterEach(async () => {
  await Promise.all(clusters.splice(0).map((c) => c.close()));
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        }),
    ),
  );
});

async function httpsMaster(): Promise<string> {
  const server = createServer(
    { cert: readFileSync(new URL("server.pem", TLS)), key: readFileSync(new URL("server-key.pem", TLS)) },
    (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ type: "GET_HEALTH", get_health: { healthy: true } }));
    },
  );
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function operator(url: string, caFile?: string): MasterOperator {
  const cluster = MasterCluster.fromConfig({ masters: [url], ...(caFile === undefined ? {} : { caFile }) });
  clusters.push(cluster);
  return new MasterOperator(cluster);
}

describe("TLS", () => {
  it("verifies the master's certificate against the configured CA file", async () => {
    const url = await httpsMaster();
    expect(await operator(url, CA_FILE).getHealth()).toEqual({ healthy: true });
  });

  it("a missing CA file is a usage error", () => {
    expect(() =>
      MasterCluster.fromConfig({ masters: ["https://127.0.0.1:1"], caFile: "/nonexistent/ca.pem" }),
    ).toThrow("cannot read the CA file /nonexistent/ca.pem (ENOENT)");
  });

  it("refuses an unverifiable certificate, with no insecure retry", async () => {
    const url = await httpsMaster();
    const error = await operator(url)
      .getHealth()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(
      /^TLS verification of https:\/\/127\.0\.0\.1:\d+ failed \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)$/,
    );
    expect((error as ConnectionError).hint).toMatch(/ca_file.*never skips verification/);
  });
});
