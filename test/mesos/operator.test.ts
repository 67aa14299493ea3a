import { readFileSync } from "node:fs";
import { MockAgent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import {
  BadResponseError,
  MesosTimeoutError,
  ResponseTooLargeError,
  UnauthorizedError,
} from "../../src/mesos/errors.js";
import { MasterCluster } from "../../src/mesos/leader.js";
import { AgentOperator, MasterOperator } from "../../src/mesos/operator.js";
import { fetchMasterState } from "../../src/mesos/state-source.js";
import { HttpTransport } from "../../src/mesos/transport.js";
import { checkShape } from "../support/proto-shape.js";
import { json, scriptedServer } from "../support/scripted-server.js";

const ROOT = new URL("../../fixtures/mesos/", import.meta.url);
const fixture = (path: string): unknown => JSON.parse(readFileSync(new URL(path, ROOT), "utf8"));

const closers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c.close()));
});

function operatorFor(url: string, limits: ConstructorParameters<typeof MasterOperator>[1] = {}) {
  const cluster = MasterCluster.fromConfig({ masters: [url] });
  closers.push(cluster);
  return new MasterOperator(cluster, limits);
}

const CALLS = [
  ["getState", "GET_STATE"],
  ["getAgents", "GET_AGENTS"],
  ["getTasks", "GET_TASKS"],
  ["getFrameworks", "GET_FRAMEWORKS"],
  ["getVersion", "GET_VERSION"],
  ["getHealth", "GET_HEALTH"],
] as const;

describe("master operator API", () => {
  for (const [method, type] of CALLS) {
    it(`${type}: sends the fixture request with exact headers and returns the typed payload`, async () => {
      const lower = type.toLowerCase();
      const response = fixture(`operator/master-${lower.replace("_", "-")}-response.json`) as Record<
        string,
        unknown
      >;
      const master = await scriptedServer((_req, res) => json(res, 200, response));
      const result = await operatorFor(master.url)[method]();
      expect(result).toEqual(response[lower]);
      const request = master.requests[0];
      expect(request?.path).toBe("/api/v1");
      expect(request?.headers["content-type"]).toBe("application/json");
      expect(request?.headers.accept).toBe("application/json");
      const body = JSON.parse(request?.body ?? "");
      expect(body).toEqual(fixture(`operator/master-${lower.replace("_", "-")}-request.json`));
      expect(checkShape(body, "mesos.v1.master.Call")).toEqual([]);
    });
  }

  it("reads the legacy GET /master/state", async () => {
    const state = fixture("legacy/master-state-excerpt.json");
    const master = await scriptedServer((_req, res) => json(res, 200, state));
    const result = await operatorFor(master.url).legacyState();
    expect(result.slaves[0]?.hostname).toBe("agent3.example.com");
    expect(master.requests[0]?.method).toBe("GET");
    expect(master.requests[0]?.path).toBe("/master/state");
  });

  it("401 and 403 become UnauthorizedError with a hint", async () => {
    const master = await scriptedServer((req, res) => {
      res.writeHead(req.headers.authorization ? 403 : 401, { "content-type": "text/plain" });
      res.end(req.headers.authorization ? "Forbidden" : "");
    });
    const error401 = await operatorFor(master.url)
      .getState()
      .catch((e: unknown) => e);
    expect(error401).toBeInstanceOf(UnauthorizedError);
    expect((error401 as UnauthorizedError).status).toBe(401);
    expect((error401 as Error).message).toBe(`GET_STATE: ${master.url} answered 401 Unauthorized`);

    const cluster = MasterCluster.fromConfig({
      masters: [master.url],
      auth: { principal: "ops", secret: "pw" },
    });
    closers.push(cluster);
    const error403 = await new MasterOperator(cluster).getState().catch((e: unknown) => e);
    expect(error403).toBeInstanceOf(UnauthorizedError);
    expect((error403 as Error).message).toBe(`GET_STATE: ${master.url} answered 403 Forbidden: "Forbidden"`);
    expect((error403 as UnauthorizedError).hint).toMatch(/not authorised/);
  });

  it("a 401 after credentials holding a second ':' says Mesos can never accept them", async () => {
    const master = await scriptedServer((_req, res) => {
      res.writeHead(401, {
        "content-type": "text/plain",
        "www-authenticate": 'Basic realm="mesos-master-readwrite"',
      });
      res.end("401 Unauthorized.");
    });
    const cluster = MasterCluster.fromConfig({
      masters: [master.url],
      auth: { principal: "ops", secret: "pw:x" },
    });
    closers.push(cluster);
    const error = await new MasterOperator(cluster).getState().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect((error as Error).message).toBe(`GET_STATE: ${master.url} answered 401 Unauthorized`);
    expect((error as UnauthorizedError).hint).toMatch(/splits HTTP Basic credentials at every ':'/);
  });

  it('does not repeat the status when the body is libprocess\' default one ("404 Not Found.")', async () => {
    const master = await scriptedServer((_req, res) => {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      res.end("404 Not Found.");
    });
    const error = await operatorFor(master.url)
      .getState()
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe(`GET_STATE: ${master.url} answered 404 Not Found (text/plain)`);
  });

  it("an HTML error page shows status, content type and a short sanitised excerpt", async () => {
    const page = `<!DOCTYPE html><html><head><title>502 Bad Gateway</title><style>body{color:red}</style></head>
      <body><center><h1>502   Bad Gateway</h1></center><hr><center>nginx/1.25.3</center>
      <script>var x = "<secret>";</script>${"<p>filler text</p>".repeat(40)}</body></html>`;
    const master = await scriptedServer((_req, res) => {
      res.writeHead(502, { "content-type": "text/html; charset=utf-8" });
      res.end(page);
    });
    const error = await operatorFor(master.url)
      .getState()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadResponseError);
    const message = (error as Error).message;
    expect(
      message.startsWith(
        `GET_STATE: ${master.url} answered 502 Bad Gateway (text/html): "502 Bad Gateway 502 Bad Gateway nginx/1.25.3 filler text`,
      ),
    ).toBe(true);
    expect(message).not.toMatch(/[<>{}]/);
    expect(message).not.toContain("secret");
    expect(message.split('"')[1]?.length).toBeLessThanOrEqual(120);
    expect(message).not.toContain("\n");
  });

  it("a 200 that is not JSON is a BadResponseError, never a parser stack", async () => {
    const master = await scriptedServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"type":"GET_STATE",');
    });
    const error = await operatorFor(master.url)
      .getState()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadResponseError);
    expect((error as Error).message).toBe(
      `GET_STATE: ${master.url} answered invalid JSON: "{"type":"GET_STATE","`,
    );
    expect((error as Error).cause).toBeUndefined();
  });

  it("a huge GET_STATE aborts at the size cap, with or without Content-Length", async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const endless = await scriptedServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const write = (): void => {
        while (sent < 50 * 1024 * 1024 && res.write(chunk)) sent += chunk.length;
        if (sent < 50 * 1024 * 1024 && !res.destroyed) res.once("drain", write);
      };
      write();
    });
    const error = await operatorFor(endless.url, { maxStateBytes: 1024 * 1024 })
      .getState()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect((error as Error).message).toBe(
      `response from ${endless.url}/api/v1 is larger than 1 MiB; aborted`,
    );
    expect(sent).toBeLessThan(50 * 1024 * 1024);

    const declared = await scriptedServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(10 * 1024 * 1024) });
      res.write("{");
    });
    await expect(operatorFor(declared.url, { maxStateBytes: 1024 }).getState()).rejects.toThrow(
      ResponseTooLargeError,
    );
  });

  it("a master that never answers hits the per-request deadline", async () => {
    const silent = await scriptedServer(() => {});
    const error = await operatorFor(silent.url, { deadlineMs: 150 })
      .getHealth()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MesosTimeoutError);
    expect((error as Error).message).toBe(`POST ${silent.url}/api/v1 got no complete answer within 150 ms`);
  });

  it("a response of the wrong type is rejected", async () => {
    const master = await scriptedServer((_req, res) =>
      json(res, 200, { type: "GET_HEALTH", get_health: { healthy: true } }),
    );
    await expect(operatorFor(master.url).getState()).rejects.toThrow(
      "GET_STATE: the answer is not a GET_STATE response",
    );
  });

  it("fetchMasterState returns the leader and a snapshot-shaped document, and closes its connections", async () => {
    const response = fixture("operator/master-get-state-response.json");
    const master = await scriptedServer((_req, res) => json(res, 200, response));
    const state = await fetchMasterState({ masters: [master.url] });
    expect(state.leader).toBe(master.url);
    expect(state.document).toEqual(response);
  });
});

describe("agent operator API", () => {
  it("GET_STATE on the agent and the legacy /state", async () => {
    const v1 = fixture("operator/agent-get-state-response.json") as { get_state: unknown };
    const legacy = fixture("legacy/agent-state-excerpt.json");
    const agent = await scriptedServer((req, res) => json(res, 200, req.path === "/state" ? legacy : v1));
    const transport = new HttpTransport();
    closers.push(transport);
    const client = new AgentOperator(transport, new URL(agent.url));
    expect(await client.getState()).toEqual(v1.get_state);
    expect(JSON.parse(agent.requests[0]?.body ?? "")).toEqual(
      fixture("operator/agent-get-state-request.json"),
    );
    expect((await client.legacyState()).id).toBe("5e0f3d5c-2b43-4a5e-9c3e-0f6b0c1d2e3f-S3");
  });
});

describe("an injected dispatcher", () => {
  it("sends through it (undici MockAgent) and leaves it open", async () => {
    const mock = new MockAgent();
    mock.disableNetConnect();
    mock
      .get("http://m1.example:5050")
      .intercept({ path: "/api/v1", method: "POST", body: '{"type":"GET_VERSION"}' })
      .reply(200, fixture("operator/master-get-version-response.json") as object, {
        headers: { "content-type": "application/json" },
      });
    const cluster = MasterCluster.fromConfig({ masters: ["http://m1.example:5050"] }, { dispatcher: mock });
    const version = await new MasterOperator(cluster).getVersion();
    expect(version.version_info.version).toMatch(/^\d+\.\d+\.\d+$/);
    await cluster.close();
    mock.assertNoPendingInterceptors();
    await mock.close();
  });
});
