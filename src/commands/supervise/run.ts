import { hostname, userInfo } from "node:os";
import { atMost, MAX_WAIT_FLAG_MS } from "../../cli/duration-flag.js";
import type { Env } from "../../cli/env.js";
import { TitanError, UsageError } from "../../cli/errors.js";
import { ExitCode } from "../../cli/exit-codes.js";
import { writeLine } from "../../cli/io.js";
import type { BrakeSettings } from "../../deploy/brake.js";
import { gpuAgentIds } from "../../deploy/gpu-agents.js";
import { DEFAULT_RECONCILE_TIMINGS } from "../../deploy/reconcile-rounds.js";
import { parseDuration } from "../../manifest/units.js";
import type { MasterCluster } from "../../mesos/leader.js";
import { recoveringAgents } from "../../observe/recovering.js";
import { sleep } from "../../observe/sleep.js";
import { checkAppName } from "../../release/app-release.js";
import { failoverTimeout } from "../../release/connect.js";
import { unknownAppError } from "../../release/unknown-app.js";
import { type StatusServer, serveStatus } from "../../supervisor/http.js";
import { supervisorLog } from "../../supervisor/log.js";
import { openLeadership } from "../../supervisor/open-leadership.js";
import { Supervisor } from "../../supervisor/supervisor.js";
import { type ClusterTasks, sharedTaskReader } from "../../supervisor/task-reader.js";
import { readTitanState } from "../ps/state.js";
import type { SuperviseOptions } from "./command.js";

const REPORT_INTERVAL_MS = 5000;
const LOCK_POLL_MS = 1000;

export interface SuperviseTimings {
  reportIntervalMs: number;
  lockPollMs: number;
  tickMs: number;
  leaseMs: number;
}

/** Test seams: shorter timings than a real cluster wants. */
export function superviseTimings(vars: Readonly<Record<string, string | undefined>>): SuperviseTimings {
  const ms = (name: string, fallback: number): number => {
    const value = Number(vars[name]);
    return Number.isFinite(value) && value > 0 ? value : fallback;
  };
  return {
    reportIntervalMs: ms("TITAN_SUPERVISE_REPORT_MS", REPORT_INTERVAL_MS),
    lockPollMs: ms("TITAN_SUPERVISE_LOCK_POLL_MS", LOCK_POLL_MS),
    tickMs: ms("TITAN_SUPERVISE_TICK_MS", 200),
    leaseMs: ms("TITAN_SUPERVISE_LEASE_MS", 15_000),
  };
}

function duration(flag: string, text: string, min = 0): number {
  const parsed = parseDuration(text);
  if (!parsed.ok || parsed.value < min)
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not a duration`, `e.g. ${flag} 5m`);
  return atMost(parsed.value, MAX_WAIT_FLAG_MS, `${flag} ${JSON.stringify(text)}`, `e.g. ${flag} 5m`);
}

export function brakeSettings(opts: SuperviseOptions): BrakeSettings {
  const count = Number(opts.brakeCount);
  if (!Number.isInteger(count) || count < 1)
    throw new UsageError(
      `--brake-count ${JSON.stringify(opts.brakeCount)} is not a whole number ≥ 1`,
      "e.g. --brake-count 3",
    );
  const match = /^(\d+(?:\.\d+)?)%$/.exec(opts.brakeFraction);
  const percent = match === null ? Number.NaN : Number(match[1]);
  if (!(percent > 0 && percent <= 100))
    throw new UsageError(
      `--brake-fraction ${JSON.stringify(opts.brakeFraction)} is not a percentage in (0%, 100%]`,
      "e.g. --brake-fraction 50%",
    );
  return { count, fraction: percent / 100, windowMs: duration("--brake-window", opts.brakeWindow, 1) };
}

/** `host:port` (an IPv6 host in brackets), or "off". */
export function parseListen(text: string): { host: string; port: number } | undefined {
  if (text === "off") return undefined;
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (match === null || port > 65_535)
    throw new UsageError(
      `--listen ${JSON.stringify(text)} is not host:port`,
      "e.g. --listen 127.0.0.1:9470, or off",
    );
  return { host: match[1] ?? match[2] ?? "127.0.0.1", port };
}

function clusterTasks(cluster: MasterCluster): (signal: AbortSignal) => Promise<ClusterTasks> {
  return async (signal) => {
    const { state, titanTasks } = await readTitanState(cluster, signal);
    return {
      tasks: titanTasks.tasks,
      gpuAgents: gpuAgentIds(state.get_agents?.agents ?? []),
      recoveringAgents: recoveringAgents(state),
    };
  };
}

export async function runSupervise(env: Env, opts: SuperviseOptions): Promise<number> {
  if (opts.all === opts.apps.length > 0)
    throw new UsageError(
      opts.all ? "name apps or pass --all, not both" : "which apps? name them, or pass --all",
      "e.g. titan supervise web api, or titan supervise --all",
    );
  for (const app of opts.apps) checkAppName(app);
  const listen = parseListen(opts.listen);
  const brake = brakeSettings(opts);
  const unreachableGraceMs = duration("--unreachable-grace", opts.unreachableGrace);
  const intervalMs = duration("--reconcile-interval", opts.reconcileInterval, 1000);
  const failoverMs = failoverTimeout(env, opts.failoverTimeout);
  const timings = superviseTimings(env.vars);
  const now = (): number => env.clock.now();

  const target = await env.target(opts);
  try {
    const [cluster, store, auth] = await Promise.all([target.client(), target.store(), target.auth()]);
    // A store it cannot read (a file where its directory should be, one others can write) stops it now, not in a
    // line logged every report interval.
    if (opts.all) await store.apps();
    for (const app of opts.apps) if ((await store.releases(app)).length === 0) throw unknownAppError(app);
    const host = hostname();
    const identity = { user: userInfo().username, host, pid: process.pid, startedAt: now() };
    const id = `${host.replace(/[^A-Za-z0-9._-]/g, "_")}-${identity.pid}-${identity.startedAt}`;
    const log = supervisorLog({
      json: opts.json,
      debug: env.debug,
      now,
      write: (line) => writeLine(env.io.out, line),
    });
    const { leadership, close: closeLeadership } = await openLeadership(store, {
      identity,
      clock: env.clock,
      hostname: host,
      leaseMs: timings.leaseMs,
      onRetry: (error) => log.warn(undefined, `leader election: ${error.message}; retrying`),
    });
    const supervisor = new Supervisor({
      identity,
      id,
      scope: opts.all ? "all" : opts.apps,
      store,
      now,
      reportIntervalMs: timings.reportIntervalMs,
      appDeps: {
        store,
        cluster,
        leadership,
        framework: {
          user: target.user,
          role: target.role,
          failoverTimeoutSeconds: failoverMs / 1000,
          ...(auth?.principal === undefined ? {} : { principal: auth.principal }),
        },
        region: target.region ?? null,
        ...(target.cluster.containerizer === undefined
          ? {}
          : { containerizer: target.cluster.containerizer }),
        now,
        log,
        brakeSettings: brake,
        vars: env.vars,
        readTasks: sharedTaskReader(clusterTasks(cluster), now),
        sleep: async (ms, signal) => void (await sleep(ms, signal)),
        settings: {
          unreachableGraceMs,
          reconcile: { ...DEFAULT_RECONCILE_TIMINGS, intervalMs },
          lockPollMs: timings.lockPollMs,
          tickMs: timings.tickMs,
          seed: identity.startedAt % 2_147_483_647,
        },
      },
    });
    let server: StatusServer | undefined;
    try {
      if (listen !== undefined) {
        server = await serveStatus(listen.host, listen.port, supervisor).catch((error: unknown) => {
          throw new TitanError(
            `cannot listen on ${opts.listen}: ${error instanceof Error ? error.message : String(error)}`,
            {
              hint: "pick another --listen address (port 0 takes any free port), or --listen off",
            },
          );
        });
        supervisor.listen = server.url;
      }
      log.info(undefined, "titan supervise started", {
        apps: opts.all ? "all" : opts.apps.join(","),
        store: store.describe(),
        ...(server === undefined ? {} : { listen: server.url }),
      });
      await supervisor.run(env.signal);
      log.info(undefined, "titan supervise stopped: leads given up, tasks left running");
    } finally {
      await server?.close();
      await closeLeadership();
    }
    return ExitCode.Ok;
  } finally {
    await target.close();
  }
}
