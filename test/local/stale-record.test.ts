import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { runLocalDown } from "../../src/commands/local/down.js";
import { runLocalStatus } from "../../src/commands/local/status.js";
import { runningCluster } from "../../src/local/background.js";
import { clusterOwnership, processStartOf, stillRunning } from "../../src/local/cluster-identity.js";
import { isAlive, localPaths } from "../../src/local/control.js";
import { identityProof } from "../../src/local/instance-proof.js";
import { type LocalClusterRecord, readClusterState } from "../../src/local/runner.js";
import { testEnv } from "../support/env.js";
import { startTestCluster } from "../support/local-cluster.js";
import { tempDir } from "../support/tmp.js";

/**
 * A record outlives its cluster when the cluster was killed outright or the machine restarted, and the system hands
 * the recorded pid to another process: these tests put a live `sleep` of their own under that pid.
 */

const sleepers: ChildProcess[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const sleeper of sleepers.splice(0)) sleeper.kill("SIGKILL");
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

function unrelatedProcess(): ChildProcess & { pid: number } {
  const sleeper = spawn("sleep", ["300"], { stdio: "ignore" });
  sleepers.push(sleeper);
  if (sleeper.pid === undefined) throw new Error("sleep did not start");
  return sleeper as ChildProcess & { pid: number };
}

/** Still running: neither exited nor killed by a signal (a killed child may linger as a zombie for a moment). */
function untouched(sleeper: ChildProcess & { pid: number }): boolean {
  return sleeper.exitCode === null && sleeper.signalCode === null && isAlive(sleeper.pid);
}

/** A state directory whose cluster.json names `pid` and `url`, as a cluster killed outright leaves it. */
function staleRecord(pid: number, url: string, extra: Partial<LocalClusterRecord> = {}): string {
  const stateDir = tempDir("titan-stale-");
  const paths = localPaths(stateDir);
  mkdirSync(paths.dir, { recursive: true, mode: 0o711 });
  const record: LocalClusterRecord = {
    pid,
    url,
    port: Number(new URL(url).port),
    agents: 3,
    startedAt: "2026-01-01T00:00:00.000Z",
    ...extra,
  };
  writeFileSync(paths.stateFile, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  return stateDir;
}

/** Something else listening where the cluster was, answering /health as a master would. */
async function healthyStranger(): Promise<string> {
  const server = createServer((_req, res) => res.writeHead(200).end());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** What `titan local up` records of its process, here of this test's process: one that started before the sleep. */
function identityOfAnotherProcess(): Partial<LocalClusterRecord> {
  const processStart = processStartOf(process.pid);
  return { ...(processStart === undefined ? {} : { processStart }), instance: "0123456789abcdef" };
}

describe("a cluster record whose pid now belongs to another process", () => {
  it("down leaves that process alone, removes the record and says the cluster is not running", async () => {
    const sleeper = unrelatedProcess();
    const stateDir = staleRecord(sleeper.pid, "http://127.0.0.1:1", identityOfAnotherProcess());
    const t = testEnv({ vars: { TITAN_STATE_DIR: stateDir } });
    expect(await runLocalDown(t.env)).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(untouched(sleeper)).toBe(true);
    expect(t.out()).toBe("");
    expect(t.err()).toBe(
      processStartOf(sleeper.pid) === undefined
        ? `the local cluster is not running or does not answer at http://127.0.0.1:1 (pid ${sleeper.pid} in its record cannot be told to be it; left alone)\n`
        : `the local cluster is not running (pid ${sleeper.pid} in its record is another process now; left alone)\n`,
    );
    expect(existsSync(localPaths(stateDir).stateFile)).toBe(false);
  });

  it("down leaves it alone when the record holds nothing to recognise the cluster's process by", async () => {
    const sleeper = unrelatedProcess();
    const stateDir = staleRecord(sleeper.pid, "http://127.0.0.1:1");
    const t = testEnv({ vars: { TITAN_STATE_DIR: stateDir } });
    expect(await runLocalDown(t.env)).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(untouched(sleeper)).toBe(true);
    expect(t.err()).toContain("the local cluster is not running");
    expect(existsSync(localPaths(stateDir).stateFile)).toBe(false);
  });

  it("a record of an older titan (no start, no token) is its cluster's only while the daemon it names runs", async () => {
    const stateDir = tempDir("titan-legacy-");
    const paths = localPaths(stateDir);
    /** A process whose command line is the daemon's: `node …/dist/local/daemon.js '<config>'`. */
    const daemonLike = (stateFile: string): ChildProcess & { pid: number } => {
      const child = spawn(
        process.execPath,
        [
          "-e",
          "setInterval(() => {}, 1000)",
          "/opt/titan/dist/local/daemon.js",
          JSON.stringify({ stateFile }),
        ],
        { stdio: "ignore" },
      );
      sleepers.push(child);
      if (child.pid === undefined) throw new Error("the process did not start");
      return child as ChildProcess & { pid: number };
    };
    const others = daemonLike("/elsewhere/local/cluster.json");
    const ours = daemonLike(paths.stateFile);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const record = { pid: ours.pid, url: "http://127.0.0.1:1", recordFile: paths.stateFile };
    const noProc = () => undefined;
    if (processStartOf(ours.pid) === undefined) return; // no /proc here: such a record stays unproven
    expect(await clusterOwnership(record, noProc)).toBe("ours");
    expect(await clusterOwnership({ ...record, pid: others.pid }, noProc)).toBe("reused");
    const sleeper = unrelatedProcess();
    expect(await clusterOwnership({ ...record, pid: sleeper.pid }, noProc)).toBe("reused");
    // Without the record's file to compare, nothing tells it.
    expect(await clusterOwnership({ pid: ours.pid, url: record.url }, noProc)).toBe("unproven");

    const legacy = staleRecord(others.pid, "http://127.0.0.1:1");
    const t = testEnv({ vars: { TITAN_STATE_DIR: legacy } });
    expect(await runLocalDown(t.env)).toBe(0);
    expect(untouched(others)).toBe(true);
    expect(t.err()).toContain(`pid ${others.pid} in its record is another process now; left alone`);
  });

  // Read, never acted on: kill(2) takes 0 for the caller's process group and -1 for every process it may signal.
  it("reads a pid of 0 or below as no record, and as no live process", () => {
    for (const pid of [0, -1, 1.5]) {
      const stateDir = staleRecord(1, "http://127.0.0.1:1");
      const paths = localPaths(stateDir);
      writeFileSync(paths.stateFile, JSON.stringify({ pid, url: "http://127.0.0.1:1" }));
      expect(readClusterState(paths.stateFile)).toBeUndefined();
      expect(isAlive(pid)).toBe(false);
    }
  });

  it("down leaves it alone even when something answers /health at the recorded URL", async () => {
    const sleeper = unrelatedProcess();
    const stateDir = staleRecord(sleeper.pid, await healthyStranger(), identityOfAnotherProcess());
    const t = testEnv({ vars: { TITAN_STATE_DIR: stateDir } });
    expect(await runLocalDown(t.env)).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(untouched(sleeper)).toBe(true);
    expect(t.err()).toContain("the local cluster is not running");
  });

  it("status says the cluster is not running rather than sending the user to down", async () => {
    const sleeper = unrelatedProcess();
    const stateDir = staleRecord(sleeper.pid, "http://127.0.0.1:1");
    const t = testEnv({ vars: { TITAN_STATE_DIR: stateDir } });
    await expect(runLocalStatus(t.env, { json: false })).rejects.toThrow(
      /^the local cluster is not running$/,
    );
    expect(untouched(sleeper)).toBe(true);
  });

  it("is no running cluster to the commands that find it, so its credentials never go to the stranger", async () => {
    const sleeper = unrelatedProcess();
    const stateDir = staleRecord(sleeper.pid, await healthyStranger());
    expect(await runningCluster(localPaths(stateDir))).toBeUndefined();
  });
});

describe("the process a record names, proven to be the cluster", () => {
  it("is told by its start time where /proc has it", async () => {
    const local = await startTestCluster({ agents: 1 });
    const processStart = processStartOf(process.pid);
    if (processStart === undefined) return;
    const record = { pid: process.pid, url: local.url, processStart };
    expect(await clusterOwnership(record)).toBe("ours");
    expect(stillRunning(record)).toBe(true);
    const later = { ...record, processStart: `${processStart}0` };
    expect(await clusterOwnership(later)).toBe("reused");
    expect(stillRunning(later)).toBe(false);
  });

  it("elsewhere by its master's proof that it holds the record's instance token", async () => {
    const local = await startTestCluster({ agents: 1 });
    const noProc = (): undefined => undefined;
    const record = { pid: process.pid, url: local.url, instance: local.cluster.instance };
    expect(await clusterOwnership(record, noProc)).toBe("ours");
    expect(await clusterOwnership({ ...record, instance: "another" }, noProc)).toBe("unproven");
    expect(await clusterOwnership({ ...record, pid: unrelatedProcess().pid }, noProc)).toBe("unproven");
    const { instance: _, ...withoutInstance } = record;
    expect(await clusterOwnership(withoutInstance, noProc)).toBe("unproven");
  });

  it("is not whatever echoes the recorded pid on the recorded port", async () => {
    const sleeper = unrelatedProcess();
    const server = createServer((_req, res) =>
      res
        .writeHead(200, { "Content-Type": "application/json" })
        .end(JSON.stringify({ pid: sleeper.pid, proof: "0".repeat(64) })),
    );
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const record = { pid: sleeper.pid, url, instance: "0123456789abcdef" };
    expect(await clusterOwnership(record, () => undefined)).toBe("unproven");
  });

  it("answers the proof on its identity endpoint to GET with a nonce only, without credentials", async () => {
    const local = await startTestCluster({ agents: 1, credentials: { principal: "p", secret: "s" } });
    const nonce = "abc";
    const answer = await fetch(`${local.url}/__titan_local/identity?nonce=${nonce}`);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({
      pid: process.pid,
      proof: identityProof(local.cluster.instance, nonce),
    });
    expect((await fetch(`${local.url}/__titan_local/identity`)).status).toBe(400);
    const post = await fetch(`${local.url}/__titan_local/identity?nonce=a`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET");
    const browser = await fetch(`${local.url}/__titan_local/identity?nonce=a`, {
      headers: { Origin: "http://example.com" },
    });
    expect(browser.status).toBe(403);
  });
});
