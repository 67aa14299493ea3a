import { userInfo } from "node:os";
import type { Env } from "../cli/env.js";
import { UsageError } from "../cli/errors.js";
import { writeLine } from "../cli/io.js";
import { OwnedSource } from "../cluster/owned-source.js";
import type { ClusterStateSource } from "../cluster/types.js";
import type { TargetFlags } from "../config/resolve.js";
import type { ClusterTarget } from "../config/target.js";
import type { FrameworkIdentity } from "../deploy/executor.js";
import { formatDuration, parseDuration } from "../manifest/index.js";
import type { MasterCluster } from "../mesos/leader.js";
import type { StateStore } from "../state/types.js";

export interface ConnectFlags extends TargetFlags {
  failoverTimeout?: string | undefined;
  /** The apps the command changes; another framework running one of them stops it unless `adopt`. */
  apps?: readonly string[] | undefined;
  adopt?: boolean | undefined;
  /** `--dry-run`: nothing is recorded, not even an adoption. */
  dryRun?: boolean | undefined;
  /** Start the local cluster when it is the target and is down: only a deploy that goes ahead does. */
  startLocal?: boolean | undefined;
}

/** Everything a command that changes the cluster talks to: masters, the state store, the app's framework identity. */
export interface Connection {
  target: ClusterTarget;
  masters: readonly string[];
  cluster: MasterCluster;
  source: ClusterStateSource;
  store: StateStore;
  framework: FrameworkIdentity;
  /** The deployer's login name: owner of locks and releases (tasks run as `framework.user`). */
  user: string;
  /** Records the frameworks `--adopt` took over while reading: once the change goes ahead, never before. */
  recordAdoptions(): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_FAILOVER_MS = 7 * 24 * 3_600_000;
const LOW_FAILOVER_MS = 24 * 3_600_000;
/**
 * The longest failover timeout a master accepts: it keeps the timeout as an int64 of nanoseconds and refuses the
 * subscription of a framework whose seconds overflow it (src/master/validation.cpp validateFailoverTimeout).
 */
const MAX_FAILOVER_MS = 2 ** 63 / 1e6;

/**
 * Opens the command's target for a change. A local cluster that is down is started only with `startLocal`; without
 * it the change fails saying the cluster is not running.
 */
export async function connect(env: Env, flags: ConnectFlags): Promise<Connection> {
  const failoverMs = failoverTimeout(env, flags.failoverTimeout);
  const target = await env.target(flags);
  const masters = await target.masters({ start: flags.startLocal === true && flags.dryRun !== true });
  const [cluster, live, store, auth] = await Promise.all([
    target.client(),
    target.source(),
    target.store(),
    target.auth(),
  ]);
  const source = new OwnedSource(live, store, {
    apps: flags.apps ?? [],
    onForeign: flags.adopt === true ? "adopt" : "refuse",
    preview: flags.dryRun === true,
    note: (line) => writeLine(env.io.err, line),
  });
  return {
    target,
    masters,
    cluster,
    source,
    store,
    user: userInfo().username,
    framework: {
      user: target.user,
      role: target.role,
      failoverTimeoutSeconds: failoverMs / 1000,
      principal: auth?.principal,
    },
    recordAdoptions: () => source.recordAdoptions(),
    close: () => target.close(),
  };
}

/** `--failover-timeout` (or TITAN_FAILOVER_TIMEOUT) in ms, warning when it is low. */
export function failoverTimeout(env: Env, flag: string | undefined): number {
  const text = flag ?? env.vars.TITAN_FAILOVER_TIMEOUT;
  if (text === undefined) return DEFAULT_FAILOVER_MS;
  const parsed = parseDuration(text);
  if (!parsed.ok || parsed.value <= 0)
    throw new UsageError(
      `--failover-timeout ${JSON.stringify(text)} is not a positive duration`,
      "e.g. --failover-timeout 168h (7 days, the default)",
    );
  if (parsed.value > MAX_FAILOVER_MS)
    throw new UsageError(
      `--failover-timeout ${JSON.stringify(text)} is longer than a Mesos master accepts`,
      `at most ${Math.floor(MAX_FAILOVER_MS / 3_600_000)}h, about 292 years (the master counts it in nanoseconds, in 64 bits)`,
    );
  if (parsed.value < LOW_FAILOVER_MS) {
    writeLine(
      env.io.err,
      `${env.io.errColor.yellow("warning:")} failover timeout ${formatDuration(parsed.value)} is low: if titan stays away longer (crash, lost network), Mesos kills every task of the app`,
    );
  }
  return parsed.value;
}
