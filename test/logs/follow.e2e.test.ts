import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../../src/cli/env.js";
import { runLogs } from "../../src/commands/logs/run.js";
import { agentBaseUrl } from "../../src/mesos/agent-address.js";
import { MasterCluster } from "../../src/mesos/leader.js";
import { AgentOperator, MasterOperator } from "../../src/mesos/operator.js";
import { sandboxDirectoryFromLegacyState } from "../../src/mesos/sandbox.js";
import { runCli } from "../support/cli.js";
import { testEnv } from "../support/env.js";
import { startLabelledFramework } from "../support/labelled-tasks.js";
import { startTestCluster } from "../support/local-cluster.js";
import { tempDir } from "../support/tmp.js";

const fastCluster = { master: { allocationIntervalMs: 50 } };
const timings = { minPollMs: 20, maxPollMs: 100, discoverMs: 100 };

const stops: AbortController[] = [];
afterEach(() => {
  for (const controller of stops.splice(0)) controller.abort();
});

/** Starts `titan logs -f` in-process with observable output; the returned stop() aborts it like Ctrl-C. */
function follow(master: string, target: string, extra: { json?: boolean } = {}) {
  const controller = new AbortController();
  stops.push(controller);
  const t = testEnv({ signal: controller.signal });
  const env = { ...t.env, clock: systemClock };
  const done = runLogs(
    env,
    {
      target,
      follow: true,
      stdout: true,
      stderr: false,
      allStreams: false,
      raw: false,
      json: extra.json === true,
      master,
    },
    timings,
  );
  return {
    out: t.out,
    err: t.err,
    async until(check: () => boolean, what: string): Promise<void> {
      for (let i = 0; i < 400 && !check(); i += 1) await new Promise((r) => setTimeout(r, 25));
      if (!check()) throw new Error(`never saw ${what}; stdout:\n${t.out()}\nstderr:\n${t.err()}`);
    },
    async stop(): Promise<number> {
      controller.abort();
      return done;
    },
  };
}

/** The task's sandbox directory on disk, through the master and the agent's legacy state. */
async function sandboxOf(master: string, frameworkId: string, taskId: string): Promise<string> {
  const cluster = MasterCluster.fromConfig({ masters: [master] });
  try {
    const operator = new MasterOperator(cluster);
    const task = (await operator.getTasks()).tasks?.find((t) => t.task_id.value === taskId);
    const agent = (await operator.getAgents()).agents?.find(
      (a) => a.agent_info.id?.value === task?.agent_id.value,
    );
    if (agent === undefined) throw new Error(`no agent for ${taskId}`);
    const state = await new AgentOperator(cluster.transport, agentBaseUrl(agent)).legacyState();
    const dir = sandboxDirectoryFromLegacyState(state, frameworkId, taskId);
    if (dir === undefined) throw new Error(`no sandbox for ${taskId}`);
    return dir;
  } finally {
    await cluster.close();
  }
}

describe("titan logs -f against the local cluster", () => {
  it("follows every instance and picks up one that starts after following began", async () => {
    const local = await startTestCluster({ agents: 2, ...fastCluster });
    const api = await startLabelledFramework(local.url, "api");
    await api.waitFor(
      api.launch({ instance: 0, command: "i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.05; done" }),
    );
    const logs = follow(local.url, "api");
    await logs.until(() => /api\[0\] agent-\d\.local \| tick-\d+/.test(logs.out()), "instance 0");

    await api.waitFor(api.launch({ instance: 1, command: "echo late-start; sleep 30" }));
    await logs.until(() => logs.out().includes("| late-start"), "the late instance");
    expect(await logs.stop()).toBe(0);

    const lines = logs.out().trimEnd().split("\n");
    expect(lines).toContainEqual(expect.stringMatching(/^api\[1\] agent-\d\.local \| late-start$/));
    // Every tick appears once, in order, with no line split at a chunk boundary.
    const ticks = lines.filter((l) => l.startsWith("api[0]")).map((l) => l.split(" | ")[1] ?? "");
    const numbers = ticks.map((t) => Number(/^tick-(\d+)$/.exec(t)?.[1] ?? Number.NaN));
    expect(numbers.every(Number.isInteger)).toBe(true);
    for (let i = 1; i < numbers.length; i += 1) expect(numbers[i]).toBe((numbers[i - 1] ?? 0) + 1);
    expect(logs.err()).toBe("");
  });

  it("keeps following a quiet run through a master failover whose agent re-registers late", async () => {
    const local = await startTestCluster({ agents: 1, ...fastCluster });
    const api = await startLabelledFramework(local.url, "api");
    await api.waitFor(
      api.launch({ instance: 0, command: "i=0; while true; do echo slow-$i; i=$((i+1)); sleep 1; done" }),
    );
    const logs = follow(local.url, "api");
    await logs.until(() => logs.out().includes("| slow-0"), "the first line");
    // The new master lists no task of the agent until it re-registers, 3 s on: quiet polls meanwhile.
    await local.faults.failoverMaster(3000);
    const after = logs.out().length;
    await logs.until(
      () =>
        (
          logs
            .out()
            .slice(after)
            .match(/\| slow-\d+\n/g) ?? []
        ).length >= 5,
      "5 lines after it",
    );
    expect(await logs.stop()).toBe(0);
    // Every line once, in order (a read cut off by the failover is noted and retried, nothing skipped).
    const numbers = logs
      .out()
      .trimEnd()
      .split("\n")
      .map((l) => Number(/\| slow-(\d+)$/.exec(l)?.[1]));
    expect(numbers).toEqual(numbers.map((_, i) => i));
  }, 30_000);

  it("notices a truncated file and reads it again from the start", async () => {
    const local = await startTestCluster({ agents: 1, ...fastCluster });
    const api = await startLabelledFramework(local.url, "api");
    const command =
      "echo a-long-first-line-that-is-longer-than-what-follows; while [ ! -e go ]; do sleep 0.02; done; : > stdout; echo short; sleep 30";
    const id = api.launch({ instance: 0, command });
    await api.waitFor(id);
    const logs = follow(local.url, "api");
    await logs.until(() => logs.out().includes("a-long-first-line"), "the first line");
    writeFileSync(join(await sandboxOf(local.url, api.frameworkId(), id), "go"), "");
    await logs.until(() => logs.out().includes("| short"), "the line after truncation");
    expect(await logs.stop()).toBe(0);
    expect(logs.err()).toContain("the file was truncated or rotated; reading it from the start");
    expect(logs.out().match(/a-long-first-line/g)).toHaveLength(1);
  });

  it("notes a garbage-collected sandbox and keeps following the other instances, as NDJSON", async () => {
    const local = await startTestCluster({ agents: 1, ...fastCluster });
    const api = await startLabelledFramework(local.url, "api");
    const doomed = api.launch({ instance: 0, command: "echo doomed; sleep 30" });
    await api.waitFor(doomed);
    await api.waitFor(
      api.launch({ instance: 1, command: "i=0; while true; do echo alive-$i; i=$((i+1)); sleep 0.05; done" }),
    );
    const logs = follow(local.url, "api", { json: true });
    await logs.until(() => logs.out().includes('"line":"doomed"'), "the first instance");
    rmSync(await sandboxOf(local.url, api.frameworkId(), doomed), { recursive: true, force: true });
    await logs.until(() => logs.err().includes("sandbox is gone"), "the note");
    const seen = logs.out().length;
    await logs.until(
      () => logs.out().slice(seen).includes('"line":"alive-'),
      "the other instance after the note",
    );
    expect(await logs.stop()).toBe(0);
    for (const line of logs.out().trimEnd().split("\n")) {
      const record = JSON.parse(line) as Record<string, unknown>;
      expect(Object.keys(record).sort()).toEqual(["app", "host", "instance", "line", "stream", "task_id"]);
    }
    expect(logs.err()).toContain(`api[0] stdout (task ${doomed}): the sandbox is gone`);
  });

  it("follows the two streams of many instances at once without node's warning of too many abort listeners", async () => {
    const local = await startTestCluster({ agents: 2, ...fastCluster });
    const api = await startLabelledFramework(local.url, "api");
    const ids = Array.from({ length: 7 }, (_, instance) =>
      api.launch({
        instance,
        command: `while true; do echo out-${instance}; echo err-${instance} >&2; sleep 0.1; done`,
      }),
    );
    for (const id of ids) await api.waitFor(id);
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    const stop = new AbortController();
    try {
      const dir = tempDir();
      const env = { TITAN_CONFIG: join(dir, "config.yaml"), XDG_DATA_HOME: join(dir, "data") };
      const timer = setTimeout(() => stop.abort(), 2500);
      const result = await runCli(["logs", "api", "-f", "--master", local.url], { env, signal: stop.signal });
      clearTimeout(timer);
      expect(result.code).toBe(0);
      for (let instance = 0; instance < 7; instance += 1) {
        expect(result.stdout).toMatch(
          new RegExp(`^api\\[${instance}\\] agent-\\d\\.local out \\| out-${instance}$`, "m"),
        );
        expect(result.stdout).toMatch(
          new RegExp(`^api\\[${instance}\\] agent-\\d\\.local err \\| err-${instance}$`, "m"),
        );
      }
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  }, 30_000);
});
