import { type IncomingMessage, request } from "node:http";
import { describe, expect, it } from "vitest";
import { createLocalAgent } from "../../src/local/agent/agent.js";
import { startLocalCluster } from "../../src/local/cluster.js";
import { authenticatedPrincipal, hostName, isLoopbackHost } from "../../src/local/http-guard.js";
import { startTestCluster } from "../support/local-cluster.js";
import { freePortRange } from "../support/ports.js";
import { tempDir } from "../support/tmp.js";
import { FRAMEWORK, post } from "./scheduler-client.js";

interface Answer {
  status: number;
  headers: IncomingMessage["headers"];
  body: string;
}

/** A raw request, so tests can send headers fetch() forbids (Host) or that browsers add (Origin, Sec-Fetch-*). */
function send(
  url: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  const body = options.body ?? "";
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, {
      method: options.method ?? "GET",
      headers: { ...options.headers, "Content-Length": Buffer.byteLength(body) },
    });
    req.on("error", reject);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.end(body);
  });
}

const CREDENTIALS = { principal: "ops", secret: "s3cret" };
const basic = (principal: string, secret: string) =>
  `Basic ${Buffer.from(`${principal}:${secret}`).toString("base64")}`;
const AUTH = { Authorization: basic(CREDENTIALS.principal, CREDENTIALS.secret) };

async function masterId(url: string, headers: Record<string, string> = {}): Promise<string> {
  const answer = await post(url, "/api/v1", JSON.stringify({ type: "GET_MASTER" }), {
    "Content-Type": "application/json",
    ...headers,
  });
  expect(answer.status).toBe(200);
  const parsed = JSON.parse(answer.body) as { get_master: { master_info: { id: string } } };
  return parsed.get_master.master_info.id;
}

describe("Host header (DNS rebinding)", () => {
  it("knows loopback names from others", () => {
    for (const ok of ["127.0.0.1:5050", "localhost", "LOCALHOST:1", "[::1]:5050", "127.1.2.3", "x.localhost"])
      expect(isLoopbackHost(ok)).toBe(true);
    for (const bad of ["evil.example:5050", "127.0.0.1.evil.example", "10.0.0.1", "[::2]", "localhost.evil"])
      expect(isLoopbackHost(bad)).toBe(false);
    expect(hostName("[::1]:80")).toBe("[::1]");
    expect(isLoopbackHost(undefined)).toBe(true);
  });

  it("the master and the agents refuse a request addressed to another name", async () => {
    const { url, cluster } = await startTestCluster({ agents: 1 });
    const agentUrl = cluster.agents()[0]?.url ?? "";
    for (const base of [url, agentUrl]) {
      const rebound = await send(base, "/state", { headers: { Host: "attacker.example:5050" } });
      expect(rebound.status).toBe(403);
      expect(rebound.body).toContain("loopback");
      expect((await send(base, "/state", { headers: { Host: "localhost" } })).status).toBe(200);
    }
    const call = await send(url, "/api/v1/scheduler", {
      method: "POST",
      headers: { Host: "attacker.example", "Content-Type": "application/json" },
      body: JSON.stringify({ type: "SUBSCRIBE", subscribe: { framework_info: FRAMEWORK } }),
    });
    expect(call.status).toBe(403);
  });
});

describe("request decoding", () => {
  it("closes the connection without an answer on a query libprocess cannot decode (a bad % escape)", async () => {
    const { url, cluster } = await startTestCluster({ agents: 1 });
    const agentUrl = cluster.agents()[0]?.url ?? "";
    for (const [base, path] of [
      [url, "/master/state?jsonp=%zz"],
      [agentUrl, "/files/read?path=%2"],
    ] as const) {
      await expect(send(base, path)).rejects.toThrow(/socket hang up|ECONNRESET/);
      expect((await send(base, path.replace(/%.*$/, "%41"))).status).not.toBe(0);
    }
  });
});

describe("the fault endpoint", () => {
  it("does not exist unless the cluster was started for tests", async () => {
    const cluster = await startLocalCluster({
      agents: 1,
      agentResources: { cpus: 1, mem: 256, disk: 100, ports: [await freePortRange(10)] },
      zones: ["a"],
      port: 0,
      workDir: tempDir(),
      createAgent: createLocalAgent,
    });
    try {
      const before = await masterId(cluster.url);
      const answer = await send(cluster.url, "/__titan_local/faults", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ type: "FAIL_OVER_MASTER" }),
      });
      expect(answer.status).toBe(404);
      expect(await masterId(cluster.url)).toBe(before);
    } finally {
      await cluster.stop();
    }
  });

  it("never answers a browser: Origin and Sec-Fetch headers get 403, text/plain 415", async () => {
    const { url } = await startTestCluster({ agents: 1 });
    const before = await masterId(url);
    const body = JSON.stringify({ type: "FAIL_OVER_MASTER" });
    const fromPage = await send(url, "/__titan_local/faults", {
      method: "POST",
      headers: { Origin: "https://evil.example", "Content-Type": "text/plain" },
      body,
    });
    expect(fromPage.status).toBe(403);
    const sameSite = await send(url, "/__titan_local/faults", {
      method: "POST",
      headers: {
        "Sec-Fetch-Site": "same-site",
        "Sec-Fetch-Mode": "no-cors",
        "Content-Type": "application/json",
      },
      body,
    });
    expect(sameSite.status).toBe(403);
    const plain = await send(url, "/__titan_local/faults", {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body,
    });
    expect(plain.status).toBe(415);
    const readOnly = await send(url, "/__titan_local/faults", {
      headers: { Origin: "https://evil.example" },
    });
    expect(readOnly.status).toBe(403);
    expect(await masterId(url)).toBe(before);
  });
});

describe("HTTP Basic authentication (as --authenticate_http_readwrite/readonly/frameworks)", () => {
  it("never accepts a secret with a colon: libprocess splits `principal:secret` at every one", () => {
    const colons = { principal: "ops", secret: "s3cret:with:colons" };
    expect(authenticatedPrincipal(basic("ops", colons.secret), colons)).toBeUndefined();
    expect(authenticatedPrincipal(basic("ops", "s3cret"), { principal: "ops", secret: "s3cret" })).toBe(
      "ops",
    );
  });

  it("protects the master's and agents' APIs and leaves /health, /version and /redirect open", async () => {
    const { url, cluster, faults } = await startTestCluster({ agents: 1, credentials: CREDENTIALS });
    const agentUrl = cluster.agents()[0]?.url ?? "";
    const realms: Array<[string, string, string]> = [
      [url, "/master/state", "mesos-master-readonly"],
      [url, "/master/tasks", "mesos-master-readonly"],
      [url, "/master/flags", "mesos-master-readonly"],
      [agentUrl, "/state", "mesos-agent-readonly"],
      [agentUrl, "/files/browse?path=/", "mesos-agent-readonly"],
    ];
    for (const [base, path, realm] of realms) {
      const anonymous = await send(base, path);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers["www-authenticate"]).toBe(`Basic realm="${realm}"`);
      // libprocess' Unauthorized body.
      expect([anonymous.body, anonymous.headers["content-type"]]).toEqual([
        "401 Unauthorized.",
        "text/plain; charset=utf-8",
      ]);
      const wrong = await send(base, path, { headers: { Authorization: basic("ops", "nope") } });
      expect(wrong.status).toBe(401);
      // libprocess' Basic authenticator is strict: "Basic" as written, one space, exactly `principal:secret`.
      const encoded = Buffer.from("ops:s3cret").toString("base64");
      for (const header of [`basic ${encoded}`, `Basic  ${encoded}`, basic("ops", "s3cret:")]) {
        expect((await send(base, path, { headers: { Authorization: header } })).status).toBe(401);
      }
      expect((await send(base, path, { headers: AUTH })).status).not.toBe(401);
    }
    for (const [base, realm] of [
      [url, "mesos-master-readwrite"],
      [agentUrl, "mesos-agent-readwrite"],
    ] as const) {
      const anonymous = await post(base, "/api/v1", JSON.stringify({ type: "GET_HEALTH" }));
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers["www-authenticate"]).toBe(`Basic realm="${realm}"`);
    }
    expect(await masterId(url, AUTH)).not.toBe("");
    // A path no route serves is a 404 before any authentication, on the master and the agents alike.
    for (const base of [url, agentUrl]) expect((await send(base, "/nothing/here")).status).toBe(404);
    for (const path of ["/health", "/version", "/master/redirect"])
      expect((await send(url, path)).status).not.toBe(401);
    const unauthenticatedFault = await send(url, "/__titan_local/faults", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ type: "WITHHOLD_OFFERS", withhold: true }),
    });
    expect(unauthenticatedFault.status).toBe(401);
    await faults.withholdOffers(false);
  });

  it("a scheduler needs the credentials and may not claim another principal", async () => {
    const { url } = await startTestCluster({ agents: 1, credentials: CREDENTIALS });
    const subscribe = (info: Record<string, unknown>) =>
      JSON.stringify({ type: "SUBSCRIBE", subscribe: { framework_info: info } });
    const anonymous = await post(url, "/api/v1/scheduler", subscribe(FRAMEWORK));
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers["www-authenticate"]).toBe('Basic realm="mesos-master-scheduler"');
    const other = await post(url, "/api/v1/scheduler", subscribe({ ...FRAMEWORK, principal: "mallory" }), {
      "Content-Type": "application/json",
      ...AUTH,
    });
    expect(other.status).toBe(400);
    expect(other.body).toBe(
      "Failed to validate scheduler::Call: Authenticated principal 'ops' does not match principal 'mallory' set in `FrameworkInfo`",
    );
    // Without a principal the master fills in the authenticated one.
    const stream = await new Promise<IncomingMessage>((resolve, reject) => {
      const body = subscribe({ ...FRAMEWORK, principal: undefined });
      const req = request(`${url}/api/v1/scheduler`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...AUTH, "Content-Length": Buffer.byteLength(body) },
      });
      req.on("response", resolve);
      req.on("error", reject);
      req.end(body);
    });
    expect(stream.statusCode).toBe(200);
    stream.destroy();
    const frameworks = await post(url, "/api/v1", JSON.stringify({ type: "GET_FRAMEWORKS" }), {
      "Content-Type": "application/json",
      ...AUTH,
    });
    expect(frameworks.body).toContain('"principal":"ops"');
  });
});
