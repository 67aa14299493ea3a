import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { STDOUT_CLOSED } from "../../src/cli/exit-codes.js";
import { runCli } from "../support/cli.js";
import { startLabelledFramework } from "../support/labelled-tasks.js";
import { startTestCluster } from "../support/local-cluster.js";
import { tempDir } from "../support/tmp.js";

function isolatedEnv(): Record<string, string> {
  const dir = tempDir();
  return { TITAN_CONFIG: join(dir, "config.yaml"), XDG_DATA_HOME: join(dir, "data") };
}

interface TopJson {
  sections: Array<{
    interval_ms: number;
    apps: Array<{
      app: string;
      cpus: number;
      cpus_allocated: number;
      mem_rss_bytes: number;
      measured: number;
      instances: Array<{
        instance: number;
        task: string;
        cpus?: number;
        cpus_allocated?: number;
        cpus_limit?: number;
        mem_rss_bytes?: number;
        mem_limit_bytes?: number;
        processes?: number;
        problem?: string;
      }>;
    }>;
  }>;
}

const MIB = 1024 * 1024;
/** Busy about a third of the time: clearly above an idle task, without taking a whole core from the suite. */
const BUSY = `node -e "setInterval(() => { const t = Date.now(); while (Date.now() - t < 15); }, 45)"`;

describe("titan top against the local cluster", () => {
  it("shows what each running instance uses, measured by its agent, beside what it was given; --watch each round", async () => {
    const local = await startTestCluster({ agents: 2, master: { allocationIntervalMs: 50 } });
    const api = await startLabelledFramework(local.url, "api");
    const busy = api.launch({ instance: 0, release: 1, command: BUSY });
    const idle = api.launch({ instance: 1, release: 1, command: "sleep 60" });
    await api.waitFor(busy, (s) => s === "TASK_RUNNING");
    await api.waitFor(idle, (s) => s === "TASK_RUNNING");
    const env = isolatedEnv();

    const json = await runCli(["top", "--master", local.url, "--json", "--interval", "1500ms"], { env });
    expect(json.stderr).toBe("");
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as TopJson;
    const app = doc.sections[0]?.apps.find((a) => a.app === "api");
    expect(doc.sections[0]?.interval_ms).toBe(1500);
    const [first, second] = app?.instances ?? [];
    expect(first).toMatchObject({ instance: 0, task: busy });
    expect(second).toMatchObject({ instance: 1, task: idle });
    expect(first?.cpus).toBeGreaterThan(0.1);
    expect(second?.cpus).toBeLessThan(0.05);
    for (const row of [first, second]) {
      expect(row?.problem).toBeUndefined();
      expect(row?.mem_rss_bytes).toBeGreaterThan(MIB);
      // The task's 0.1 cpus and 16 MB, and the command executor's own 0.1 cpus and 32 MB; no hard cpu cap.
      expect(row?.cpus_allocated).toBeCloseTo(0.2, 6);
      expect(row?.cpus_limit).toBeUndefined();
      expect(row?.mem_limit_bytes).toBe(48 * MIB);
    }
    expect(app?.measured).toBe(2);
    expect(app?.cpus_allocated).toBeCloseTo(0.4, 6);

    const table = await runCli(["top", "api", "--master", local.url], { env });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      /api {2}2 instances {2}cpu [\d.]+ of 0.40 \(\d+%\) {2}mem [\d.]+ MiB of 96.0 MiB/,
    );
    expect(table.stdout).toMatch(/INSTANCE\s+TASK\s+HOST\s+CPU\s+MEM/);
    expect(table.stdout).toMatch(
      new RegExp(`1\\s+${idle.replaceAll(".", "\\.")}\\s+agent-\\d\\.local\\s+0\\.0\\d+ of 0\\.20`),
    );

    // --watch: one document per round, each measured since the round before, until Ctrl-C (exit 0).
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), 3000);
    const watched = await runCli(
      ["top", "api", "--master", local.url, "--watch", "--json", "--interval", "400ms"],
      {
        env,
        signal: stop.signal,
      },
    );
    clearTimeout(timer);
    expect(watched.code).toBe(0);
    const rounds = watched.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as TopJson);
    expect(rounds.length).toBeGreaterThanOrEqual(2);
    for (const round of rounds) {
      expect(round.sections[0]?.interval_ms).toBe(400);
      expect(round.sections[0]?.apps[0]?.instances[0]?.cpus).toBeGreaterThan(0.05);
    }
    // A reader of stdout that goes away (top -w | head -1) stops it before it is done, as any command: 130.
    const gone = new AbortController();
    const cut = setTimeout(() => gone.abort(STDOUT_CLOSED), 1000);
    const cutShort = await runCli(["top", "api", "--master", local.url, "--watch", "--interval", "400ms"], {
      env,
      signal: gone.signal,
    });
    clearTimeout(cut);
    expect(cutShort.code).toBe(130);
    expect(cutShort.stderr).toBe("");
  }, 60_000);

  it("says on its rows when an instance's agent does not answer, and refuses an app it does not know", async () => {
    const local = await startTestCluster({ agents: 1, master: { allocationIntervalMs: 50 } });
    const api = await startLabelledFramework(local.url, "api");
    const id = api.launch({ instance: 0, release: 1, command: "sleep 60" });
    await api.waitFor(id, (s) => s === "TASK_RUNNING");
    const env = isolatedEnv();

    const unknown = await runCli(["top", "nope", "--master", local.url], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('titan knows no app named "nope"');
    const bad = await runCli(["top", "--master", local.url, "--interval", "5"], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--interval");

    // The agent's machine dies; until the master notices, it still lists the agent and the task as running.
    const slaves = (await (await fetch(`${local.url}/master/slaves`)).json()) as {
      slaves: Array<{ id: string }>;
    };
    await local.faults.stopAgent(slaves.slaves[0]?.id ?? "");
    const down = await runCli(["top", "--master", local.url, "--json", "--interval", "200ms"], { env });
    expect(down.code).toBe(0);
    const row = (JSON.parse(down.stdout) as TopJson).sections[0]?.apps[0]?.instances[0];
    expect(row).toMatchObject({ instance: 0, task: id });
    expect(row?.problem).toMatch(/^no figures from agent agent-1\.local: .*(refused|reset|closed)/i);
    expect(row?.cpus).toBeUndefined();
  }, 60_000);
});

describe("titan top --all-regions", () => {
  it("shows a region it cannot read as unavailable, beside the others, and exits 1", async () => {
    const local = await startTestCluster({ agents: 1, master: { allocationIntervalMs: 50 } });
    const api = await startLabelledFramework(local.url, "api");
    await api.waitFor(api.launch({ instance: 0, release: 1, region: "us-east", command: "sleep 60" }));
    const env = isolatedEnv();
    const config = async (...argv: string[]) =>
      expect((await runCli(["config", ...argv], { env })).code).toBe(0);
    await config("set-cluster", "east", "--master", local.url);
    await config("set-cluster", "dead", "--master", "http://127.0.0.1:1");
    await config(
      "set-cluster",
      "locked",
      "--master",
      local.url,
      "--principal",
      "t",
      "--secret",
      "env:TOP_UNSET",
    );
    await config("set-region", "us-east", "--cluster", "east");
    await config("set-region", "eu-west", "--cluster", "dead");
    await config("set-region", "sa-east", "--cluster", "locked");

    const text = await runCli(["top", "--all-regions", "--interval", "200ms"], { env });
    expect(text.code, text.stderr).toBe(1);
    expect(text.stdout).toMatch(/region eu-west · context local · cluster dead[^\n]*\n\s+unavailable: /);
    expect(text.stdout).toMatch(
      /region sa-east · context local · cluster locked[^\n]*\n\s+unavailable: secret env:TOP_UNSET is not set/,
    );
    expect(text.stdout).toMatch(/region us-east · [^\n]*\n\napi {2}1 instance/);

    const json = await runCli(["top", "--all-regions", "--interval", "200ms", "--json"], { env });
    expect(json.code).toBe(1);
    const sections = (JSON.parse(json.stdout) as { sections: Array<{ region: string; error?: string }> })
      .sections;
    expect(sections.map((s) => [s.region, s.error === undefined])).toEqual([
      ["eu-west", false],
      ["sa-east", false],
      ["us-east", true],
    ]);
  }, 60_000);
});
