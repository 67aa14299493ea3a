import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ZkClient } from "../../src/state/zk-client.js";
import { sequentialNodes } from "../../src/state/zk-nodes.js";
import { parseZkUrl } from "../../src/state/zk-url.js";
import type { LeaderTerm, SupervisorIdentity } from "../../src/supervisor/leadership.js";
import { ZkLeadership, type ZkLeadershipOptions } from "../../src/supervisor/zk-leadership.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";
import { startZooKeeper, type ZkEnsemble } from "../support/zookeeper.js";

let zk: ZkEnsemble;
let base = 0;
const opened: ZkLeadership[] = [];
const proxies: TcpProxy[] = [];

beforeAll(async () => {
  zk = await startZooKeeper(3);
}, 90_000);

afterEach(async () => {
  await Promise.all(opened.splice(0).map((l) => l.close()));
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  for (const server of zk.servers) if (!server.running) await zk.restart(server.id);
}, 60_000);

afterAll(async () => {
  await zk?.stop();
});

const identity = (user: string): SupervisorIdentity => ({ user, host: "ci-1", pid: 100, startedAt: 1 });

/** A fresh base path per test, so the tests never see each other's contenders. */
function freshPath(): string {
  return `/titan-lead-${++base}`;
}

function contender(
  user: string,
  path: string,
  options: Partial<ZkLeadershipOptions> & { hosts?: string } = {},
): ZkLeadership {
  const { hosts, ...rest } = options;
  const leadership = new ZkLeadership(parseZkUrl(`zk://${hosts ?? zk.hosts}${path}`), {
    identity: identity(user),
    sessionTimeoutMs: 3000,
    ...rest,
  });
  opened.push(leadership);
  return leadership;
}

function never(): AbortSignal {
  return new AbortController().signal;
}

/** Resolves with the moment (performance.now()) the term's lost signal aborts. */
function lostAt(term: LeaderTerm): Promise<number> {
  return new Promise((resolve) => {
    if (term.lost.aborted) resolve(performance.now());
    term.lost.addEventListener("abort", () => resolve(performance.now()), { once: true });
  });
}

function acquiredAt(pending: Promise<LeaderTerm>): Promise<{ term: LeaderTerm; at: number }> {
  return pending.then((term) => ({ term, at: performance.now() }));
}

async function followers(): Promise<number[]> {
  const leader = await zk.leader();
  return zk.servers.map((s) => s.id).filter((id) => id !== leader);
}

const hostOf = (id: number): string => `127.0.0.1:${zk.servers[id - 1]?.port}`;

describe("ZooKeeper leadership per app", () => {
  it("elects one leader per app, names it, and hands over when it resigns", async () => {
    const path = freshPath();
    const ana = contender("ana", path);
    const bo = contender("bo", path);
    const anaWeb = await ana.acquire("web", never());
    const boWeb = bo.acquire("web", never());
    const boApi = await bo.acquire("api", never());
    expect(await bo.leader("web")).toEqual(identity("ana"));
    expect(await ana.leader("api")).toEqual(identity("bo"));
    expect(await ana.leader("db")).toBeUndefined();
    let boLeadsWeb = false;
    void boWeb.then(() => {
      boLeadsWeb = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(boLeadsWeb).toBe(false);

    await anaWeb.resign();
    expect(anaWeb.lost.aborted).toBe(true);
    expect(anaWeb.lost.reason).toMatchObject({ message: "lost the lead of web: resigned" });
    const term = await boWeb;
    expect(term.lost.aborted).toBe(false);
    expect(await ana.leader("web")).toEqual(identity("bo"));
    expect(boApi.lost.aborted).toBe(false);
  });

  it("queues contenders: each watches only the one ahead of it, and a contender that gives up leaves", async () => {
    const path = freshPath();
    const [a, b, c, d] = ["a", "b", "c", "d"].map((u) => contender(u, path));
    const first = await a?.acquire("web", never());
    const stopB = new AbortController();
    const nodes = `${path}/leaders/web`;
    // b, c and d queue in this order (each joins once the one before it has its node).
    const waiting: Array<Promise<{ term: LeaderTerm; who: number }>> = [];
    for (const [i, l] of [b, c, d].entries()) {
      const pending = l?.acquire("web", i === 0 ? stopB.signal : never());
      if (pending === undefined) throw new Error("no contender");
      waiting.push(pending.then((term) => ({ term, who: i })));
      await expect.poll(async () => (await contenderNodes(nodes)).length).toBe(i + 2);
    }
    // The leader watches its own node; each waiter watches exactly one: the node just ahead of its own.
    const watched = async (): Promise<string[]> =>
      [...(await zk.watches()).values()].flat().filter((p) => p.startsWith(`${nodes}/`));
    await expect.poll(async () => (await watched()).length, { timeout: 10_000 }).toBe(4);
    const queue = (await contenderNodes(nodes)).map((name) => `${nodes}/${name}`);
    expect(queue).toHaveLength(4);
    expect((await watched()).sort()).toEqual([queue[0], queue[0], queue[1], queue[2]]);

    // b gives up: its node goes, and c now waits on a; nobody else is woken into leading.
    stopB.abort(new Error("stop"));
    await expect(waiting[0]).rejects.toThrow("stop");
    await first?.resign();
    const next = await Promise.race(waiting.slice(1));
    expect(next?.who).toBe(1);
    expect(await d?.leader("web")).toEqual(identity("c"));
  });

  it("hands over within a few seconds when the leading process is killed", async () => {
    const path = freshPath();
    const url = `zk://${zk.hosts}${path}`;
    const script = `
      const { ZkLeadership } = await import(${JSON.stringify(dist("supervisor/zk-leadership.js"))});
      const { parseZkUrl } = await import(${JSON.stringify(dist("state/zk-url.js"))});
      const leadership = new ZkLeadership(parseZkUrl(${JSON.stringify(url)}), {
        identity: { user: "ci", host: "ci-2", pid: process.pid, startedAt: 1 }, sessionTimeoutMs: 2000 });
      await leadership.acquire("web", new AbortController().signal);
      console.log("leading");
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => d.toString().includes("leading") && resolve());
        child.once("exit", (code) => reject(new Error(`child exited ${code}`)));
      });
      const bo = contender("bo", path);
      expect(await bo.leader("web")).toMatchObject({ user: "ci", pid: child.pid });
      const pending = bo.acquire("web", never());
      child.kill("SIGKILL");
      const killedAt = performance.now();
      // The dead leader's node goes when ZooKeeper expires its session (2 s); bo then leads.
      const term = await pending;
      expect(performance.now() - killedAt).toBeGreaterThanOrEqual(1000);
      expect(term.lost.aborted).toBe(false);
      expect(await bo.leader("web")).toEqual(identity("bo"));
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("a leader cut off from ZooKeeper stops before the other contender starts", async () => {
    const path = freshPath();
    const proxy = await startTcpProxy(zk.servers[0]?.port ?? 0);
    proxies.push(proxy);
    const ana = contender("ana", path, { hosts: `127.0.0.1:${proxy.port}` });
    const bo = contender("bo", path, { hosts: `${hostOf(2)},${hostOf(3)}` });
    const anaTerm = await ana.acquire("web", never());
    const boTerm = acquiredAt(bo.acquire("web", never()));
    const anaLost = lostAt(anaTerm);
    proxy.cut();
    const [lost, acquired] = await Promise.all([anaLost, boTerm]);
    expect(lost).toBeLessThan(acquired.at);
    expect(anaTerm.lost.reason).toMatchObject({
      message: expect.stringMatching(/^lost the lead of web: .*no ZooKeeper server confirmed the session/),
    });
    expect(await bo.leader("web")).toEqual(identity("bo"));
  });

  it("a leader whose ZooKeeper servers stop loses the lead before anyone else can take it", async () => {
    const path = freshPath();
    const [mine, other] = await followers();
    const ana = contender("ana", path, { hosts: hostOf(mine as number) });
    const bo = contender("bo", path, { hosts: hostOf(other as number) });
    const anaTerm = await ana.acquire("web", never());
    const boTerm = acquiredAt(bo.acquire("web", never()));
    const anaLost = lostAt(anaTerm);
    await zk.kill(mine as number);
    const [lost, acquired] = await Promise.all([anaLost, boTerm]);
    expect(lost).toBeLessThan(acquired.at);
    expect(acquired.term.lost.aborted).toBe(false);
  });

  it("keeps the lead when its ZooKeeper server dies and another server takes over the session", async () => {
    const path = freshPath();
    const [f1, f2] = await followers();
    const ana = contender("ana", path, { hosts: `${hostOf(f1 as number)},${hostOf(f2 as number)}` });
    const term = await ana.acquire("web", never());
    const before = ana.server;
    const connectedTo = zk.servers.find((s) => `127.0.0.1:${s.port}` === before);
    await zk.kill(connectedTo?.id ?? 0);
    // The session moves once the client notices the dead server: until then it still names that one.
    await expect
      .poll(() => ana.server !== undefined && ana.server !== before, { timeout: 10_000 })
      .toBe(true);
    // Two more session timeouts on the new server: the lead holds, and nobody else got it.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    expect(term.lost.aborted).toBe(false);
    expect(await contender("bo", path).leader("web")).toEqual(identity("ana"));
  });

  it("contends again in a new session after losing one", async () => {
    const path = freshPath();
    const proxy = await startTcpProxy(zk.servers[0]?.port ?? 0);
    proxies.push(proxy);
    const retries: string[] = [];
    const ana = contender("ana", path, {
      hosts: `127.0.0.1:${proxy.port}`,
      connectTimeoutMs: 500,
      onRetry: (error) => retries.push(error.message),
    });
    const first = await ana.acquire("web", never());
    proxy.cut();
    await lostAt(first);
    const again = ana.acquire("web", never());
    await expect.poll(() => retries.length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(retries[0]).toMatch(/ZooKeeper/);
    proxy.heal();
    const second = await again;
    expect(second.lost.aborted).toBe(false);
    expect(await contender("bo", path).leader("web")).toEqual(identity("ana"));
  });
});

async function contenderNodes(dir: string): Promise<string[]> {
  const client = await ZkClient.connect({ hosts: parseZkUrl(`zk://${zk.hosts}/x`).hosts });
  try {
    return await sequentialNodes(client, dir, "contender-");
  } finally {
    await client.close();
  }
}

function dist(module: string): string {
  return fileURLToPath(new URL(`../../dist/${module}`, import.meta.url));
}
