import { commandLine, targetWords } from "../../cli/command-line.js";
import type { Env } from "../../cli/env.js";
import { TitanError, UsageError } from "../../cli/errors.js";
import { writeLine } from "../../cli/io.js";
import { agentMachines, sameMachine } from "../../cluster/maintenance.js";
import type { ClusterSnapshot } from "../../cluster/types.js";
import { writeEvent } from "../../deploy/event-line.js";
import { type SeenRelease, seenNewest } from "../../deploy/releases.js";
import type { AppSpec } from "../../manifest/types.js";
import { MasterOperator } from "../../mesos/operator.js";
import type { MachineID } from "../../mesos/types/mesos.js";
import type { MaintenanceSchedule } from "../../mesos/types/operator.js";
import { buildPlan } from "../../plan/build.js";
import { applyApps, type FollowUp } from "../../release/apply.js";
import { type Connection, connect } from "../../release/connect.js";
import { overrideReason } from "../../release/disruption.js";
import { readRecoveredCluster } from "../../release/recovered-cluster.js";
import { parseTimeout } from "../../release/timeout.js";
import { liveLock } from "../../state/live-lock.js";
import type { StateStore } from "../../state/types.js";
import { type DrainApp, drainApp, drainRefusal, lockedRefusal, runningSpec } from "./apps.js";
import type { DrainOptions } from "./command.js";

export async function runDrain(env: Env, opts: DrainOptions, names: string[]): Promise<number> {
  if (opts.advised === names.length > 0) {
    throw new UsageError(
      opts.advised ? "give agents or --advised, not both" : "which agents? name them, or pass --advised",
      "e.g. titan drain agent-7.example.com, or titan drain --advised",
    );
  }
  const timeoutMs = opts.timeout === undefined ? undefined : parseTimeout(opts.timeout);
  const overrideDisruption = overrideReason(opts.overrideDisruption);
  const conn = await connect(env, opts);
  try {
    // A master that failed over lists neither the agents yet to re-register nor their tasks: a drain planned then
    // would name none of them, nor move what runs there.
    const snapshot = await readRecoveredCluster(
      env,
      conn.source,
      timeoutMs === undefined ? {} : { deadline: env.clock.now() + timeoutMs },
    );
    const { known, plannedFrom } = await drainApps(conn.store, snapshot);
    const running = known.flatMap((app) => runningSpec(app) ?? []);
    const agentIds = opts.advised
      ? advisedAgents(env, conn, snapshot, running)
      : namedAgents(snapshot, names);
    if (agentIds.length === 0) {
      if (opts.json) writeEvent(env.io.out, { type: "nothing_to_do" }, env.clock.now());
      else writeLine(env.io.err, "Nothing to do: the plan advises draining no agent.");
      return 0;
    }
    const draining = new Set(agentIds);
    const hostsOf = (app: string) => [
      ...new Set(
        (snapshot.titanTasks[app] ?? []).filter((t) => draining.has(t.agentId)).map((t) => t.hostname),
      ),
    ];
    await refuseRunningDeploys(env, conn.store, known, {
      hosts: agentIds.map((id) => snapshot.agents.find((a) => a.id === id)?.hostname ?? id),
      target: targetWords(opts),
    });
    for (const app of known) {
      const hosts = hostsOf(app.app);
      if (hosts.length === 0) continue;
      const refusal = drainRefusal(app, { hosts, target: targetWords(opts) });
      if (refusal !== undefined) throw refusal;
    }
    const apps = known.flatMap((app) =>
      app.kind === "resumes" || (app.kind === "moves" && hostsOf(app.app).length > 0) ? [app.spec] : [],
    );
    // Resumed by the agents it drains, not by advice: once they are DRAINING, the advice of a re-run may name others.
    const again = opts.advised ? agentNames(snapshot, agentIds) : names;
    const resume = commandLine(["titan", "drain", ...again, ...targetWords(opts)]);
    return await applyApps(env, conn, apps, {
      yes: opts.yes === true,
      json: opts.json === true,
      forceUnlock: opts.forceUnlock === true,
      autoRollback: opts.autoRollback !== false,
      verb: "drain",
      resume,
      target: targetWords(opts),
      draining,
      plannedFrom,
      followUp: await maintenanceStep(env, conn, snapshot, agentIds, { json: opts.json === true, resume }),
      ...(opts.region === undefined ? {} : { region: opts.region }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(overrideDisruption === undefined ? {} : { overrideDisruption }),
      ...(opts.dryRun === true ? { dryRun: true } : {}),
    });
  } finally {
    await conn.close();
  }
}

/**
 * Refuses the drain while a deploy of any app holds its lock, wherever that app's instances are: planned before the
 * drain, it may have launched instances there the drain's plan does not show (apps.ts `lockedRefusal`). Each
 * app's lock is read here only: the refusals of apps with instances on the agents come after, with no deploy running.
 */
async function refuseRunningDeploys(
  env: Env,
  store: StateStore,
  known: readonly DrainApp[],
  context: { hosts: readonly string[]; target: readonly string[] },
): Promise<void> {
  const apps = [...new Set([...(await store.apps()), ...known.map((a) => a.app)])].sort();
  for (const app of apps) {
    const lock = await liveLock(store, app, env.clock.now());
    if (lock !== undefined) throw lockedRefusal(app, lock, context);
  }
}

/**
 * How a drain treats each titan app in the cluster, from its releases, and the newest of them as read: an app moves
 * with the spec read here only while that is still its newest release.
 */
async function drainApps(
  store: StateStore,
  snapshot: ClusterSnapshot,
): Promise<{ known: DrainApp[]; plannedFrom: Map<string, SeenRelease> }> {
  const known: DrainApp[] = [];
  const plannedFrom = new Map<string, SeenRelease>();
  for (const app of Object.keys(snapshot.titanTasks).sort()) {
    const releases = await store.releases(app);
    known.push(drainApp(app, releases));
    plannedFrom.set(app, seenNewest(releases));
  }
  return { known, plannedFrom };
}

function namedAgents(snapshot: ClusterSnapshot, names: readonly string[]): string[] {
  return [
    ...new Set(
      names.map((name) => {
        const agent = snapshot.agents.find(
          (a) => a.id === name || a.hostname.toLowerCase() === name.toLowerCase(),
        );
        if (!agent)
          throw new UsageError(
            `no agent '${name}' in the cluster`,
            "name an agent by its id or hostname (titan ps shows where instances run)",
          );
        return agent.id;
      }),
    ),
  ];
}

/** How to name the agents again: by hostname, or by id where another agent has the same hostname. */
function agentNames(snapshot: ClusterSnapshot, agentIds: readonly string[]): string[] {
  return agentIds.map((id) => {
    const hostname = snapshot.agents.find((a) => a.id === id)?.hostname;
    if (hostname === undefined) return id;
    const same = snapshot.agents.filter((a) => a.hostname.toLowerCase() === hostname.toLowerCase());
    return same.length === 1 ? hostname : id;
  });
}

/** The plan's scale-in advice for what runs now: agents everything on which fits elsewhere. */
function advisedAgents(
  env: Env,
  conn: Connection,
  snapshot: ClusterSnapshot,
  running: readonly AppSpec[],
): string[] {
  const plan = buildPlan({
    apps: running,
    snapshot,
    source: conn.source.describe(),
    taskUser: conn.framework.user,
    scaleIn: true,
  });
  if (!plan.fits) {
    writeLine(env.io.err, "The apps as they run do not fit the cluster: there is no scale-in advice.");
    return [];
  }
  return (plan.scaleIn?.drain ?? []).map((d) => d.agentId);
}

/**
 * The agents' machines join the maintenance schedule before anything moves, in a window starting now (other windows
 * kept; a machine appears once): DRAINING, every offer of them carries the window's `unavailability`, so no titan
 * launches there any more while the drain runs — a `titan supervise` relaunching any app, another deploy — as Mesos
 * maintenance asks of every framework (the Mesos maintenance guide). Once the agents are empty they are brought DOWN, so
 * Mesos removes them and the operator can terminate them (src/master/http.cpp: START_MAINTENANCE takes only
 * scheduled machines).
 */
async function maintenanceStep(
  env: Env,
  conn: Connection,
  snapshot: ClusterSnapshot,
  agentIds: readonly string[],
  { json, resume }: { json: boolean; resume: string },
): Promise<FollowUp> {
  const operator = new MasterOperator(conn.cluster);
  const machines = agentMachines((await operator.getAgents(env.signal)).agents ?? []).filter((a) =>
    agentIds.includes(a.agentId),
  );
  const ids = machines.map((m) => m.machine);
  const hosts = agentIds.map((id) => snapshot.agents.find((a) => a.id === id)?.hostname ?? id);
  const say = (mode: "DRAINING" | "DOWN", text: string) => {
    // Events of the drain like the moves' between them, with their times as those have theirs.
    if (json) writeEvent(env.io.out, { type: "maintenance", agents: hosts, mode }, env.clock.now());
    else writeLine(env.io.out, `${hosts.join(", ")}: ${text}`);
  };
  /** Schedules the machines unless each already is (a resumed drain, the schedule left as it put it). */
  const schedule = async () => {
    const current = (await operator.getMaintenanceSchedule(env.signal)).schedule;
    if (ids.every((id) => scheduled(current, id))) return;
    await operator.updateMaintenanceSchedule(withWindow(current, ids, env.clock.now()), env.signal);
  };
  return {
    describe: `bring ${hosts.join(", ")} down for maintenance`,
    before: async () => {
      await schedule();
      say("DRAINING", "scheduled for maintenance (draining): nothing new is placed there");
    },
    run: async () => {
      await refuseLateInstances(env, conn, agentIds, hosts, resume);
      // Still scheduled, unless the schedule was changed meanwhile: START_MAINTENANCE needs it.
      await schedule();
      await operator.startMaintenance(ids, env.signal);
      say("DOWN", "down for maintenance; the machines can be terminated");
    },
  };
}

/**
 * Refuses to bring the machines down while an instance of an app of this state store runs on the agents: launched
 * after the drain planned and before the agents were scheduled (a `titan supervise` relaunch while the drain asked
 * for confirmation), it is in no move of this drain, and would be lost with the machine. The agents stay DRAINING,
 * so nothing new lands there; a re-run plans its move. Instances of apps of other state stores end with the machines,
 * as the plan says of those it found.
 */
async function refuseLateInstances(
  env: Env,
  conn: Connection,
  agentIds: readonly string[],
  hosts: readonly string[],
  resume: string,
): Promise<void> {
  const now = await readRecoveredCluster(env, conn.source);
  for (const app of Object.keys(now.titanTasks).sort()) {
    const late = (now.titanTasks[app] ?? []).filter((t) => agentIds.includes(t.agentId));
    if (late.length === 0 || (await conn.store.releases(app)).length === 0) continue;
    const one = late.length === 1;
    const where = [...new Set(late.map((t) => t.hostname))].join(", ");
    throw new TitanError(
      `${app} has ${one ? "an instance" : `${late.length} instances`} on ${where} that ${one ? "was" : "were"} launched after the drain planned (${late.map((t) => t.taskId).join(", ")}): ${hosts.join(", ")} ${hosts.length === 1 ? "stays" : "stay"} scheduled for maintenance (DRAINING) and ${hosts.length === 1 ? "is" : "are"} not brought down`,
      { hint: `re-run \`${resume}\` to move ${one ? "it" : "them"}; then the machines go down` },
    );
  }
}

function scheduled(schedule: MaintenanceSchedule, machine: MachineID): boolean {
  return (schedule.windows ?? []).some((w) => w.machine_ids.some((m) => sameMachine(m, machine)));
}

function withWindow(
  schedule: MaintenanceSchedule,
  machines: readonly MachineID[],
  nowMs: number,
): MaintenanceSchedule {
  const others = (schedule.windows ?? [])
    .map((w) => ({
      ...w,
      machine_ids: w.machine_ids.filter((m) => !machines.some((x) => sameMachine(m, x))),
    }))
    .filter((w) => w.machine_ids.length > 0);
  return {
    windows: [
      ...others,
      {
        machine_ids: [...machines],
        unavailability: { start: { nanoseconds: String(BigInt(Math.round(nowMs)) * 1_000_000n) } },
      },
    ],
  };
}
