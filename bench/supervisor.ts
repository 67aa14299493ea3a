import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { TitanTask } from "../src/cluster/types.js";
import { DEFAULT_BRAKE } from "../src/deploy/brake.js";
import type { CallSink, SchedulerCall } from "../src/deploy/calls.js";
import { DEFAULT_RECONCILE_TIMINGS } from "../src/deploy/reconcile-rounds.js";
import type { MasterCluster } from "../src/mesos/leader.js";
import type { SessionEvent } from "../src/mesos/session.js";
import type { Offer, TaskState, TaskStatus } from "../src/mesos/types/mesos.js";
import { FileStateStore } from "../src/state/file-store.js";
import type { Release } from "../src/state/types.js";
import { MAX_BURST, SupervisedSession } from "../src/supervisor/app-session.js";
import type { SupervisorLog } from "../src/supervisor/log.js";
import { appSpec } from "../test/plan/builders.js";

/**
 * `titan supervise` without a cluster: its sessions (the code that reconciles, relaunches and answers offers) are
 * driven turn by turn on a simulated clock by a small simulated master in this process, which answers RECONCILE,
 * ACCEPT and KILL with the status updates a Mesos master sends. CPU time and heap are this process's: the
 * supervisor's work plus the small simulated master's.
 */

const TICK_MS = 1000;

/** A full collection before each heap reading, so it shows what is kept rather than what is not collected yet. */
function collectedHeap(): number {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
  return process.memoryUsage().heapUsed;
}
const silent: SupervisorLog = { debug() {}, info() {}, warn() {}, error() {} };

interface SimTask {
  app: string;
  instance: number;
  agentId: string;
  state: TaskState;
}

/** The master's side: what it knows of the tasks, and the updates it has to deliver. */
class SimulatedMaster {
  readonly tasks = new Map<string, SimTask>();
  readonly inbox = new Map<string, SessionEvent[]>();
  readonly calls = new Map<string, number>();
  private offerSeq = 0;

  sinkFor(app: string): CallSink {
    return {
      send: async (call: SchedulerCall) => {
        this.calls.set(call.kind, (this.calls.get(call.kind) ?? 0) + 1);
        this.answer(app, call);
        return true;
      },
    };
  }

  deliver(app: string, event: SessionEvent): void {
    const queue = this.inbox.get(app);
    if (queue === undefined) this.inbox.set(app, [event]);
    else queue.push(event);
  }

  take(app: string): SessionEvent[] {
    const queue = this.inbox.get(app) ?? [];
    this.inbox.set(app, []);
    return queue;
  }

  update(taskId: string, state: TaskState, reconciled = false): void {
    const task = this.tasks.get(taskId);
    if (task === undefined) return;
    task.state = state;
    const status: TaskStatus = {
      task_id: { value: taskId },
      state,
      agent_id: { value: task.agentId },
      ...(reconciled ? { reason: "REASON_RECONCILIATION" } : { uuid: `u${++this.offerSeq}` }),
    };
    this.deliver(task.app, { type: "UPDATE", update: { status } });
  }

  offer(app: string): void {
    const offer: Offer = {
      id: { value: `o${++this.offerSeq}` },
      framework_id: { value: `f-${app}` },
      agent_id: { value: "agent-1" },
      hostname: "agent-1.example",
      resources: [
        { name: "cpus", type: "SCALAR", scalar: { value: 8 } },
        { name: "mem", type: "SCALAR", scalar: { value: 32768 } },
        { name: "ports", type: "RANGES", ranges: { range: [{ begin: 31000, end: 32000 }] } },
      ],
    };
    this.deliver(app, { type: "OFFERS", offers: { offers: [offer] } });
  }

  private answer(app: string, call: SchedulerCall): void {
    switch (call.kind) {
      case "reconcile": {
        const ids =
          call.tasks.length === 0
            ? [...this.tasks].filter(([, t]) => t.app === app).map(([id]) => id)
            : call.tasks.map((t) => t.taskId);
        for (const id of ids) this.update(id, this.tasks.get(id)?.state ?? "TASK_RUNNING", true);
        return;
      }
      case "accept":
        for (const launch of call.launches) {
          const { taskId, instance } = launch.tracked;
          this.tasks.set(taskId, { app, instance, agentId: "agent-1", state: "TASK_STAGING" });
          this.update(taskId, "TASK_STARTING");
          this.update(taskId, "TASK_RUNNING");
        }
        return;
      case "kill":
        this.update(call.taskId, "TASK_KILLED");
        return;
      case "revive":
        this.offer(app);
        return;
      default:
        return;
    }
  }
}

function release(app: string, instances: number): Release {
  const spec = appSpec({
    name: app,
    image: undefined,
    command: ["sleep", "3600"],
    instances,
    ports: [],
    resources: { cpus: 0.01, mem: 8, disk: 0, gpus: 0 },
    restart: { backoffMs: 1000, factor: 2, maxDelayMs: 60_000 },
  });
  return {
    app,
    number: 1,
    manifestDigest: "sha256:bench",
    spec,
    createdAt: 0,
    user: "bench",
    outcome: "deployed",
  };
}

interface Supervised {
  app: string;
  session: SupervisedSession;
  sink: CallSink;
}

function supervise(
  master: SimulatedMaster,
  store: FileStateStore,
  app: string,
  instances: number,
  now: () => number,
): Supervised {
  const rel = release(app, instances);
  const known: TitanTask[] = [];
  for (let instance = 0; instance < instances; instance++) {
    const taskId = `${app}.1.${instance}.1`;
    master.tasks.set(taskId, { app, instance, agentId: "agent-1", state: "TASK_RUNNING" });
    known.push({
      taskId,
      frameworkId: `f-${app}`,
      framework: `titan:${app}`,
      app,
      instance,
      release: 1,
      digest: "sha256:bench",
      state: "TASK_RUNNING",
      agentId: "agent-1",
      hostname: "agent-1.example",
      demand: rel.spec.resources,
      ports: [],
      health: "none",
    });
  }
  const session = new SupervisedSession(
    {
      app,
      store,
      // Only `run` opens a subscription; the bench drives `turn` itself.
      cluster: undefined as unknown as MasterCluster,
      framework: { user: "nobody", role: "*", failoverTimeoutSeconds: 604_800 },
      region: null,
      now,
      log: silent,
      brakeSettings: DEFAULT_BRAKE,
      settings: {
        unreachableGraceMs: 300_000,
        reconcile: DEFAULT_RECONCILE_TIMINGS,
        lockPollMs: 5000,
        tickMs: TICK_MS,
        seed: 1,
      },
    },
    {
      target: { spec: rel.spec, release: rel, environment: {} },
      desired: instances,
      releases: [rel],
      frameworkId: `f-${app}`,
      known,
      writtenAhead: [],
    },
  );
  master.deliver(app, { type: "SUBSCRIBED", subscribed: { framework_id: { value: `f-${app}` } } });
  return { app, session, sink: master.sinkFor(app) };
}

/** One turn of every session: the events that arrived for it, as its loop takes them. */
async function turn(master: SimulatedMaster, all: readonly Supervised[]): Promise<number> {
  let events = 0;
  for (const s of all) {
    const arrived = master.take(s.app);
    events += arrived.length;
    if (arrived.length === 0) await s.session.turn(s.sink, []);
    for (let i = 0; i < arrived.length; i += MAX_BURST)
      await s.session.turn(s.sink, arrived.slice(i, i + MAX_BURST));
  }
  return events;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

/** 10,000 tasks of one app reconciled after a subscription: explicit, then implicit, as the guide says. */
async function reconcileTenThousand(store: FileStateStore): Promise<string[]> {
  const rows: string[] = [];
  for (const dropped of [0, 0.1]) {
    let now = 1_000_000;
    const master = new SimulatedMaster();
    const s = supervise(master, store, "big", 10_000, () => now);
    // After a master failover, some agents have not re-registered: their tasks are not answered at first.
    const silentUntil = now + 5000;
    const silentTasks = new Set(
      [...master.tasks.keys()].filter((_, i) => i < 10_000 * dropped && dropped > 0),
    );
    const sink: CallSink = {
      send: async (call) => {
        if (call.kind === "reconcile" && now < silentUntil && silentTasks.size > 0) {
          master.calls.set("reconcile", (master.calls.get("reconcile") ?? 0) + 1);
          const asked = call.tasks.length === 0 ? [...master.tasks.keys()] : call.tasks.map((t) => t.taskId);
          for (const id of asked) if (!silentTasks.has(id)) master.update(id, "TASK_RUNNING", true);
          return true;
        }
        return s.sink.send(call);
      },
    };
    const cpu = process.cpuUsage();
    const start = performance.now();
    let updates = 0;
    const began = now;
    while (s.session.counters.lastReconciledAt === undefined || s.session.counters.unanswered > 0) {
      const arrived = master.take(s.app);
      updates += arrived.filter((e) => e.type === "UPDATE").length;
      if (arrived.length === 0) await s.session.turn(sink, []);
      for (let i = 0; i < arrived.length; i += MAX_BURST)
        await s.session.turn(sink, arrived.slice(i, i + MAX_BURST));
      now += 100;
      if (now - began > 600_000) throw new Error("reconciliation never completed");
    }
    const wallMs = performance.now() - start;
    const used = process.cpuUsage(cpu);
    const what = dropped === 0 ? "all answered at once" : "10% silent for 5 s (a failed-over master)";
    rows.push(
      `| ${what} | ${master.calls.get("reconcile") ?? 0} | ${updates.toLocaleString("en-US")} | ${((now - began) / 1000).toFixed(1)} s | ${wallMs.toFixed(0)} ms | ${((used.user + used.system) / 1000).toFixed(0)} ms |`,
    );
  }
  return rows;
}

/** 500 apps of 4 instances over an hour of simulated time: ticks, periodic reconciliation, crashes, relaunches. */
async function fiveHundredApps(store: FileStateStore): Promise<{ rows: string[]; relaunched: number }> {
  const APPS = 500;
  const INSTANCES = 4;
  let now = 2_000_000;
  const master = new SimulatedMaster();
  const all: Supervised[] = [];
  for (let i = 0; i < APPS; i++) all.push(supervise(master, store, `app-${i}`, INSTANCES, () => now));
  // Settle the first reconciliation before measuring.
  for (let i = 0; i < 20; i++) {
    await turn(master, all);
    now += TICK_MS;
  }
  const heapBefore = collectedHeap();
  const cpu = process.cpuUsage();
  const start = performance.now();
  let random = 42;
  const next = (): number => {
    random = (random * 1_103_515_245 + 12_345) % 2_147_483_648;
    return random / 2_147_483_648;
  };
  let crashes = 0;
  const HOUR_TICKS = 3600;
  // About 5% of the 2,000 tasks crash in the hour, at random moments.
  const crashChance = (0.05 * APPS * INSTANCES) / HOUR_TICKS;
  let peakRss = process.memoryUsage().rss;
  for (let t = 0; t < HOUR_TICKS; t++) {
    if (next() < crashChance) {
      const running = [...master.tasks].filter(([, task]) => task.state === "TASK_RUNNING");
      const victim = running[Math.floor(next() * running.length)];
      if (victim !== undefined) {
        master.update(victim[0], "TASK_FAILED");
        crashes += 1;
      }
    }
    await turn(master, all);
    now += TICK_MS;
    if (t % 300 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  const heapAfter = collectedHeap();
  const running = [...master.tasks.values()].filter((t) => t.state === "TASK_RUNNING").length;
  const cpuMs = (used.user + used.system) / 1000;
  const rows = [
    `| simulated time | 1 h (${HOUR_TICKS.toLocaleString("en-US")} turns of every session) |`,
    `| tasks crashed, and running at the end | ${crashes}, ${running} of ${APPS * INSTANCES} |`,
    `| scheduler calls | ${[...master.calls].map(([k, v]) => `${k} ${v.toLocaleString("en-US")}`).join(", ")} |`,
    `| wall time | ${(wallMs / 1000).toFixed(1)} s |`,
    `| CPU time (user + system) | ${(cpuMs / 1000).toFixed(1)} s, ${((cpuMs / 3_600_000) * 100).toFixed(2)}% of one core over the hour |`,
    `| heap kept (after a full collection) before → after the hour | ${mb(heapBefore)} → ${mb(heapAfter)} |`,
    `| peak RSS | ${mb(peakRss)} |`,
  ];
  return { rows, relaunched: crashes };
}

export async function run(): Promise<{ title: string; markdown: string }> {
  const dir = mkdtempSync(join(tmpdir(), "titan-bench-supervise-"));
  try {
    const store = new FileStateStore(pathToFileURL(dir).href, {
      clock: { now: Date.now },
      hostname: "bench",
    });
    const reconcile = await reconcileTenThousand(store);
    const hour = await fiveHundredApps(store);
    const markdown = [
      "The supervisor's sessions (reconciliation, relaunches with backoff, offers, the store's write-ahead) driven on a",
      "simulated clock by a simulated master in the same process, which answers RECONCILE, ACCEPT, KILL and REVIVE",
      "with the updates and offers a Mesos master sends. Times and memory are this process's: the supervisor plus the",
      "small simulated master. No HTTP: the cost of the calls on the wire is measured in the deploy benchmark above.",
      "",
      `Machine: ${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, Node ${process.version}.`,
      "",
      "Reconciliation of 10,000 running tasks of one app after a subscription (explicit for every task, re-asked",
      "with backoff while unanswered, then implicit; the round is done when the implicit answers settled):",
      "",
      "| answers | RECONCILE calls | updates handled | simulated time to done | wall time | CPU time |",
      "|---|---|---|---|---|---|",
      ...reconcile,
      "",
      "500 apps of 4 instances each, supervised for an hour of simulated time (a turn per simulated second; the",
      "periodic reconciliation every 15 minutes; about 5% of the tasks crash at random and are relaunched):",
      "",
      "| measure | value |",
      "|---|---|",
      ...hour.rows,
    ].join("\n");
    return { title: "titan supervise: reconciliation of 10k tasks, 500 apps for an hour", markdown };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
