/**
 * `titan logs -f` when one agent or the master stops answering: every other instance keeps printing. Runs against
 * the in-process fake master and agents with short timings, so nothing here waits for a real deadline.
 */
import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../../src/cli/env.js";
import type { FollowTimings } from "../../src/commands/logs/follow.js";
import { runLogs } from "../../src/commands/logs/run.js";
import { testEnv } from "../support/env.js";
import {
  answerFilesRead,
  type FakeAgent,
  type FakeLogsCluster,
  fakeAgent,
  fakeLogsCluster,
  taskIdOf,
} from "../support/fake-logs-cluster.js";
import type { RecordedRequest } from "../support/scripted-server.js";

/** Polls every 20-60 ms, looks for new runs every 60 ms; a read gets a long deadline unless a test shortens it. */
const fast: FollowTimings = { minPollMs: 20, maxPollMs: 60, discoverMs: 60, readDeadlineMs: 10_000 };

const stops: AbortController[] = [];
afterEach(() => {
  for (const controller of stops.splice(0)) controller.abort();
});

function follow(cluster: FakeLogsCluster, timings: Partial<FollowTimings> = {}) {
  const controller = new AbortController();
  stops.push(controller);
  const t = testEnv({ signal: controller.signal });
  const done = runLogs(
    { ...t.env, clock: systemClock },
    {
      target: "api",
      follow: true,
      stdout: true,
      stderr: false,
      allStreams: false,
      raw: false,
      json: false,
      master: cluster.master.url,
    },
    { ...fast, ...timings },
  );
  return {
    out: t.out,
    err: t.err,
    /** Waits until `check` holds; returns how long that took. */
    async until(check: () => boolean, what: string, withinMs = 3000): Promise<number> {
      const started = Date.now();
      while (!check() && Date.now() - started < withinMs) await new Promise((r) => setTimeout(r, 5));
      if (!check()) throw new Error(`never saw ${what}; stdout:\n${t.out()}\nstderr:\n${t.err()}`);
      return Date.now() - started;
    },
    async stop(): Promise<number> {
      controller.abort();
      return done;
    },
  };
}

/** Holds every request back, unanswered, until `release` answers them all. */
function stall() {
  const held: Array<{ request: RecordedRequest; response: ServerResponse }> = [];
  return {
    held,
    handler: (request: RecordedRequest, response: ServerResponse) => {
      held.push({ request, response });
    },
    release(answer: (request: RecordedRequest, response: ServerResponse) => void): void {
      for (const { request, response } of held.splice(0)) answer(request, response);
    },
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every request the servers see; after the command ended this must stop growing (no loop or timer left). */
function requestCount(cluster: FakeLogsCluster, agents: readonly FakeAgent[]): number {
  return cluster.master.requests.length + agents.reduce((n, a) => n + a.server.requests.length, 0);
}

async function twoInstances() {
  const a = await fakeAgent();
  const b = await fakeAgent();
  const cluster = await fakeLogsCluster([
    { app: "api", instance: 0, agent: a, stdout: "a-0\n" },
    { app: "api", instance: 1, agent: b, stdout: "b-0\n" },
  ]);
  const zero = taskIdOf({ app: "api", instance: 0 });
  const one = taskIdOf({ app: "api", instance: 1 });
  return { a, b, cluster, zero, one };
}

describe("titan logs -f when an agent stops answering /files/read", () => {
  it("keeps printing the other instances at their pace, then the stalled one from where it stopped", async () => {
    const { a, b, cluster, zero, one } = await twoInstances();
    const logs = follow(cluster);
    await logs.until(() => logs.out().includes("| a-0") && logs.out().includes("| b-0"), "both instances");

    const stalled = stall();
    b.handleFiles(stalled.handler);
    await logs.until(() => stalled.held.length > 0, "a read held by the stalled agent");
    for (let i = 1; i <= 3; i += 1) {
      b.append(one, "stdout", `b-${i}\n`);
      a.append(zero, "stdout", `a-${i}\n`);
      // Far less than the read deadline (10 s here, 30 s before): instance 0 does not wait for instance 1.
      expect(await logs.until(() => logs.out().includes(`| a-${i}\n`), `a-${i}`)).toBeLessThan(1000);
    }
    expect(logs.out()).not.toContain("b-1");

    b.restore();
    stalled.release((request, response) => answerFilesRead(b.files, request, response));
    await logs.until(() => logs.out().includes("| b-3\n"), "the stalled instance's lines");
    expect(await logs.stop()).toBe(0);

    const lines = logs.out().trimEnd().split("\n");
    expect(lines.filter((l) => l.startsWith("api[0]")).map((l) => l.split(" | ")[1])).toEqual([
      "a-0",
      "a-1",
      "a-2",
      "a-3",
    ]);
    expect(lines.filter((l) => l.startsWith("api[1]")).map((l) => l.split(" | ")[1])).toEqual([
      "b-0",
      "b-1",
      "b-2",
      "b-3",
    ]);
    expect(logs.err()).toBe("");

    const seen = requestCount(cluster, [a, b]);
    await pause(200);
    expect(requestCount(cluster, [a, b])).toBe(seen);
  });

  it("notes the stalled agent once when its reads pass their deadline, retries it, and says when it reads again", async () => {
    const { a, b, cluster, zero, one } = await twoInstances();
    const logs = follow(cluster, { readDeadlineMs: 100 });
    await logs.until(() => logs.out().includes("| b-0"), "instance 1");

    const stalled = stall();
    b.handleFiles(stalled.handler);
    const note = `titan: api[1] stdout (task ${one}): `;
    await logs.until(() => logs.err().includes(note), "the note about the stalled agent");
    await logs.until(() => stalled.held.length >= 3, "the stalled agent asked again");
    a.append(zero, "stdout", "a-1\n");
    await logs.until(() => logs.out().includes("| a-1\n"), "instance 0 meanwhile");

    b.restore();
    b.append(one, "stdout", "b-1\n");
    await logs.until(() => logs.out().includes("| b-1\n"), "instance 1 once its agent answers");
    expect(await logs.stop()).toBe(0);
    const notes = logs.err().trimEnd().split("\n");
    expect(notes.filter((l) => l.startsWith(note) && l.endsWith("; retrying"))).toHaveLength(1);
    expect(notes).toContain(`${note}reading again`);
  });
});

describe("titan logs -f when the master stops answering", () => {
  it("keeps printing the runs it follows, and follows a new run once the master answers again", async () => {
    const { a, cluster, zero } = await twoInstances();
    const logs = follow(cluster);
    await logs.until(() => logs.out().includes("| a-0"), "instance 0");

    const stalled = stall();
    cluster.master.handle(stalled.handler);
    await logs.until(() => stalled.held.length > 0, "a look for new runs held by the master");
    const late = await fakeAgent();
    late.append(taskIdOf({ app: "api", instance: 2 }), "stdout", "late-0\n");
    cluster.runs.push({ app: "api", instance: 2, agent: late });
    for (let i = 1; i <= 3; i += 1) {
      a.append(zero, "stdout", `a-${i}\n`);
      // The master's answer would take up to 75 s to give up on: the followed runs do not wait for it.
      expect(await logs.until(() => logs.out().includes(`| a-${i}\n`), `a-${i}`)).toBeLessThan(1000);
    }
    expect(logs.out()).not.toContain("late-0");

    cluster.master.handle((_request, response) => cluster.answer(response));
    stalled.release((_request, response) => cluster.answer(response));
    await logs.until(() => logs.out().includes("api[2]"), "the run found after the master answered");
    expect(logs.out()).toMatch(/^api\[2\] agent-\d+ \| late-0$/m);
    expect(await logs.stop()).toBe(0);
    expect(logs.err()).toBe("");

    const seen = requestCount(cluster, [a, late]);
    await pause(200);
    expect(requestCount(cluster, [a, late])).toBe(seen);
  });

  it("notes a master that refuses once, and keeps following", async () => {
    const { a, cluster, zero } = await twoInstances();
    const logs = follow(cluster);
    await logs.until(() => logs.out().includes("| a-0"), "instance 0");
    cluster.master.handle((_request, response) => {
      response.writeHead(503);
      response.end("leader election");
    });
    await logs.until(() => cluster.master.requests.length >= 6, "several looks for new runs");
    a.append(zero, "stdout", "a-1\n");
    await logs.until(() => logs.out().includes("| a-1\n"), "instance 0");
    expect(await logs.stop()).toBe(0);
    expect(logs.err().match(/cannot look for new instances: .*; retrying/g)).toHaveLength(1);
  });
});

describe("titan logs -f when a run ends", () => {
  it("prints its final partial line after the rest of its file, then stops reading it", async () => {
    const { a, cluster, zero } = await twoInstances();
    a.append(zero, "stdout", "a-1\nno newline");
    const logs = follow(cluster);
    await logs.until(() => logs.out().includes("| a-1\n"), "instance 0");
    const run = cluster.runs[0];
    if (run === undefined) throw new Error("no run");
    run.state = "TASK_FINISHED";
    await logs.until(() => logs.out().includes("| no newline\n"), "the final partial line");
    const reads = a.server.requests.length;
    await pause(200);
    expect(a.server.requests.length).toBe(reads);
    expect(await logs.stop()).toBe(0);
    expect(
      logs
        .out()
        .trimEnd()
        .split("\n")
        .filter((l) => l.startsWith("api[0]"))
        .map((l) => l.split(" | ")[1]),
    ).toEqual(["a-0", "a-1", "no newline"]);
  });
});

describe("titan logs -f when the master fails over", () => {
  it("keeps following the runs on agents that have not re-registered yet, which the new master does not list", async () => {
    const { a, b, cluster, zero, one } = await twoInstances();
    const logs = follow(cluster);
    await logs.until(() => logs.out().includes("| a-0") && logs.out().includes("| b-0"), "both instances");

    cluster.recovering = true;
    const asked = cluster.master.requests.length;
    // Several looks at a master that lists no task, and quiet polls meanwhile: the runs are not taken as ended.
    await logs.until(
      () => cluster.master.requests.length >= asked + 4,
      "several looks at the recovering master",
    );
    a.append(zero, "stdout", "a-1\n");
    await logs.until(() => logs.out().includes("| a-1\n"), "a line written while the agents re-register");

    cluster.recovering = false;
    b.append(one, "stdout", "b-1\n");
    await logs.until(() => logs.out().includes("| b-1\n"), "a line written after they did");
    expect(await logs.stop()).toBe(0);
    expect(logs.err()).toBe("");
  });
});

describe("titan logs -f when a run's agent is removed", () => {
  it("prints what it read of the ended run, says its agent left, and stops reading it", async () => {
    const { a, cluster, zero } = await twoInstances();
    a.append(zero, "stdout", "a-1\nhalf a line");
    const logs = follow(cluster);
    await logs.until(() => logs.out().includes("| a-1\n"), "instance 0");
    const run = cluster.runs[0];
    if (run === undefined) throw new Error("no run");
    // The master forgets the agent and reports its task gone; the agent no longer answers.
    await a.server.close();
    run.agent = a.id;
    run.state = "TASK_GONE_BY_OPERATOR";
    const left = `titan: api[0] stdout (task ${zero}): agent ${a.id} has left the cluster`;
    await logs.until(() => logs.err().includes(left), "the note that its agent left");
    expect(await logs.stop()).toBe(0);
    expect(logs.out()).toMatch(/^api\[0\] agent-\d+ \| half a line$/m);
    expect(
      logs
        .err()
        .split("\n")
        .filter((l) => l.startsWith(left)),
    ).toHaveLength(1);
  });
});

describe("titan logs -f when a file is truncated and quickly written past its old length", () => {
  it("notes it and prints the new file from its start, no line lost", async () => {
    const { a, cluster, zero } = await twoInstances();
    const logs = follow(cluster);
    await logs.until(() => logs.out().includes("| a-0\n"), "instance 0");
    const path = [...a.files.keys()].find((p) => p.includes(`/${zero}/`) && p.endsWith("/stdout"));
    if (path === undefined) throw new Error("no stdout file");
    a.files.set(path, Buffer.from("b-1\nb-2\nb-3\n"));
    await logs.until(() => logs.out().includes("| b-3\n"), "the new file's lines");
    expect(await logs.stop()).toBe(0);
    const lines = logs.out().trimEnd().split("\n");
    expect(lines.filter((l) => l.startsWith("api[0]")).map((l) => l.split(" | ")[1])).toEqual([
      "a-0",
      "b-1",
      "b-2",
      "b-3",
    ]);
    expect(logs.err()).toContain(`api[0] stdout (task ${zero}): the file was truncated or rotated`);
  });
});

describe("titan logs -f when an instance's run is replaced", () => {
  it("prints the old run's last lines and final partial line before the new run's first lines", async () => {
    const { a, cluster, zero } = await twoInstances();
    // Quiet polls back off to 1 s: the old run's file is not polled again soon after the replacement is found.
    const logs = follow(cluster, { maxPollMs: 1000, discoverMs: 100 });
    await logs.until(() => logs.out().includes("| a-0\n"), "instance 0");
    await pause(1200);
    a.append(zero, "stdout", "a-1\nlast words");
    const old = cluster.runs[0];
    if (old === undefined) throw new Error("no run");
    old.state = "TASK_KILLED";
    cluster.runs.push({ app: "api", instance: 0, release: 2, agent: a });
    a.append(taskIdOf({ app: "api", instance: 0, release: 2 }), "stdout", "new-0\n");
    await logs.until(
      () => logs.out().includes("| new-0\n") && logs.out().includes("| last words\n"),
      "both runs",
    );
    expect(await logs.stop()).toBe(0);
    expect(
      logs
        .out()
        .trimEnd()
        .split("\n")
        .filter((l) => l.startsWith("api[0]"))
        .map((l) => l.split(" | ")[1]),
    ).toEqual(["a-0", "a-1", "last words", "new-0"]);
  });
});
