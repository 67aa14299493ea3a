import { afterEach, describe, expect, it } from "vitest";
import type { TitanTask } from "../../src/cluster/types.js";
import type { DeployEvent } from "../../src/deploy/events.js";
import { AppDeployment, type AppResult } from "../../src/deploy/executor.js";
import { describeEvent } from "../../src/deploy/progress.js";
import type { AppSpec } from "../../src/manifest/types.js";
import { BadResponseError, FailedOverError } from "../../src/mesos/errors.js";
import { MasterCluster } from "../../src/mesos/leader.js";
import type { TaskState } from "../../src/mesos/types/mesos.js";
import { FileStateStore } from "../../src/state/file-store.js";
import type { DeployProgress, Release } from "../../src/state/types.js";
import { appSpec } from "../plan/builders.js";
import { tempDir } from "../support/tmp.js";
import {
  type Call,
  type FakeMaster,
  FRAMEWORK_ID,
  fakeMaster,
  launchedTasks,
  offer,
  reconciledIds,
  update,
} from "./fake-master.js";

const ROLE = "web-role";

/** An agent whose cpus are split between a reservation for the role and the unreserved pool, ports in two ranges. */
const SPLIT_RESOURCES = [
  {
    name: "cpus",
    type: "SCALAR",
    scalar: { value: 0.5 },
    reservations: [{ type: "STATIC", role: ROLE }],
    allocation_info: { role: ROLE },
  },
  { name: "cpus", type: "SCALAR", scalar: { value: 4 }, allocation_info: { role: ROLE } },
  { name: "mem", type: "SCALAR", scalar: { value: 4096 }, allocation_info: { role: ROLE } },
  {
    name: "ports",
    type: "RANGES",
    ranges: { range: [{ begin: 31000, end: 31000 }] },
    reservations: [{ type: "STATIC", role: ROLE }],
    allocation_info: { role: ROLE },
  },
  {
    name: "ports",
    type: "RANGES",
    ranges: {
      range: [
        { begin: 31002, end: 31003 },
        { begin: 31007, end: 31010 },
      ],
    },
    allocation_info: { role: ROLE },
  },
];

function webSpec(overrides: Partial<AppSpec> = {}): AppSpec {
  return appSpec({
    name: "web",
    image: undefined,
    instances: 2,
    resources: { cpus: 0.5, mem: 64, disk: 0, gpus: 0 },
    update: {
      maxSurge: { kind: "count", value: 1 },
      maxUnavailable: { kind: "count", value: 0 },
      minHealthyTimeMs: 0,
      healthyDeadlineMs: 20_000,
      progressDeadlineMs: 20_000,
      autoRollback: true,
    },
    restart: { backoffMs: 10, factor: 2, maxDelayMs: 50 },
    ...overrides,
  });
}

/** Release 0 of `web`, deployed before the release under test (its command differs). */
function previousRelease(): Release {
  return {
    app: "web",
    number: 0,
    manifestDigest: "sha256:release-0",
    spec: webSpec({ command: ["old"] }),
    createdAt: Date.now(),
    user: "tester",
    outcome: "deployed",
  };
}

/** A task of release 0 running `instance`, as the cluster state shows it. */
function oldTask(instance: number): TitanTask {
  return {
    taskId: `web.0.${instance}.1`,
    frameworkId: FRAMEWORK_ID,
    framework: "titan:web",
    health: "none",
    app: "web",
    instance,
    release: 0,
    digest: "sha256:release-0",
    state: "TASK_RUNNING",
    agentId: "7a1c2b3d-0000-4000-8000-00000000f00d-S0",
    hostname: "agent-0.local",
    demand: { cpus: 0.5, mem: 64, disk: 0, gpus: 0 },
    ports: [],
  };
}

/** Answers an explicit RECONCILE as a master would for each task asked about that still runs. */
function answerRunning(master: FakeMaster, call: Call, running: ReadonlySet<string>): void {
  for (const id of reconciledIds(call))
    if (running.has(id))
      master.push(update(id, "TASK_RUNNING", { fromMaster: true, reason: "REASON_RECONCILIATION" }));
}

/** The task a KILL call names. */
function killedTaskId(call: Call): string {
  return (call.kill as { task_id: { value: string } }).task_id.value;
}

const clusters: MasterCluster[] = [];
const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const timer of timers.splice(0)) clearInterval(timer);
  await Promise.all(clusters.splice(0).map((c) => c.close()));
});

/** Offers the whole agent every 30 ms, as an allocator would while titan declines or launches. */
function keepOffering(master: FakeMaster): void {
  let n = 0;
  timers.push(setInterval(() => master.push(offer(`O${++n}`, SPLIT_RESOURCES)), 30));
}

/** Answers every launch with the states `script` gives for its task id (sent as the agent or master would). */
function answerLaunches(master: FakeMaster, script: (taskId: string) => TaskState): void {
  master.onCall((call) => {
    if (call.type !== "ACCEPT") return undefined;
    for (const task of launchedTasks(call)) {
      const state = script(task.task_id.value);
      if (state === "TASK_ERROR")
        master.push(
          update(task.task_id.value, state, {
            fromMaster: true,
            reason: "REASON_TASK_INVALID",
            message: "Task uses more resources cpus:1 than available cpus:0.5",
          }),
        );
      else if (state === "TASK_DROPPED")
        master.push(update(task.task_id.value, state, { fromMaster: true, reason: "REASON_INVALID_OFFERS" }));
      else master.push(update(task.task_id.value, state));
    }
    return undefined;
  });
}

interface Outcome {
  result: AppResult;
  events: DeployEvent[];
  warnings: string[];
}

async function deploy(
  master: FakeMaster,
  options: {
    spec?: AppSpec;
    previous?: DeployProgress;
    now?: () => number;
    deadlineMs?: number;
    /** The app's tasks as the cluster state showed them, and the releases before this one. */
    known?: TitanTask[];
    earlier?: Release[];
    /** Whether the deploy still holds the app's lock when another subscriber takes the framework over. */
    mayRetake?: () => Promise<boolean>;
    /** The state store the deploy writes its progress to (a fresh one when absent). */
    store?: FileStateStore;
    /** Where its events go as they come (for a deploy expected to throw). */
    events?: DeployEvent[];
    /** How long a call may go unanswered. */
    callDeadlineMs?: number;
  } = {},
): Promise<Outcome> {
  const spec = options.spec ?? webSpec();
  const store = options.store ?? freshStore();
  const release: Release = {
    app: "web",
    number: 1,
    manifestDigest: "sha256:release-1",
    spec,
    createdAt: Date.now(),
    user: "tester",
    outcome: "pending",
  };
  const cluster = MasterCluster.fromConfig({ masters: [master.url] });
  clusters.push(cluster);
  const events: DeployEvent[] = options.events ?? [];
  const warnings: string[] = [];
  const execution = new AppDeployment(
    {
      target: { spec, release, environment: {} },
      known: options.known ?? [],
      releases: [...(options.earlier ?? []), release],
      autoRollback: true,
    },
    {
      cluster,
      store,
      now: options.now ?? (() => Date.now()),
      signal: new AbortController().signal,
      emit: (e) => events.push(e),
      warn: (line) => warnings.push(line),
      framework: { user: "root", role: ROLE, failoverTimeoutSeconds: 604_800 },
      region: null,
      desired: spec.instances,
      deadline: Date.now() + (options.deadlineMs ?? 20_000),
      seed: 1,
      resolveEnvironment: async () => ({}),
      tickMs: 10,
      sessionTimings: {
        backoffInitialMs: 5,
        backoffMaxMs: 20,
        ...(options.callDeadlineMs === undefined ? {} : { callDeadlineMs: options.callDeadlineMs }),
      },
      ...(options.mayRetake === undefined ? {} : { mayRetake: options.mayRetake }),
    },
    options.previous,
  );
  return { result: await execution.execute(), events, warnings };
}

function freshStore(): FileStateStore {
  return new FileStateStore(`file://${tempDir("titan-executor-")}`, {
    clock: { now: () => Date.now() },
    hostname: "test-host",
  });
}

function launchedIds(master: FakeMaster): string[] {
  return master.calls("ACCEPT").flatMap((c) => launchedTasks(c).map((t) => t.task_id.value));
}

/** Per offer resource entry (by name and reservation), the total every task of one ACCEPT asks of it. */
function askedPerEntry(call: Call): Map<string, number> {
  const asked = new Map<string, number>();
  for (const task of launchedTasks(call)) {
    for (const r of task.resources) {
      const entry = `${r.name}:${r.reservations === undefined ? "*" : "reserved"}`;
      const scalar = r.scalar as { value: number } | undefined;
      const ranges = (r.ranges as { range: Array<{ begin: number; end: number }> } | undefined)?.range ?? [];
      const amount = scalar?.value ?? ranges.reduce((sum, x) => sum + x.end - x.begin + 1, 0);
      asked.set(entry, (asked.get(entry) ?? 0) + amount);
    }
  }
  return asked;
}

describe("the deploy executor against a scripted master", () => {
  it("declines the offers it has no use for while an ACCEPT goes unanswered, and that ACCEPT's offer once it gives it up", async () => {
    const master = await fakeMaster();
    let held = 0;
    // Until the call deadline (3 s) gives the held ACCEPT up.
    let heldUntil = 0;
    let declinedWhileHeld = 0;
    master.onCall((call) => {
      if (call.type === "ACCEPT" && held === 0) {
        // Lost on the way: the master never answers it (nor launches anything).
        held += 1;
        heldUntil = Date.now() + 2500;
        return "hold";
      }
      if (call.type === "DECLINE" && Date.now() < heldUntil) declinedWhileHeld += 1;
      return undefined;
    });
    keepOffering(master);
    const { result } = await deploy(master, { deadlineMs: 4500, callDeadlineMs: 3000 });
    expect(held).toBe(1);
    expect(declinedWhileHeld).toBeGreaterThan(0);
    // Given up at its deadline, the lost ACCEPT's offer is declined: the master would keep it, and its agent's room.
    const accept = master.calls("ACCEPT")[0]?.accept as { offer_ids: Array<{ value: string }> };
    const heldOffer = accept.offer_ids[0]?.value ?? "";
    const declined = master
      .calls("DECLINE")
      .flatMap((c) => (c.decline as { offer_ids: Array<{ value: string }> }).offer_ids.map((o) => o.value));
    expect(declined).toContain(heldOffer);
    expect(result.outcome).toBe("timed_out");
  }, 20_000);

  it("carves several instances of one ACCEPT from what the previous ones left of a split offer", async () => {
    const master = await fakeMaster();
    answerLaunches(master, () => "TASK_RUNNING");
    keepOffering(master);
    const { result } = await deploy(master);
    expect(result.outcome).toBe("deployed");
    const accept = master.calls("ACCEPT").find((c) => launchedTasks(c).length === 2);
    expect(accept).toBeDefined();
    const asked = askedPerEntry(accept as Call);
    // The reserved entry holds 0.5 cpus and one port: only one of the two tasks may take from it.
    expect(asked.get("cpus:reserved")).toBe(0.5);
    expect(asked.get("cpus:*")).toBe(0.5);
    expect(asked.get("ports:reserved") ?? 0).toBeLessThanOrEqual(1);
    expect(new Set(launchedIds(master)).size).toBe(2);
  }, 30_000);

  it("relaunches a launch the master refused (TASK_ERROR) with a new incarnation and finishes", async () => {
    const master = await fakeMaster();
    answerLaunches(master, (id) => (id === "web.1.0.1" ? "TASK_ERROR" : "TASK_RUNNING"));
    keepOffering(master);
    const { result, events } = await deploy(master);
    expect(result.outcome).toBe("deployed");
    expect(launchedIds(master)).toContain("web.1.0.2");
    expect(events).toContainEqual(
      expect.objectContaining({ type: "failed", task: "web.1.0.1", state: "TASK_ERROR" }),
    );
    if (result.outcome !== "deployed") throw new Error(result.outcome);
    expect(result.instances.map((i) => i.task).sort()).toEqual(["web.1.0.2", "web.1.1.1"]);
  }, 30_000);

  it("gives up on a launch the master refuses every time, with the master's reason, instead of hanging", async () => {
    const master = await fakeMaster();
    answerLaunches(master, (id) => (id.startsWith("web.1.0.") ? "TASK_ERROR" : "TASK_RUNNING"));
    keepOffering(master);
    const { result } = await deploy(master);
    expect(result.outcome).toBe("failed");
    expect(result.reason).toMatch(/Mesos refused task web\.1\.0\.3 \(3 launches of instance 0\)/);
    expect(result.reason).toContain("more resources");
    expect(launchedIds(master).filter((id) => id.startsWith("web.1.0."))).toHaveLength(3);
  }, 30_000);

  it("relaunches a dropped launch (TASK_DROPPED, invalid offers) and finishes", async () => {
    const master = await fakeMaster();
    answerLaunches(master, (id) => (id === "web.1.1.1" ? "TASK_DROPPED" : "TASK_RUNNING"));
    keepOffering(master);
    const { result, events } = await deploy(master);
    expect(result.outcome).toBe("deployed");
    expect(events).toContainEqual(expect.objectContaining({ type: "lost", task: "web.1.1.1" }));
    expect(launchedIds(master)).toContain("web.1.1.2");
  }, 30_000);

  it("relaunches an instance whose every launch is dropped, each with a healthy_deadline of its own, until progress_deadline", async () => {
    const master = await fakeMaster();
    answerLaunches(master, (id) => (id.startsWith("web.1.0.") ? "TASK_DROPPED" : "TASK_RUNNING"));
    keepOffering(master);
    const base = webSpec();
    // Far shorter than the time the launches go on being dropped: no agent ran any, so none fails its health.
    const spec = webSpec({ update: { ...base.update, healthyDeadlineMs: 400, progressDeadlineMs: 2000 } });
    const { result } = await deploy(master, { spec });
    expect(result.outcome).toBe("failed");
    if (result.outcome !== "failed") throw new Error(result.outcome);
    expect(result.reason).toMatch(
      /^no instance became healthy within progress_deadline 2s: instance\(s\) 0 never ran; web\.1\.0\.\d+ ended TASK_DROPPED before it ran \(REASON_INVALID_OFFERS\)/,
    );
    expect(result.cause).toBe("not_started");
    expect(launchedIds(master).filter((id) => id.startsWith("web.1.0.")).length).toBeGreaterThan(3);
  }, 30_000);

  it("runs no healthy_deadline for a launch whose ACCEPT is unanswered: gives it up at the call deadline, asks, launches again", async () => {
    const master = await fakeMaster();
    let held = 0;
    master.onCall((call) => {
      if (call.type === "ACCEPT" && held === 0) {
        // Lost on the way: never answered, never carried out.
        held += 1;
        return "hold";
      }
      if (call.type === "ACCEPT")
        for (const t of launchedTasks(call)) master.push(update(t.task_id.value, "TASK_RUNNING"));
      if (call.type === "RECONCILE")
        for (const id of reconciledIds(call))
          master.push(
            update(id, "TASK_UNKNOWN", {
              fromMaster: true,
              reason: "REASON_RECONCILIATION",
              message: "Reconciliation: Task is unknown",
            }),
          );
      return undefined;
    });
    keepOffering(master);
    const base = webSpec();
    // The call deadline (2.5 s) is longer than healthy_deadline: the launch in flight must not fail the release.
    const spec = webSpec({ update: { ...base.update, healthyDeadlineMs: 1500, progressDeadlineMs: 10_000 } });
    const { result, events } = await deploy(master, { spec, callDeadlineMs: 2500, deadlineMs: 15_000 });
    expect(held).toBe(1);
    expect(result.outcome).toBe("deployed");
    const lost = events.filter((e) => e.type === "lost").map((e) => (e.type === "lost" ? e.task : ""));
    expect(lost.length).toBeGreaterThanOrEqual(1);
    // Each launch the held ACCEPT carried was asked about, found unknown, and launched again under a new id.
    for (const id of lost) expect(launchedIds(master)).toContain(id.replace(/\.1$/, ".2"));
  }, 30_000);

  it("never relaunches a task reconciliation leaves unanswered: waits on it, says so, fails at its deadline", async () => {
    const master = await fakeMaster();
    answerLaunches(master, () => "TASK_RUNNING");
    keepOffering(master);
    let skew = 0;
    const now = () => Date.now() + skew;
    // Launched by a run that was stopped; its agent has not re-registered with a master that failed over since.
    const previous: DeployProgress = {
      release: 1,
      phase: "interrupted",
      launched: ["web.1.0.1"],
      updatedAt: Date.now(),
    };
    const base = webSpec();
    const spec = webSpec({ update: { ...base.update, healthyDeadlineMs: 15_000, progressDeadlineMs: 0 } });
    const outcome = deploy(master, { spec, previous, now, deadlineMs: 120_000 });
    for (let i = 0; i < 2000 && master.calls("RECONCILE").length < 3; i++)
      await new Promise((r) => setTimeout(r, 5));
    // Asked again, never answered, and nothing launched while titan holds still for the answers.
    expect(master.calls("RECONCILE").filter((c) => reconciledIds(c).includes("web.1.0.1")).length).toBe(2);
    expect(master.calls("ACCEPT")).toHaveLength(0);
    // Past the hold: the rollout goes on for the other instance, never in place of the unknown one.
    skew = 11_000;
    for (let i = 0; i < 2000 && launchedIds(master).length < 1; i++)
      await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 300));
    // Quiet for a while: the deploy says what it waits for.
    skew = 17_000;
    await new Promise((r) => setTimeout(r, 300));
    // Silence for longer than the old 30 s give-up: still not gone.
    skew = 40_000;
    const { result, warnings, events } = await outcome;
    expect(launchedIds(master)).toEqual(["web.1.1.1"]);
    expect(warnings).toContainEqual(
      expect.stringMatching(/not reported 1 task\(s\) .*web\.1\.0\.1.*not relaunched/),
    );
    expect(events).toContainEqual(
      expect.objectContaining({ type: "waiting", for: expect.stringContaining("web.1.0.1") }),
    );
    expect(result.outcome).toBe("failed");
    expect(result.reason).toMatch(/instance 0 \(web\.1\.0\.1\) never started: .* within healthy_deadline/);
  }, 30_000);

  it("rolls back a release whose launch the master took and never carried out as not started, not as unhealthy", async () => {
    const master = await fakeMaster();
    const oldAlive = new Set(["web.0.0.1", "web.0.1.1"]);
    master.onCall((call) => {
      // The old tasks answer reconciliation; the new launch is answered 202 and then nothing is heard of it, not even
      // when asked (its agent has not re-registered with a master that failed over since).
      if (call.type === "RECONCILE") answerRunning(master, call, oldAlive);
      if (call.type === "KILL") {
        const id = killedTaskId(call);
        oldAlive.delete(id);
        master.push(update(id, "TASK_KILLED"));
      }
      return undefined;
    });
    keepOffering(master);
    const base = webSpec();
    const spec = webSpec({ update: { ...base.update, healthyDeadlineMs: 1500, progressDeadlineMs: 4000 } });
    const { result, events } = await deploy(master, {
      spec,
      known: [oldTask(0), oldTask(1)],
      earlier: [previousRelease()],
      deadlineMs: 15_000,
    });
    expect(result.outcome).toBe("rolled_back");
    if (result.outcome !== "rolled_back") throw new Error(result.outcome);
    expect(result.reason).toMatch(/instance 0 \(web\.1\.0\.1\) never started: the master reported nothing/);
    expect(result.cause).toBe("not_started");
    expect(events).toContainEqual(expect.objectContaining({ type: "rollback", from: 1, to: 0 }));
  }, 30_000);

  it("drops written-ahead ids of earlier runs from its record once the master answers for them, and keeps the rest", async () => {
    const master = await fakeMaster();
    answerLaunches(master, () => "TASK_RUNNING");
    keepOffering(master);
    // Earlier deploys, each killed before it finished, wrote these ahead; the master knows none but web.6.0.1's,
    // whose agent has not re-registered yet (it answers nothing for it).
    const ended = ["web.7.0.1", "web.8.0.1", "web.9.1.1"];
    master.onCall((call) => {
      if (call.type !== "RECONCILE") return undefined;
      for (const id of reconciledIds(call).filter((id) => ended.includes(id)))
        master.push(update(id, "TASK_GONE", { fromMaster: true, reason: "REASON_RECONCILIATION" }));
      return undefined;
    });
    const previous: DeployProgress = {
      release: 9,
      phase: "interrupted",
      launched: ["web.6.0.1", ...ended],
      updatedAt: Date.now(),
    };
    const store = freshStore();
    // Still holding for web.6.0.1's answer when its deadline stops it.
    const { events } = await deploy(master, { previous, store, deadlineMs: 1500 });
    // Stopped (its deadline) with web.6.0.1 still unanswered: the record keeps it for the next run to ask about.
    const kept = (await store.progress("web"))?.launched ?? [];
    expect(kept).toContain("web.6.0.1");
    for (const id of ended) expect(kept).not.toContain(id);
    // Before the master was asked, none of them was said to be launching.
    const existing = events.filter((e) => e.type === "existing").map((e) => describeEvent(e));
    expect(existing).toContain(
      "web[0] web.6.0.1 is named by the app's record but not listed by the master; asking the master about it (older release)",
    );
    expect(existing.join("\n")).not.toContain("launching");
  }, 30_000);

  it("rides out a master answering 503 to calls mid-deploy: no crash, no duplicate, the launch is reconciled", async () => {
    const master = await fakeMaster();
    let unavailable = 3;
    const reconciled: string[] = [];
    master.onCall((call) => {
      if (call.type === "RECONCILE") {
        // The master never got the refused ACCEPT: it knows none of those tasks.
        for (const id of reconciledIds(call)) {
          reconciled.push(id);
          master.push(update(id, "TASK_LOST", { fromMaster: true, reason: "REASON_RECONCILIATION" }));
        }
        return undefined;
      }
      if ((call.type === "ACCEPT" || call.type === "DECLINE") && unavailable > 0) {
        unavailable -= 1;
        return 503;
      }
      if (call.type === "ACCEPT")
        for (const t of launchedTasks(call)) master.push(update(t.task_id.value, "TASK_RUNNING"));
      return undefined;
    });
    keepOffering(master);
    const { result } = await deploy(master);
    expect(result.outcome).toBe("deployed");
    if (result.outcome !== "deployed") throw new Error(result.outcome);
    expect(result.instances.map((i) => i.instance)).toEqual([0, 1]);
    const refused = master
      .calls("ACCEPT")
      .slice(0, 1)
      .flatMap((c) => launchedTasks(c).map((t) => t.task_id.value));
    for (const id of refused) expect(reconciled).toContain(id);
  }, 30_000);

  it("does not take a proxy's 200 page for the master's 202: the deploy stops naming the host, the release is not failed", async () => {
    const master = await fakeMaster();
    master.onCall(() => ({
      status: 200,
      contentType: "text/html",
      body: "<html><body>Login portal</body></html>",
    }));
    keepOffering(master);
    const outcome = await deploy(master, { deadlineMs: 5000 }).catch((error: unknown) => error);
    expect(outcome).toBeInstanceOf(BadResponseError);
    expect((outcome as Error).message).toMatch(
      new RegExp(
        `^(RECONCILE|REVIVE|ACCEPT|DECLINE): ${master.url} answered 200 OK with text/html instead of 202 Accepted: "Login portal"$`,
      ),
    );
  }, 30_000);

  it("treats a subscription stream cut mid-record as a disconnect: re-subscribes, reconciles, finishes", async () => {
    const master = await fakeMaster();
    let cut = false;
    master.onCall((call) => {
      if (call.type === "RECONCILE") {
        answerRunning(master, call, new Set(reconciledIds(call)));
        return undefined;
      }
      if (call.type !== "ACCEPT") return undefined;
      const tasks = launchedTasks(call);
      const first = tasks[0];
      if (!cut && first !== undefined) {
        // The first task's RUNNING is lost with the stream; the reconciliation after re-subscribing finds it.
        cut = true;
        setImmediate(() => master.cutMidRecord());
        for (const t of tasks.slice(1)) master.push(update(t.task_id.value, "TASK_RUNNING"));
        return undefined;
      }
      for (const t of tasks) master.push(update(t.task_id.value, "TASK_RUNNING"));
      return undefined;
    });
    keepOffering(master);
    const { result, events } = await deploy(master);
    expect(result.outcome).toBe("deployed");
    expect(master.subscriptions()).toBe(2);
    expect(events).toContainEqual(expect.objectContaining({ type: "reconnecting" }));
    expect(new Set(launchedIds(master)).size).toBe(launchedIds(master).length);
    expect(launchedIds(master)).toHaveLength(2);
  }, 30_000);

  it("takes its framework back from a subscriber that failed it over mid-deploy (a supervisor that missed the lock)", async () => {
    const master = await fakeMaster();
    let failedOver = false;
    master.onCall((call) => {
      if (call.type === "RECONCILE") {
        answerRunning(master, call, new Set(reconciledIds(call)));
        return undefined;
      }
      if (call.type !== "ACCEPT") return undefined;
      if (!failedOver) {
        // The launches' updates go to the other subscriber; the reconciliation after taking it back finds them.
        failedOver = true;
        master.push({ type: "ERROR", error: { message: "Framework failed over" } });
        return undefined;
      }
      for (const t of launchedTasks(call)) master.push(update(t.task_id.value, "TASK_RUNNING"));
      return undefined;
    });
    keepOffering(master);
    const { result, events } = await deploy(master);
    expect(result.outcome).toBe("deployed");
    expect(master.subscriptions()).toBe(2);
    expect(events).toContainEqual(
      expect.objectContaining({
        type: "reconnecting",
        reason: expect.stringMatching(/Framework failed over/),
      }),
    );
    expect(new Set(launchedIds(master)).size).toBe(launchedIds(master).length);
  }, 30_000);

  it("does not take its framework back once its lock is gone (taken with --force-unlock)", async () => {
    const master = await fakeMaster();
    master.onCall((call) => {
      if (call.type === "REVIVE")
        setImmediate(() => master.push({ type: "ERROR", error: { message: "Framework failed over" } }));
      return undefined;
    });
    let asked = 0;
    const error = await deploy(master, {
      mayRetake: async () => {
        asked += 1;
        return false;
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FailedOverError);
    expect(asked).toBe(1);
    expect(master.subscriptions()).toBe(1);
  }, 30_000);

  it("ends with the master's message when another subscriber keeps taking the framework over", async () => {
    const master = await fakeMaster();
    master.onCall((call) => {
      // Every subscription of the deploy is failed over as soon as it revives.
      if (call.type === "REVIVE")
        setImmediate(() => master.push({ type: "ERROR", error: { message: "Framework failed over" } }));
      return undefined;
    });
    const error = await deploy(master).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FailedOverError);
    expect(master.subscriptions()).toBe(4);
  }, 30_000);

  it("adopts a task of the app that only implicit reconciliation reveals and leaves others' tasks alone", async () => {
    const master = await fakeMaster();
    let offering = false;
    master.onCall((call) => {
      if (call.type === "RECONCILE" && reconciledIds(call).length === 0) {
        // An instance launched by a run whose records were lost, and a task titan never made.
        master.push(
          update("web.1.0.7", "TASK_RUNNING", { fromMaster: true, reason: "REASON_RECONCILIATION" }),
        );
        master.push(
          update("cron-job-42", "TASK_RUNNING", { fromMaster: true, reason: "REASON_RECONCILIATION" }),
        );
        if (!offering) {
          offering = true;
          keepOffering(master);
        }
      }
      if (call.type === "ACCEPT")
        for (const t of launchedTasks(call)) master.push(update(t.task_id.value, "TASK_RUNNING"));
      return undefined;
    });
    const { result, warnings } = await deploy(master);
    expect(result.outcome).toBe("deployed");
    if (result.outcome !== "deployed") throw new Error(result.outcome);
    expect(result.instances.map((i) => i.task)).toEqual(["web.1.0.7", "web.1.1.1"]);
    expect(launchedIds(master)).toEqual(["web.1.1.1"]);
    expect(master.calls("KILL")).toHaveLength(0);
    expect(warnings).toContainEqual(expect.stringContaining("cron-job-42; left alone"));
  }, 30_000);

  it("rolls a release that crashes after warming up back within progress_deadline, keeping the previous one up", async () => {
    const master = await fakeMaster();
    const base = webSpec();
    const spec = webSpec({
      update: { ...base.update, minHealthyTimeMs: 50, healthyDeadlineMs: 60_000, progressDeadlineMs: 1500 },
    });
    const previous = previousRelease();
    const oldAlive = new Set(["web.0.0.1", "web.0.1.1"]);
    let fewestOld = oldAlive.size;
    master.onCall((call) => {
      if (call.type === "RECONCILE") answerRunning(master, call, oldAlive);
      if (call.type === "KILL") {
        const id = killedTaskId(call);
        oldAlive.delete(id);
        fewestOld = Math.min(fewestOld, oldAlive.size);
        master.push(update(id, "TASK_KILLED"));
      }
      if (call.type === "ACCEPT")
        for (const t of launchedTasks(call)) {
          const id = t.task_id.value;
          // Instance 0 is healthy for longer than min_healthy_time and then dies, every launch; instance 1 never
          // gets past starting. The two never count at once, so the release never proves itself.
          if (id.startsWith("web.1.1.")) master.push(update(id, "TASK_STARTING"));
          else {
            master.push(update(id, "TASK_RUNNING"));
            setTimeout(() => master.push(update(id, "TASK_FAILED", { message: "crashed" })), 250);
          }
        }
      return undefined;
    });
    keepOffering(master);
    const started = Date.now();
    const { result } = await deploy(master, {
      spec,
      known: [oldTask(0), oldTask(1)],
      earlier: [previous],
      deadlineMs: 25_000,
    });
    expect(result.outcome).toBe("rolled_back");
    expect(result.reason).toMatch(/progress_deadline/);
    // Rolled back well before --timeout: the crash loop did not count as progress.
    expect(Date.now() - started).toBeLessThan(15_000);
    // One old task may go for the first replacement that counted; after that crash nothing more is replaced.
    expect(fewestOld).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it("finishes a rolling update when an old task being killed is cut off with its agent, and names it", async () => {
    const master = await fakeMaster();
    const previous = previousRelease();
    const oldAlive = new Set(["web.0.0.1", "web.0.1.1"]);
    master.onCall((call) => {
      if (call.type === "RECONCILE") answerRunning(master, call, oldAlive);
      if (call.type === "KILL") {
        const id = killedTaskId(call);
        oldAlive.delete(id);
        // The first old task's agent is lost as it is killed: a master cannot kill it, and keeps it unreachable.
        if (id === "web.0.0.1")
          master.push(update(id, "TASK_UNREACHABLE", { fromMaster: true, reason: "REASON_AGENT_REMOVED" }));
        else master.push(update(id, "TASK_KILLED"));
      }
      if (call.type === "ACCEPT")
        for (const t of launchedTasks(call)) master.push(update(t.task_id.value, "TASK_RUNNING"));
      return undefined;
    });
    keepOffering(master);
    const { result, warnings } = await deploy(master, {
      known: [oldTask(0), oldTask(1)],
      earlier: [previous],
      deadlineMs: 8_000,
    });
    expect(result.outcome).toBe("deployed");
    expect("instances" in result ? result.instances.map((i) => i.task) : []).toEqual([
      "web.1.0.1",
      "web.1.1.1",
    ]);
    expect(warnings.filter((w) => w.includes("unreachable with their agents (web.0.0.1)"))).toHaveLength(1);
  }, 15_000);

  it("says it stops an old task only once the KILL is sent, not when the write-ahead before it fails", async () => {
    const master = await fakeMaster();
    const previous = previousRelease();
    const oldAlive = new Set(["web.0.0.1", "web.0.1.1"]);
    master.onCall((call) => {
      if (call.type === "RECONCILE") answerRunning(master, call, oldAlive);
      if (call.type === "ACCEPT")
        for (const t of launchedTasks(call)) master.push(update(t.task_id.value, "TASK_RUNNING"));
      return undefined;
    });
    keepOffering(master);
    // The store is lost (a ZooKeeper session expired) just as the first replacement's KILL is counted against the
    // disruption budget: that KILL is held back, and the old task keeps running.
    const store = new (class extends FileStateStore {
      override async saveProgress(app: string, progress: DeployProgress): Promise<void> {
        if ((progress.disrupted ?? []).length > 0) throw new Error("the state store's session expired");
        await super.saveProgress(app, progress);
      }
    })(`file://${tempDir("titan-executor-")}`, { clock: { now: () => Date.now() }, hostname: "test-host" });
    const events: DeployEvent[] = [];
    const outcome = deploy(master, {
      known: [oldTask(0), oldTask(1)],
      earlier: [previous],
      deadlineMs: 8_000,
      store,
      events,
    });
    await expect(outcome).rejects.toThrow(/session expired/);
    expect(master.calls("KILL")).toHaveLength(0);
    expect(events.filter((e) => e.type === "killing")).toEqual([]);
    expect(events).toContainEqual(expect.objectContaining({ type: "running", task: "web.1.0.1" }));
  }, 15_000);

  it("says it stops an old task once, when its KILL goes through, not for a KILL the master refused (503)", async () => {
    const master = await fakeMaster();
    const previous = previousRelease();
    const oldAlive = new Set(["web.0.0.1", "web.0.1.1"]);
    let refusals = 1;
    master.onCall((call) => {
      if (call.type === "RECONCILE") answerRunning(master, call, oldAlive);
      if (call.type === "KILL") {
        if (refusals > 0) {
          refusals -= 1;
          return 503;
        }
        const id = killedTaskId(call);
        oldAlive.delete(id);
        master.push(update(id, "TASK_KILLED"));
      }
      if (call.type === "ACCEPT")
        for (const t of launchedTasks(call)) master.push(update(t.task_id.value, "TASK_RUNNING"));
      return undefined;
    });
    keepOffering(master);
    const { result, events } = await deploy(master, {
      known: [oldTask(0), oldTask(1)],
      earlier: [previous],
      deadlineMs: 8_000,
    });
    expect(result.outcome).toBe("deployed");
    const first = killedTaskId(master.calls("KILL")[0] as Call);
    expect(master.calls("KILL").filter((c) => killedTaskId(c) === first).length).toBeGreaterThanOrEqual(2);
    expect(events.filter((e) => e.type === "killing").map((e) => ("task" in e ? e.task : ""))).toEqual([
      "web.0.0.1",
      "web.0.1.1",
    ]);
  }, 15_000);

  it("counts a replacement whose KILL the master refused (503) once against max_per_hour, not per attempt", async () => {
    const master = await fakeMaster();
    const oldAlive = new Set(["web.0.0.1", "web.0.1.1"]);
    let refusals = 1;
    master.onCall((call) => {
      if (call.type === "RECONCILE") answerRunning(master, call, oldAlive);
      if (call.type === "KILL") {
        if (refusals > 0) {
          refusals -= 1;
          return 503;
        }
        const id = killedTaskId(call);
        oldAlive.delete(id);
        master.push(update(id, "TASK_KILLED"));
      }
      if (call.type === "ACCEPT")
        for (const t of launchedTasks(call)) master.push(update(t.task_id.value, "TASK_RUNNING"));
      return undefined;
    });
    keepOffering(master);
    const counted: number[][] = [];
    const store = new (class extends FileStateStore {
      override async saveProgress(app: string, progress: DeployProgress): Promise<void> {
        counted.push(progress.disrupted ?? []);
        await super.saveProgress(app, progress);
      }
    })(`file://${tempDir("titan-executor-")}`, { clock: { now: () => Date.now() }, hostname: "test-host" });
    const { result } = await deploy(master, {
      spec: webSpec({ disruption: { maxPerHour: { kind: "count", value: 3 } } }),
      known: [oldTask(0), oldTask(1)],
      earlier: [previousRelease()],
      deadlineMs: 8_000,
      store,
    });
    expect(result.outcome).toBe("deployed");
    expect(master.calls("KILL")).toHaveLength(3);
    // Two running instances replaced: two shares of the hour, however many KILLs it took to stop them.
    expect(Math.max(...counted.map((c) => c.length))).toBe(2);
  }, 15_000);

  it("sends again, free, the KILL a stopped run charged to max_per_hour, and forgets the charge's task once it ends", async () => {
    const master = await fakeMaster();
    // A run replaced instance 0 and sent the KILL of its old task, charging the hour, then stopped; the KILL never
    // reached the task, which still runs beside its replacement.
    const alive = new Set(["web.0.0.1", "web.0.1.1", "web.1.0.1"]);
    master.onCall((call) => {
      if (call.type === "RECONCILE") answerRunning(master, call, alive);
      if (call.type === "KILL") {
        const id = killedTaskId(call);
        alive.delete(id);
        master.push(update(id, "TASK_KILLED"));
      }
      if (call.type === "ACCEPT")
        for (const t of launchedTasks(call)) master.push(update(t.task_id.value, "TASK_RUNNING"));
      return undefined;
    });
    keepOffering(master);
    const chargedAt = Date.now() - 60_000;
    const previous: DeployProgress = {
      release: 1,
      phase: "interrupted",
      launched: ["web.1.0.1"],
      disrupted: [chargedAt],
      disruptedTasks: { "web.0.0.1": chargedAt },
      updatedAt: chargedAt,
    };
    const replacement: TitanTask = {
      ...oldTask(0),
      taskId: "web.1.0.1",
      release: 1,
      digest: "sha256:release-1",
    };
    const store = freshStore();
    const { result } = await deploy(master, {
      spec: webSpec({ disruption: { maxPerHour: { kind: "count", value: 2 } } }),
      known: [oldTask(0), oldTask(1), replacement],
      earlier: [previousRelease()],
      previous,
      deadlineMs: 8_000,
      store,
    });
    // Two running instances replaced: two shares, the first taken by the run that stopped. Charged again, the KILL
    // sent anew used up the hour and held instance 1's replacement for an hour.
    expect(result.outcome).toBe("deployed");
    expect(master.calls("KILL").map(killedTaskId)).toEqual(["web.0.0.1", "web.0.1.1"]);
    const record = await store.progress("web");
    expect(record?.disrupted).toHaveLength(2);
    expect(record?.disrupted?.[0]).toBe(chargedAt);
    // Both tasks ended: no charge is held for a task any more.
    expect(record?.disruptedTasks).toBeUndefined();
  }, 15_000);

  it("revives at once after subscribing, so an earlier run's long refusal cannot stall the launches", async () => {
    const master = await fakeMaster();
    answerLaunches(master, () => "TASK_RUNNING");
    master.onCall((call) => {
      // Offers come only once the framework revived, as when an earlier run declined them for 120 s.
      if (call.type === "REVIVE" && master.calls("REVIVE").length === 1) keepOffering(master);
      if (call.type === "ACCEPT")
        for (const t of launchedTasks(call)) master.push(update(t.task_id.value, "TASK_RUNNING"));
      return undefined;
    });
    const { result } = await deploy(master, { deadlineMs: 10_000 });
    expect(result.outcome).toBe("deployed");
    const order = master.calls().map((c) => c.type);
    expect(order.indexOf("REVIVE")).toBeGreaterThan(-1);
    expect(order.indexOf("REVIVE")).toBeLessThan(order.indexOf("ACCEPT"));
  }, 30_000);

  it("says what it waits for after 5 quiet seconds, and names the task", async () => {
    const master = await fakeMaster();
    answerLaunches(master, (id) => (id.startsWith("web.1.1.") ? "TASK_STARTING" : "TASK_RUNNING"));
    keepOffering(master);
    let skew = 0;
    const now = () => Date.now() + skew;
    const base = webSpec();
    const spec = webSpec({ update: { ...base.update, healthyDeadlineMs: 8000 } });
    const outcome = deploy(master, { spec, now, deadlineMs: 60_000 });
    for (let i = 0; i < 2000 && launchedIds(master).length < 2; i++)
      await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 200));
    skew = 6000;
    const { result, events } = await outcome;
    expect(result.outcome).toBe("failed");
    const waiting = events.find((e) => e.type === "waiting");
    expect(waiting).toMatchObject({ app: "web", for: expect.stringContaining("web.1.1.1 to start") });
  }, 30_000);
});
