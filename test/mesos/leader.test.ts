import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { urlForMessage } from "../../src/cli/url-text.js";
import { NotLeaderError, TemporarilyUnavailableError, UnauthorizedError } from "../../src/mesos/errors.js";
import { MasterCluster, parseMasterUrls, resolveLocation } from "../../src/mesos/leader.js";
import { MasterOperator } from "../../src/mesos/operator.js";
import { runCli } from "../support/cli.js";
import { closedPort, json, scriptedServer } from "../support/scripted-server.js";
import { tempDir } from "../support/tmp.js";

const HEALTH = { type: "GET_HEALTH", get_health: { healthy: true } };
const clusters: MasterCluster[] = [];

afterEach(async () => {
  await Promise.all(clusters.splice(0).map((c) => c.close()));
});

function cluster(masters: string[], extra: Partial<Parameters<typeof MasterCluster.fromConfig>[0]> = {}) {
  const c = MasterCluster.fromConfig({ masters, ...extra });
  clusters.push(c);
  return c;
}

/** Answers like a non-leading master: 307 with a protocol-relative Location to `leader`. */
function redirectTo(leaderPort: number) {
  return (req: { path: string }, res: import("node:http").ServerResponse) => {
    res.writeHead(307, {
      location: `//127.0.0.1:${leaderPort}${req.path === "/master/redirect" ? "" : req.path}`,
    });
    res.end();
  };
}

describe("resolveLocation", () => {
  it("keeps the request's scheme for Mesos' protocol-relative Location", () => {
    expect(resolveLocation("//m2:5050/api/v1", new URL("https://m1:5050/api/v1")).href).toBe(
      "https://m2:5050/api/v1",
    );
    expect(resolveLocation("//m2:5050", new URL("http://m1:5050/master/redirect")).origin).toBe(
      "http://m2:5050",
    );
  });

  it("refuses an https to http downgrade", () => {
    expect(() => resolveLocation("http://m2:5050/api/v1", new URL("https://m1:5050/api/v1"))).toThrow(
      NotLeaderError,
    );
  });
});

describe("parseMasterUrls", () => {
  it("accepts host:port and http(s) URLs and refuses credentials in URLs", () => {
    expect(parseMasterUrls(["m1:5050", "https://m2:5050/"]).map((u) => u.href)).toEqual([
      "http://m1:5050/",
      "https://m2:5050/",
    ]);
    expect(() => parseMasterUrls(["http://user:pw@m1:5050"])).toThrow(/contains credentials/);
    expect(() => parseMasterUrls([])).toThrow(/no Mesos masters/);
    expect(() => parseMasterUrls(["http://m1:5050/mesos"])).toThrow(/has a path/);
    expect(() => parseMasterUrls(["ftp://m1"])).toThrow(/must use http or https/);
  });
});

describe("a master URL in an error", () => {
  it.each([
    "http://127.0.0.1:1/?token=s3cr3t",
    "http://127.0.0.1:1/api?token=s3cr3t",
    "http://127.0.0.1:1/#s3cr3t",
    "http://titan:s3cr3t@127.0.0.1:1/?token=s3cr3t",
    "http://[::1/?token=s3cr3t",
    "ftp://titan:s3cr3t@m1/?token=s3cr3t",
  ])("never shows the query, fragment or credentials of %s", async (master) => {
    expect(() => parseMasterUrls([master])).toThrow(/master URL/);
    try {
      parseMasterUrls([master]);
    } catch (error) {
      expect((error as Error).message).not.toContain("s3cr3t");
    }
    const dir = tempDir();
    const result = await runCli(["ps", "--master", master], {
      env: { TITAN_CONFIG: join(dir, "config.yaml"), XDG_DATA_HOME: join(dir, "data") },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: .*(query|fragment|credentials|path|not a URL|http or https)/);
    expect(result.stderr).not.toContain("s3cr3t");
  });

  it("says what was left out", () => {
    expect(urlForMessage("http://u:pw@h:5050/x?token=t#f")).toBe(
      "http://h:5050/x (credentials, query, fragment not shown)",
    );
    expect(urlForMessage("h:5050")).toBe("h:5050");
  });
});

describe("finding the leader", () => {
  it("follows a non-leader's 307 to the leader, re-POSTs the body and remembers the leader", async () => {
    const leader = await scriptedServer((_req, res) => json(res, 200, HEALTH));
    const follower = await scriptedServer(redirectTo(leader.port));
    const c = cluster([follower.url]);
    const operator = new MasterOperator(c);
    expect(await operator.getHealth()).toEqual({ healthy: true });
    expect(leader.requests[0]?.body).toBe('{"type":"GET_HEALTH"}');
    expect(leader.requests[0]?.method).toBe("POST");
    expect(c.knownLeader?.origin).toBe(leader.url);
    await operator.getHealth();
    expect(follower.requests).toHaveLength(1);
    expect(leader.requests).toHaveLength(2);
  });

  it("finds the leader through GET /master/redirect", async () => {
    const leader = await scriptedServer(redirectTo(0));
    leader.handle(redirectTo(leader.port));
    const follower = await scriptedServer(redirectTo(leader.port));
    const c = cluster([follower.url]);
    expect((await c.discoverLeader()).origin).toBe(leader.url);
    expect(follower.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /master/redirect"]);
  });

  it("detects a redirect loop", async () => {
    const a = await scriptedServer(() => {});
    const b = await scriptedServer(redirectTo(a.port));
    a.handle(redirectTo(b.port));
    const error = await new MasterOperator(cluster([a.url])).getHealth().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotLeaderError);
    expect((error as Error).message).toBe(`redirect loop between masters: ${a.url} -> ${b.url} -> ${a.url}`);
  });

  it.each(["not a url", "", "/api/v1"])(
    "says a master redirected to itself (Location %j), not that two masters loop",
    async (location) => {
      const a = await scriptedServer((_req, res) => {
        res.writeHead(307, { location });
        res.end();
      });
      const error = await new MasterOperator(cluster([a.url])).getHealth().catch((e: unknown) => e);
      expect((error as Error).message).toBe(
        `${a.url} redirected to itself (Location: ${JSON.stringify(location)}), not to the leading master`,
      );
      expect((error as Error).message).not.toContain("loop");
      expect((error as { hint?: string }).hint).toContain("//host:port");
    },
  );

  it("quotes a Location it cannot follow without the password in it", async () => {
    const a = await scriptedServer(() => {});
    const locations = [`http://u:hunter2plain@${new URL(a.url).host}/api/v1`, "http://u:hunter2plain@[bad/"];
    for (const location of locations) {
      a.handle((_req, res) => {
        res.writeHead(307, { location });
        res.end();
      });
      const error = await new MasterOperator(cluster([a.url])).getHealth().catch((e: unknown) => e);
      expect((error as Error).message).toMatch(/redirected to (itself|an invalid location)/);
      expect((error as Error).message).toContain("credentials not shown");
      expect((error as Error).message).not.toContain("hunter2plain");
    }
  });

  it("caps the number of redirects", async () => {
    const servers = [];
    for (let i = 0; i < 4; i += 1) servers.push(await scriptedServer(() => {}));
    for (const [i, s] of servers.entries()) {
      const next = servers[i + 1];
      s.handle(next ? redirectTo(next.port) : (_r, res) => json(res, 200, HEALTH));
    }
    const c = MasterCluster.fromConfig({ masters: [servers[0]?.url ?? ""] }, { maxRedirects: 2 });
    clusters.push(c);
    await expect(new MasterOperator(c).getHealth()).rejects.toThrow(/more than 2 redirects/);
  });

  it("503 while no leader is elected: tries every master, then a typed error with the master's reason", async () => {
    const noLeader = (_req: unknown, res: import("node:http").ServerResponse) => {
      res.writeHead(503, { "content-type": "text/plain" });
      res.end("No leader elected");
    };
    const m1 = await scriptedServer(noLeader);
    const m2 = await scriptedServer(noLeader);
    const error = await new MasterOperator(cluster([m1.url, m2.url])).getState().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TemporarilyUnavailableError);
    expect((error as Error).message).toBe(
      `no leading Mesos master: ${m1.url} answered 503 Service Unavailable (No leader elected); ${m2.url} answered 503 Service Unavailable (No leader elected)`,
    );
    await expect(cluster([m1.url]).discoverLeader()).rejects.toThrow(TemporarilyUnavailableError);
  });

  it("skips an unreachable master and forgets a leader that stopped answering", async () => {
    const dead = await closedPort();
    const leader = await scriptedServer((_req, res) => json(res, 200, HEALTH));
    const c = cluster([`http://127.0.0.1:${dead}`, leader.url]);
    const operator = new MasterOperator(c);
    expect(await operator.getHealth()).toEqual({ healthy: true });
    expect(c.knownLeader?.origin).toBe(leader.url);
    await leader.close();
    const error = await operator.getHealth().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TemporarilyUnavailableError);
    expect((error as Error).message).toMatch(
      /^no Mesos master reachable: cannot reach http:\/\/127\.0\.0\.1:\d+: connection refused/,
    );
    expect(c.knownLeader).toBeUndefined();
  });

  it("never sends credentials to a host that only an unconfigured host named", async () => {
    const other = await scriptedServer((_req, res) => {
      res.writeHead(401, { "www-authenticate": 'Basic realm="mesos-master-readwrite"' });
      res.end();
    });
    const middle = await scriptedServer(redirectTo(other.port));
    const configured = await scriptedServer(redirectTo(middle.port));
    const secret = "s3cr3t-value";
    const trace: string[] = [];
    const c = MasterCluster.fromConfig(
      { masters: [configured.url], auth: { principal: "titan", secret } },
      { trace: (line) => trace.push(line) },
    );
    clusters.push(c);
    const error = await new MasterOperator(c).getHealth().catch((e: unknown) => e);
    expect(configured.requests[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from(`titan:${secret}`).toString("base64")}`,
    );
    expect(other.requests[0]?.headers.authorization).toBeUndefined();
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect((error as UnauthorizedError).hint).toMatch(
      /only sent to the configured masters and a leader they name/,
    );
    const everything = [(error as Error).message, (error as UnauthorizedError).hint, ...trace].join("\n");
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(Buffer.from(`titan:${secret}`).toString("base64"));
    expect(trace.length).toBeGreaterThan(0);
  });

  it("reports a connection failure as a one-line typed error", async () => {
    const port = await closedPort();
    const error = await cluster([`http://127.0.0.1:${port}`])
      .discoverLeader()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TemporarilyUnavailableError);
    expect((error as Error).message).toBe(
      `no leading Mesos master found: cannot reach http://127.0.0.1:${port}: connection refused`,
    );
  });
});
