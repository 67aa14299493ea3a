import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { stillRunning } from "../../src/local/cluster-identity.js";
import { localPaths } from "../../src/local/control.js";
import { localClusterAccess } from "../../src/local/credentials.js";
import { ensureLocalCluster } from "../../src/local/ensure.js";
import { readClusterState } from "../../src/local/runner.js";
import { writeWebApp } from "../deploy/harness.js";
import { runCli } from "../support/cli.js";
import { startTestCluster } from "../support/local-cluster.js";
import { freePortRange } from "../support/ports.js";
import { tempDir } from "../support/tmp.js";

/** A home of one's own: config, data and state (where `titan local up` records its cluster) in a temp dir. */
function home(): { dir: string; env: Record<string, string> } {
  const dir = tempDir("titan-target-");
  return {
    dir,
    env: {
      HOME: dir,
      XDG_CONFIG_HOME: join(dir, "config"),
      XDG_DATA_HOME: join(dir, "data"),
      XDG_STATE_HOME: join(dir, "state"),
      XDG_CACHE_HOME: join(dir, "cache"),
    },
  };
}

interface PsJson {
  regions: Array<{ master: string; apps: Array<{ app: string; desired: number | null; running: number }> }>;
}

const daemons: string[] = [];
afterEach(async () => {
  for (const stateDir of daemons.splice(0)) {
    const state = readClusterState(localPaths(stateDir).stateFile);
    if (state && stillRunning(state)) process.kill(state.pid, "SIGKILL");
  }
});

/** Running task ids; `stateDir` names a `titan local up` cluster, whose APIs need its credentials. */
async function liveTaskIds(url: string, stateDir?: string): Promise<string[]> {
  const auth = stateDir === undefined ? undefined : localClusterAccess(localPaths(stateDir).stateFile)?.auth;
  const headers: Record<string, string> = auth
    ? { Authorization: `Basic ${Buffer.from(`${auth.principal}:${auth.secret}`).toString("base64")}` }
    : {};
  const body = (await (await fetch(`${url}/master/tasks`, { headers })).json()) as {
    tasks: Array<{ id: string; state: string }>;
  };
  return body.tasks.filter((t) => t.state === "TASK_RUNNING").map((t) => t.id);
}

describe("one target per command", () => {
  it("ps finds the releases deploy recorded for a configured cluster without `state:`", async () => {
    const local = await startTestCluster({ master: { allocationIntervalMs: 100 } });
    const h = home();
    const run = (args: string[]) => runCli(args, { env: h.env, cwd: h.dir });
    expect((await run(["config", "set-cluster", "lab", "--master", local.url])).code).toBe(0);
    expect((await run(["config", "set-context", "lab", "--cluster", "lab", "--use"])).code).toBe(0);
    const file = writeWebApp(h.dir, { instances: 2 });

    const deployed = await run(["deploy", "-f", file, "--yes"]);
    expect(deployed.code, deployed.stderr).toBe(0);
    const ps = await run(["ps", "--json"]);
    expect(ps.code, ps.stderr).toBe(0);
    const web = (JSON.parse(ps.stdout) as PsJson).regions[0]?.apps.find((a) => a.app === "web");
    expect(web).toMatchObject({ desired: 2, running: 2 });
  });

  it("takes the target flags before the command as after it", async () => {
    const local = await startTestCluster();
    const h = home();
    const run = (args: string[]) => runCli(args, { env: h.env, cwd: h.dir });
    const before = await run(["--master", local.url, "ps", "--json"]);
    const after = await run(["ps", "--json", "--master", local.url]);
    expect(before.code, before.stderr).toBe(0);
    expect((JSON.parse(before.stdout) as PsJson).regions[0]?.master).toBe(local.url);
    expect((JSON.parse(after.stdout) as PsJson).regions[0]?.master).toBe(local.url);

    const unknown = await run(["--context", "nope", "ps"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('context "nope" is not defined');
  });
});

describe("the local context", () => {
  it("is this user's own local cluster for every command, on the port it was started on", async () => {
    const h = home();
    const run = (args: string[]) => runCli(args, { env: h.env, cwd: h.dir });
    const ports = await freePortRange(100);
    daemons.push(join(h.dir, "state", "titan"));
    const up = await run([
      "local",
      "up",
      "--port",
      "0",
      "--agent-resources",
      `cpus:4;mem:8192;disk:20000;ports:[${ports.begin}-${ports.end}]`,
    ]);
    expect(up.code, up.stderr).toBe(0);
    const url = up.stdout.trim();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    try {
      const file = writeWebApp(h.dir, { instances: 2 });
      const plan = await run(["plan", "-f", file, "--json"]);
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toContain(url);

      const deployed = await run(["deploy", "-f", file, "--yes"]);
      expect(deployed.code, deployed.stderr).toBe(0);
      expect((await liveTaskIds(url, join(h.dir, "state", "titan"))).sort()).toEqual([
        "web.1.0.1",
        "web.1.1.1",
      ]);

      const ps = await run(["ps", "--json"]);
      expect(ps.code, ps.stderr).toBe(0);
      const section = (JSON.parse(ps.stdout) as PsJson).regions[0];
      expect(section?.master).toBe(url);
      expect(section?.apps.find((a) => a.app === "web")).toMatchObject({ desired: 2, running: 2 });

      const logs = await run(["logs", "web"]);
      expect(logs.code, logs.stderr).toBe(0);

      const shown = JSON.parse((await run(["context", "show", "--json"])).stdout) as { masters: string[] };
      expect(shown.masters).toEqual([url]);
    } finally {
      expect((await run(["local", "down"])).code).toBe(0);
    }
  });

  it("says how to start the local cluster when it is not running, instead of reading whatever answers", async () => {
    const h = home();
    // As for kubectl, a cluster that cannot be read is an error for status too, even when nothing was deployed.
    for (const args of [
      ["ps"],
      ["status"],
      ["status", "--json"],
      ["logs", "web"],
      ["plan", "-f", writeWebApp(h.dir)],
    ]) {
      const result = await runCli(args, { env: h.env, cwd: h.dir });
      expect(result.code, args.join(" ")).toBe(1);
      expect(result.stderr).toContain("error: the local cluster is not running");
      expect(result.stderr).toContain("hint: start it with `titan local up`");
    }
  });

  it("never adopts a master someone else runs on the local cluster's port", async () => {
    let requests = 0;
    const impostor: Server = createServer((_req, res) => {
      requests += 1;
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify({ version: "1.12.0" }));
    });
    await new Promise<void>((resolve) => impostor.listen(0, "127.0.0.1", resolve));
    try {
      const port = (impostor.address() as AddressInfo).port;
      await expect(ensureLocalCluster(tempDir(), { port })).rejects.toThrow(
        `port ${port} on 127.0.0.1 is in use by something other than your local cluster`,
      );
      expect(requests).toBe(0);
    } finally {
      await new Promise((resolve) => impostor.close(resolve));
    }
  });
});

describe("titan --version", () => {
  it("prints the version as `titan version` does", async () => {
    const flag = await runCli(["--version"]);
    const command = await runCli(["version"]);
    expect(flag.code).toBe(0);
    expect(flag.stdout).toMatch(/^titan \d+\.\d+\.\d+ \(node /);
    expect(flag.stdout).toBe(command.stdout);
    expect((await runCli(["-V"])).stdout).toBe(command.stdout);
  });
});
