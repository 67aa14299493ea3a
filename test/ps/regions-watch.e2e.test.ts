import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../../src/cli/env.js";
import { STDOUT_CLOSED } from "../../src/cli/exit-codes.js";
import { runPs } from "../../src/commands/ps/run.js";
import { runCli } from "../support/cli.js";
import { testEnv } from "../support/env.js";
import { startLabelledFramework } from "../support/labelled-tasks.js";
import { startTestCluster } from "../support/local-cluster.js";
import { tempDir } from "../support/tmp.js";

const fastCluster = { master: { allocationIntervalMs: 50 } };
const stops: AbortController[] = [];
afterEach(() => {
  for (const controller of stops.splice(0)) controller.abort();
});

async function configure(env: Record<string, string>, argv: string[]): Promise<void> {
  const result = await runCli(argv, { env });
  if (result.code !== 0) throw new Error(`titan ${argv.join(" ")}: ${result.stderr}`);
}

describe("titan ps --all-regions", () => {
  it("shows one section per mapped region and reports an unreachable region without hiding the others", async () => {
    const east = await startTestCluster({ agents: 1, ...fastCluster });
    const west = await startTestCluster({ agents: 1, ...fastCluster });
    const eastApi = await startLabelledFramework(east.url, "api");
    const westApi = await startLabelledFramework(west.url, "api");
    await eastApi.waitFor(eastApi.launch({ instance: 0, region: "us-east", command: "sleep 30" }));
    await eastApi.waitFor(eastApi.launch({ instance: 1, region: "us-east", command: "sleep 30" }));
    await westApi.waitFor(westApi.launch({ instance: 0, region: "eu-west", command: "sleep 30" }));

    const dir = tempDir();
    const env = { TITAN_CONFIG: join(dir, "config.yaml"), XDG_DATA_HOME: join(dir, "data") };
    await configure(env, ["config", "set-cluster", "east", "--master", east.url]);
    await configure(env, ["config", "set-cluster", "west", "--master", west.url]);
    await configure(env, ["config", "set-region", "us-east", "--cluster", "east"]);
    await configure(env, ["config", "set-region", "eu-west", "--cluster", "west"]);

    const ok = await runCli(["ps", "--all-regions", "--json"], { env });
    expect(ok.code).toBe(0);
    const doc = JSON.parse(ok.stdout) as {
      regions: Array<{ region: string; cluster: string; apps: Array<{ app: string; running: number }> }>;
    };
    expect(doc.regions.map((r) => [r.region, r.cluster, r.apps[0]?.running])).toEqual([
      ["eu-west", "west", 1],
      ["us-east", "east", 2],
    ]);

    await configure(env, ["config", "set-cluster", "dead", "--master", "http://127.0.0.1:1"]);
    await configure(env, ["config", "set-region", "ap-south", "--cluster", "dead"]);
    const partial = await runCli(["ps", "--all-regions"], { env });
    expect(partial.code).toBe(1);
    expect(partial.stdout).toMatch(/region ap-south · context local · cluster dead[^\n]*\n\s+unavailable: /);
    expect(partial.stdout).toContain("region us-east · context local · cluster east");
    expect(partial.stdout).toContain("api  desired -  running 2  healthy 2");

    // A region whose credentials cannot be read is unavailable alone, as one whose masters do not answer.
    await configure(env, [
      "config",
      "set-cluster",
      "locked",
      "--master",
      west.url,
      "--principal",
      "titan",
      "--secret",
      "env:TITAN_TEST_UNSET_SECRET",
    ]);
    await configure(env, ["config", "set-region", "sa-east", "--cluster", "locked"]);
    const unset = await runCli(["ps", "--all-regions"], { env });
    expect(unset.code).toBe(1);
    expect(unset.stdout).toMatch(
      /region sa-east · context local · cluster locked[^\n]*\n\s+unavailable: secret env:TITAN_TEST_UNSET_SECRET is not set/,
    );
    expect(unset.stdout).toContain("api  desired -  running 2  healthy 2");
    await configure(env, ["config", "delete-region", "sa-east"]);

    const clash = await runCli(["ps", "--all-regions", "--region", "us-east"], { env });
    expect(clash.code).toBe(2);
  });

  it("refuses --all-regions when no region is mapped", async () => {
    const dir = tempDir();
    const result = await runCli(["ps", "--all-regions"], { env: { TITAN_CONFIG: join(dir, "config.yaml") } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("titan config set-region");
  });
});

describe("titan ps --watch", () => {
  function watch(master: string, options: { tty?: boolean; json?: boolean } = {}) {
    const controller = new AbortController();
    stops.push(controller);
    const t = testEnv({ signal: controller.signal, ...(options.tty ? { tty: true } : {}) });
    const done = runPs(
      { ...t.env, clock: systemClock },
      {
        apps: [],
        allRegions: false,
        all: false,
        json: options.json === true,
        watch: true,
        interval: "100ms",
        master,
      },
    );
    return {
      out: t.out,
      async until(check: () => boolean, what: string): Promise<void> {
        for (let i = 0; i < 400 && !check(); i += 1) await new Promise((r) => setTimeout(r, 25));
        if (!check()) throw new Error(`never saw ${what}; stdout:\n${t.out()}`);
      },
      stop: async (reason?: string) => {
        controller.abort(reason);
        return done;
      },
    };
  }

  it("off a terminal prints the view once, then one timestamped line per changed row, and exits 0 on Ctrl-C", async () => {
    const local = await startTestCluster({ agents: 1, ...fastCluster });
    const api = await startLabelledFramework(local.url, "api");
    const first = api.launch({ instance: 0, command: "sleep 30" });
    await api.waitFor(first);
    const ps = watch(local.url);
    await ps.until(() => ps.out().includes("api  desired -  running 1"), "the first view");
    const second = api.launch({ instance: 1, command: "sleep 30" });
    await api.waitFor(second);
    await ps.until(() => ps.out().includes(`api[1]  new: running  ${second}`), "the new row");
    await api.kill(first);
    await api.waitFor(first, (s) => s === "TASK_KILLED");
    // Without --all an ended instance leaves the view, said as how its task ended.
    await ps.until(() => /api\[0\] {2}running -> killed \d+s ago {2}/.test(ps.out()), "the change");
    expect(ps.out()).toContain(first);
    expect(ps.out()).not.toContain("no longer reported");
    expect(await ps.stop()).toBe(0);
    const changes = ps
      .out()
      .split("\n")
      .filter((l) => /^\d{4}-\d\d-\d\dT/.test(l));
    expect(changes.length).toBeGreaterThanOrEqual(2);
    expect(ps.out().match(/INSTANCE/g)).toHaveLength(1);
  });

  it("on a terminal redraws the whole view; with --json prints one document per change", async () => {
    const local = await startTestCluster({ agents: 1, ...fastCluster });
    const api = await startLabelledFramework(local.url, "api");
    await api.waitFor(api.launch({ instance: 0, command: "sleep 30" }));
    const tty = watch(local.url, { tty: true });
    await tty.until(() => tty.out().includes("running 1"), "the view");
    expect(await tty.stop()).toBe(0);
    expect(tty.out().startsWith("\x1b[H\x1b[2J")).toBe(true);

    const json = watch(local.url, { json: true });
    await json.until(() => json.out().includes("\n"), "a document");
    const extra = api.launch({ instance: 1, command: "sleep 30" });
    await api.waitFor(extra);
    await json.until(() => json.out().trimEnd().split("\n").length >= 2, "a second document");
    expect(await json.stop()).toBe(0);
    // A reader of stdout that goes away (ps --watch | head -1) stops it before it is done, as any command: 130.
    const cut = watch(local.url, { json: true });
    await cut.until(() => cut.out().includes("\n"), "a document");
    expect(await cut.stop(STDOUT_CLOSED)).toBe(130);
    const docs = json
      .out()
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { regions: Array<{ apps: Array<{ instances: unknown[] }> }> });
    expect(docs[0]?.regions[0]?.apps[0]?.instances).toHaveLength(1);
    expect(docs.at(-1)?.regions[0]?.apps[0]?.instances).toHaveLength(2);
  });
});
