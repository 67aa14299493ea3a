import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { Command } from "commander";
import { afterEach, describe, expect, it } from "vitest";
import type { Env } from "../../src/cli/env.js";
import { systemClock, withTargets } from "../../src/cli/env.js";
import { TitanError, UsageError } from "../../src/cli/errors.js";
import { createIO } from "../../src/cli/io.js";
import { platformPaths } from "../../src/cli/paths.js";
import { type LocalUpOptions, registerLocal } from "../../src/commands/local/command.js";
import { clusterConfig } from "../../src/commands/local/config.js";
import { runLocalDown } from "../../src/commands/local/down.js";
import { runLocalStatus } from "../../src/commands/local/status.js";
import { runLocalUp } from "../../src/commands/local/up.js";
import { withAgentDefaults } from "../../src/local/agent-defaults.js";
import { agentPorts } from "../../src/local/agent-ports.js";
import { clusterOwnership, processStartOf } from "../../src/local/cluster-identity.js";
import { daemonEntry, isAlive, isHealthy, localPaths } from "../../src/local/control.js";
import { ensureLocalCluster } from "../../src/local/ensure.js";
import { givenResourceNames } from "../../src/local/resource-json-spec.js";
import { readClusterState } from "../../src/local/runner.js";
import { freePortRange } from "../support/ports.js";
import { tempDir } from "../support/tmp.js";

interface TestEnv {
  env: Env;
  out(): string;
  err(): string;
  abort(): void;
}

function testEnv(stateDir: string): TestEnv {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = "";
  let e = "";
  out.on("data", (c: Buffer) => {
    o += c.toString();
  });
  err.on("data", (c: Buffer) => {
    e += c.toString();
  });
  const vars = { NO_COLOR: "1", TITAN_STATE_DIR: stateDir };
  const io = createIO({ stdin: new PassThrough(), out, err, env: vars });
  const controller = new AbortController();
  const env: Env = withTargets({
    io,
    vars,
    cwd: stateDir,
    paths: platformPaths(vars),
    clock: systemClock,
    debug: false,
    signal: controller.signal,
    prompter: () => {
      throw new Error("no prompts in tests");
    },
  });
  return { env, out: () => o, err: () => e, abort: () => controller.abort() };
}

const UP: LocalUpOptions = {
  agents: "3",
  agentResources: "cpus:4;mem:8192;disk:20000;ports:[31000-32000]",
  zones: "a,b,c",
  port: "0",
  foreground: false,
};

/** Every agent's `ports` ranges, as GET_AGENTS gives them. */
async function agentPortRanges(
  url: string,
  secretFile: string,
): Promise<Array<{ begin: number; end: number }>> {
  const secret = readFileSync(secretFile, "utf8").trim();
  const response = await fetch(`${url}/api/v1`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json",
      Authorization: `Basic ${Buffer.from(`titan:${secret}`).toString("base64")}`,
    },
    body: JSON.stringify({ type: "GET_AGENTS" }),
  });
  const agents = (
    (await response.json()) as {
      get_agents: {
        agents: Array<{
          agent_info: {
            resources: Array<{ name: string; ranges?: { range: Array<{ begin: number; end: number }> } }>;
          };
        }>;
      };
    }
  ).get_agents.agents;
  return agents.flatMap((a) =>
    a.agent_info.resources.flatMap((r) => (r.name === "ports" ? (r.ranges?.range ?? []) : [])),
  );
}

const pidsToKill: number[] = [];
afterEach(() => {
  for (const pid of pidsToKill.splice(0)) if (isAlive(pid)) process.kill(pid, "SIGKILL");
});

describe("registration", () => {
  function program(dir: string) {
    const t = testEnv(dir);
    let help = "";
    let code = -1;
    const root = new Command("titan").exitOverride().configureOutput({
      writeOut: (text) => {
        help += text;
      },
      writeErr: (text) => {
        help += text;
      },
    });
    registerLocal(root, {
      env: () => t.env,
      setExitCode: (c) => {
        code = c;
      },
    });
    return { root, help: () => help, code: () => code };
  }

  it("registers up, status and down with their flags", async () => {
    const p = program(tempDir());
    await expect(p.root.parseAsync(["local", "up", "--help"], { from: "user" })).rejects.toThrow();
    for (const flag of [
      "--agents <n>",
      "--agent-resources <spec>",
      "--zones <list>",
      "--port <port>",
      "--foreground",
    ]) {
      expect(p.help()).toContain(flag);
    }
  });

  it("runs down through commander and records its exit code", async () => {
    const p = program(tempDir());
    await p.root.parseAsync(["local", "down"], { from: "user" });
    expect(p.code()).toBe(0);
  });

  it("turns a bad flag value into a usage error", async () => {
    const p = program(tempDir());
    await expect(p.root.parseAsync(["local", "up", "--agents", "zero"], { from: "user" })).rejects.toThrow(
      UsageError,
    );
  });
});

describe("titan local up flags", () => {
  const paths = localPaths("/state");
  it.each([
    { desc: "zero agents", opts: { agents: "0" }, message: /--agents must be a whole number from 1 to 100/ },
    { desc: "a bad port", opts: { port: "70000" }, message: /--port must be a port number/ },
    {
      desc: "an unknown resource",
      opts: { agentResources: "cpus:1;mem:1;bananas:3" },
      message: /unknown resource 'bananas'/,
    },
    {
      desc: "a bad range",
      opts: { agentResources: "cpus:1;mem:1;ports:[9-2]" },
      message: /'9-2' is not a port range/,
    },
    {
      desc: "a MOUNT disk without a root, in the JSON form",
      opts: {
        agentResources:
          '[{"name":"cpus","type":"SCALAR","scalar":{"value":1}},{"name":"disk","type":"SCALAR","scalar":{"value":9},"disk":{"source":{"type":"MOUNT"}}}]',
      },
      message: "--agent-resources: resource 2: MOUNT disk root directory is not specified",
    },
    { desc: "no zones", opts: { zones: " , " }, message: /--zones needs at least one zone name/ },
    { desc: "an empty region", opts: { faultDomain: " " }, message: /--fault-domain needs a region name/ },
    {
      desc: "a zone holding a terminal control",
      opts: { zones: "a,b\u001b]0;x\u0007" },
      message: /^--zones: zone "b\\x1b\]0;x\\x07" holds a control character/,
    },
    {
      desc: "a region holding a terminal control",
      opts: { faultDomain: "eu\u009b" },
      message: /^--fault-domain holds a control character/,
    },
  ])("refuses $desc with a usage error", ({ opts, message }) => {
    expect(() => clusterConfig({ ...UP, ...opts }, paths)).toThrow(UsageError);
    expect(() => clusterConfig({ ...UP, ...opts }, paths)).toThrow(message);
  });

  it("refuses an --auth secret with a colon, which a Mesos master's Basic authentication never accepts", () => {
    const dir = tempDir();
    const secretFile = join(dir, "ops.secret");
    writeFileSync(secretFile, "s3cret:with:colons\n");
    expect(() => clusterConfig({ ...UP, auth: `ops:${secretFile}` }, paths)).toThrow(
      `--auth: the secret in ${secretFile} contains ':', which Mesos' HTTP Basic authentication never accepts`,
    );
    writeFileSync(secretFile, "s3cret\n");
    expect(clusterConfig({ ...UP, auth: `ops:${secretFile}` }, paths).auth).toEqual({
      principal: "ops",
      secretFile,
    });
  });

  it.each([
    [{ port: "99999" }, "--port 0 to pick a free one"],
    [{ port: "abc" }, "--port 0 to pick a free one"],
    [{ port: "" }, "--port 0 to pick a free one"],
    [{ agents: "0" }, "e.g. --agents 3"],
    [{ zones: "" }, "e.g. --zones a,b,c"],
  ])("refuses %j with a hint showing a value that works", (opts, hint) => {
    const refusal = (() => {
      try {
        clusterConfig({ ...UP, ...opts }, paths);
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(refusal).toBeInstanceOf(UsageError);
    expect((refusal as UsageError).hint).toContain(hint);
  });

  it("parses the Mesos resource text", () => {
    const config = clusterConfig({ ...UP, agents: "2", zones: "x,y" }, paths);
    expect(config.agentResources).toEqual({
      cpus: 4,
      mem: 8192,
      disk: 20000,
      ports: [{ begin: 31000, end: 32000 }],
    });
    expect(config.zones).toEqual(["x", "y"]);
    expect(config.region).toBeUndefined();
    expect(clusterConfig({ ...UP, faultDomain: "eu-west-1" }, paths).region).toBe("eu-west-1");
    expect(config.stateFile).toBe(join("/state", "local", "cluster.json"));
  });

  it("rescinds no offer for its age unless --offer-timeout says when, as a master without --offer_timeout", () => {
    expect(clusterConfig(UP, paths).master?.offerTimeoutMs).toBeUndefined();
    expect(clusterConfig({ ...UP, offerTimeout: "30s" }, paths).master?.offerTimeoutMs).toBe(30_000);
    for (const offerTimeout of ["soon", "0s"])
      expect(() => clusterConfig({ ...UP, offerTimeout }, paths)).toThrow(
        `--offer-timeout must be a duration above zero, got '${offerTimeout}'`,
      );
  });

  it("gives image pulls and fetches the agents' --executor-registration-timeout, 1 minute unless told", () => {
    expect(clusterConfig(UP, paths).executorRegistrationTimeoutMs).toBeUndefined();
    expect(
      clusterConfig({ ...UP, executorRegistrationTimeout: "5m" }, paths).executorRegistrationTimeoutMs,
    ).toBe(300_000);
    for (const executorRegistrationTimeout of ["later", "0s"])
      expect(() => clusterConfig({ ...UP, executorRegistrationTimeout }, paths)).toThrow(
        `--executor-registration-timeout must be a duration above zero, got '${executorRegistrationTimeout}'`,
      );
  });

  it("gives agents what a real agent probes for when --agent-resources leaves it out", () => {
    const config = clusterConfig({ ...UP, agentResources: "cpus:2;mem(web):512;mem:512" }, paths);
    expect(config.agentResources.ports).toEqual([{ begin: 31000, end: 32000 }]);
    expect(config.agentResources.disk).toBeGreaterThan(0);
    const probe = { cpus: () => 6, memoryBytes: () => 16 * 2 ** 30, diskBytes: () => 8 * 2 ** 30 };
    const given = givenResourceNames("cpus(web):1");
    expect([...given]).toEqual(["cpus"]);
    expect(withAgentDefaults({ cpus: 1, mem: 0, disk: 0, ports: [] }, given, "/work", probe)).toEqual({
      cpus: 1,
      mem: 15 * 1024,
      disk: 4 * 1024,
      ports: [{ begin: 31000, end: 32000 }],
    });
    // A MOUNT disk is a disk given: the agent then has no plain disk (containerizer.cpp `hasDisk`).
    const mountOnly =
      '[{"name":"disk","type":"SCALAR","scalar":{"value":9},"disk":{"source":{"type":"MOUNT","mount":{"root":"/m"}}}}]';
    expect(
      withAgentDefaults({ cpus: 0, mem: 0, disk: 0, ports: [] }, givenResourceNames(mountOnly), "/w", probe),
    ).toMatchObject({
      cpus: 6,
      mem: 15 * 1024,
      disk: 0,
    });
    // Below 2 GB of memory and 10 GB of disk, half of each.
    const small = { cpus: () => 1, memoryBytes: () => 2 ** 30, diskBytes: () => 2 * 2 ** 30 };
    expect(
      withAgentDefaults({ cpus: 1, mem: 0, disk: 0, ports: [] }, new Set(["cpus"]), "/w", small),
    ).toMatchObject({
      mem: 512,
      disk: 1024,
    });
  });

  it("reads Mesos' JSON form, and hints at it when it is wrong", () => {
    const cpusMem =
      '{"name":"cpus","type":"SCALAR","scalar":{"value":2}},{"name":"mem","type":"SCALAR","scalar":{"value":512}}';
    const mount =
      '{"name":"disk","type":"SCALAR","scalar":{"value":900},"disk":{"source":{"type":"MOUNT","mount":{"root":"/mnt/d0"}}}}';
    const config = clusterConfig({ ...UP, agentResources: `[${cpusMem},${mount}]` }, paths);
    expect(config.agentResources).toEqual({
      cpus: 2,
      mem: 512,
      disk: 0,
      ports: [{ begin: 31000, end: 32000 }],
      disks: [{ source: { type: "MOUNT", mount: { root: "/mnt/d0" } }, size: 900 }],
    });
    try {
      clusterConfig({ ...UP, agentResources: `[${cpusMem},]` }, paths);
      expect.unreachable();
    } catch (error) {
      expect((error as TitanError).message).toMatch(/^--agent-resources: not valid JSON \(/);
      expect((error as TitanError).hint).toContain('[{"name":"cpus"');
    }
  });
});

describe("titan local in the foreground", () => {
  it("starts, reports status, refuses a second start, and stops cleanly when interrupted", async () => {
    const dir = tempDir();
    const fg = testEnv(dir);
    const running = runLocalUp(fg.env, { ...UP, foreground: true });
    const stateFile = localPaths(dir).stateFile;
    for (let i = 0; i < 200 && !fg.out().includes("http://"); i++)
      await new Promise((r) => setTimeout(r, 10));
    const url = fg.out().trim();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(readClusterState(stateFile)?.url).toBe(url);

    const status = testEnv(dir);
    expect(await runLocalStatus(status.env, { json: true })).toBe(0);
    const parsed = JSON.parse(status.out()) as {
      agents: Array<{
        hostname: string;
        total: { cpus: number };
        tasks: number;
        attributes: Record<string, string>;
      }>;
    };
    expect(parsed.agents.map((a) => a.hostname).sort()).toEqual([
      "agent-1.local",
      "agent-2.local",
      "agent-3.local",
    ]);
    expect(parsed.agents.every((a) => a.total.cpus === 4 && a.tasks === 0)).toBe(true);
    expect(parsed.agents.map((a) => a.attributes.zone).sort()).toEqual(["a", "b", "c"]);

    const table = testEnv(dir);
    await runLocalStatus(table.env, { json: false });
    expect(table.out()).toMatch(/AGENT\s+ZONE\s+CPUS\s+MEM \(MB\)\s+DISK \(MB\)\s+TASKS\s+ID/);
    expect(table.out()).toMatch(/agent-1\.local\s+a\s+0\/4\s+0\/8192\s+0\/20000\s+0/);

    const again = testEnv(dir);
    await expect(runLocalUp(again.env, UP)).rejects.toThrow(`the local cluster is already running at ${url}`);

    fg.abort();
    expect(await running).toBe(0);
    expect(existsSync(stateFile)).toBe(false);
    const down = testEnv(dir);
    expect(await runLocalDown(down.env)).toBe(0);
    expect(down.err()).toContain("the local cluster is not running");
  });

  it("refuses an agents' port range given with --agent-resources when something listens in it", async () => {
    const range = await freePortRange(20);
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(range.begin + 3, "127.0.0.1", resolve));
    try {
      const t = testEnv(tempDir());
      const spec = `cpus:1;mem:256;disk:100;ports:[${range.begin}-${range.end}]`;
      const error = await runLocalUp(t.env, { ...UP, agentResources: spec }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TitanError);
      expect((error as TitanError).message).toBe(
        `host port ${range.begin + 3} of the agents' range [${range.begin}-${range.end}] is in use on 127.0.0.1`,
      );
      expect((error as TitanError).hint).toContain("--agent-resources");
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it("moves the default range to a free block when something listens in it", async () => {
    const range = await freePortRange(20);
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(range.end, "127.0.0.1", resolve));
    try {
      const config = clusterConfig(
        { ...UP, agentResources: `cpus:1;mem:256;disk:100;ports:[${range.begin}-${range.end}]` },
        localPaths(tempDir()),
      );
      const said = await agentPorts(config, false);
      const [moved] = config.agentResources.ports;
      expect(moved).toBeDefined();
      expect((moved?.end ?? 0) - (moved?.begin ?? 0)).toBe(19);
      expect(moved?.end !== undefined && (moved.end < range.begin || moved.begin > range.end)).toBe(true);
      expect(said).toBe(
        `agents use host ports [${moved?.begin}-${moved?.end}] (port ${range.end} is in use, so the default range is left to it)`,
      );
      // A free default range stays where it is.
      const free = clusterConfig(UP, localPaths(tempDir()));
      free.agentResources.ports = [await freePortRange(10)];
      free.port = 5050;
      const before = free.agentResources.ports;
      expect(await agentPorts(free, false)).toBeUndefined();
      expect(free.agentResources.ports).toEqual(before);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it("refuses a port that is taken", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const t = testEnv(tempDir());
      const error = await runLocalUp(t.env, { ...UP, port: String(port) }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TitanError);
      expect((error as TitanError).message).toBe(`port ${port} on 127.0.0.1 is already in use`);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it("says so when status is asked of a cluster that is not running", async () => {
    const t = testEnv(tempDir());
    await expect(runLocalStatus(t.env, { json: false })).rejects.toThrow("the local cluster is not running");
  });
});

describe.runIf(daemonEntry() !== undefined)("titan local in the background (compiled daemon)", () => {
  it("up starts a detached cluster, status reads it, down stops it and removes the pid file", async () => {
    const dir = tempDir();
    const up = testEnv(dir);
    expect(await runLocalUp(up.env, { ...UP, agents: "2" })).toBe(0);
    const url = up.out().trim();
    const state = readClusterState(localPaths(dir).stateFile);
    expect(state?.url).toBe(url);
    const pid = state?.pid ?? 0;
    pidsToKill.push(pid);
    expect(isAlive(pid)).toBe(true);
    // What tells the daemon from a later process given its pid: its start time (Linux), its instance token.
    expect(state?.processStart).toBe(processStartOf(pid));
    expect(state?.instance).toMatch(/^[0-9a-f]{32}$/);
    expect(await clusterOwnership(state ?? { pid, url }, () => undefined)).toBe("ours");
    // Only the owner may read the cluster's state, secret and log; the state file names the secret's file only.
    const paths = localPaths(dir);
    for (const file of [paths.stateFile, paths.secretFile, paths.logFile])
      expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(paths.dir).mode & 0o066).toBe(0);
    const secret = readFileSync(paths.secretFile, "utf8").trim();
    expect(readFileSync(paths.stateFile, "utf8")).not.toContain(secret);
    expect((await fetch(`${url}/__titan_local/faults`)).status).toBe(404);

    const status = testEnv(dir);
    await runLocalStatus(status.env, { json: true });
    expect((JSON.parse(status.out()) as { agents: unknown[] }).agents).toHaveLength(2);

    const down = testEnv(dir);
    expect(await runLocalDown(down.env)).toBe(0);
    expect(down.out()).toContain(`stopped the local cluster at ${url}`);
    expect(isAlive(pid)).toBe(false);
    expect(existsSync(localPaths(dir).stateFile)).toBe(false);
    expect(await runLocalDown(testEnv(dir).env)).toBe(0);
  });

  it("gives two clusters started with --port 0 beside each other host ports of their own", async () => {
    const dirs = [tempDir(), tempDir()];
    const ranges: Array<Array<{ begin: number; end: number }>> = [];
    for (const dir of dirs) {
      expect(await runLocalUp(testEnv(dir).env, { ...UP, agents: "2" })).toBe(0);
      const paths = localPaths(dir);
      const state = readClusterState(paths.stateFile);
      pidsToKill.push(state?.pid ?? 0);
      ranges.push(await agentPortRanges(state?.url ?? "", paths.secretFile));
    }
    const [first, second] = ranges;
    expect(first?.length).toBeGreaterThan(0);
    expect(second?.length).toBeGreaterThan(0);
    const shared = (first ?? []).filter((a) =>
      (second ?? []).some((b) => a.begin <= b.end && b.begin <= a.end),
    );
    expect(shared, JSON.stringify(ranges)).toEqual([]);
    for (const dir of dirs) expect(await runLocalDown(testEnv(dir).env)).toBe(0);
  });

  it("ensureLocalCluster starts a cluster only when none is running", async () => {
    const dir = tempDir();
    const first = await ensureLocalCluster(dir, { port: 0 });
    const pid = readClusterState(localPaths(dir).stateFile)?.pid ?? 0;
    pidsToKill.push(pid);
    expect(first.started).toBe(true);
    expect(await isHealthy(first.url)).toBe(true);
    const second = await ensureLocalCluster(dir, { port: 0 });
    expect(second).toEqual({ url: first.url, auth: first.auth, started: false });
    expect(first.auth?.principal).toBe("titan");
    // Without the credentials the cluster answers nothing but /health, /version and /redirect.
    const anonymous = await fetch(`${first.url}/master/state`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toBe('Basic realm="mesos-master-readonly"');
    // As a master started without --offer_timeout: offers are never rescinded for their age.
    const basic = Buffer.from(`${first.auth?.principal}:${first.auth?.secret}`).toString("base64");
    const state = (await (
      await fetch(`${first.url}/master/state`, { headers: { Authorization: `Basic ${basic}` } })
    ).json()) as { flags: Record<string, string> };
    expect(state.flags).not.toHaveProperty("offer_timeout");
    expect(await runLocalDown(testEnv(dir).env)).toBe(0);
    expect(isAlive(pid)).toBe(false);
  });
});
