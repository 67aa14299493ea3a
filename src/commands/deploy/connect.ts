import { hostname, userInfo } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Env } from "../../cli/env.js";
import { TitanError, UsageError } from "../../cli/errors.js";
import { writeLine } from "../../cli/io.js";
import { targetFlags } from "../../cli/target-options.js";
import { LiveMasterSource } from "../../cluster/live-source.js";
import { loadTarget } from "../../config/index.js";
import { resolveSecretRef } from "../../config/secret-ref.js";
import type { Target } from "../../config/types.js";
import type { FrameworkIdentity } from "../../deploy/executor.js";
import { formatDuration, parseDuration } from "../../manifest/index.js";
import { MasterCluster } from "../../mesos/leader.js";
import type { BasicAuth } from "../../mesos/transport.js";
import { FileStateStore } from "../../state/file-store.js";
import type { StateStore } from "../../state/types.js";

export interface TargetFlags {
  context?: string;
  master?: string;
  region?: string;
  failoverTimeout?: string;
}

/** Everything a command that changes the cluster talks to: masters, the state store, the app's framework identity. */
export interface Connection {
  target: Target;
  masters: readonly string[];
  cluster: MasterCluster;
  source: LiveMasterSource;
  store: StateStore;
  framework: FrameworkIdentity;
  user: string;
  close(): Promise<void>;
}

const DEFAULT_FAILOVER_MS = 7 * 24 * 3_600_000;
const LOW_FAILOVER_MS = 24 * 3_600_000;

export async function connect(env: Env, flags: TargetFlags): Promise<Connection> {
  const failoverMs = failoverTimeout(env, flags.failoverTimeout);
  const target = await loadTarget(env, targetFlags(flags));
  let masters = target.masters;
  if (target.cluster.builtin && target.mastersOrigin === "default") {
    const { ensureLocalCluster } = await import("../../local/ensure.js");
    const { LocalClusterStartError } = await import("../../local/background.js");
    const local = await ensureLocalCluster(env.paths.stateDir).catch((error: unknown) => {
      if (error instanceof LocalClusterStartError) throw new TitanError(error.message, { hint: error.hint });
      throw error;
    });
    masters = [local.url];
    if (local.started)
      writeLine(env.io.err, `Started the local cluster at ${local.url} (stop it with \`titan local down\`).`);
  }
  const { cluster: config } = target;
  const auth: BasicAuth | undefined = config.auth
    ? { principal: config.auth.principal, secret: await resolveSecretRef(config.auth.secret, env.vars) }
    : undefined;
  const trace = env.debug ? (line: string) => writeLine(env.io.err, env.io.errColor.dim(line)) : undefined;
  const cluster = MasterCluster.fromConfig(
    { masters, ...(auth ? { auth } : {}), ...(config.caFile ? { caFile: config.caFile } : {}) },
    trace ? { trace } : {},
  );
  const role = env.vars.TITAN_ROLE ?? config.role;
  const source = new LiveMasterSource({
    masters,
    role,
    label: `context ${target.context} (cluster ${config.name})`,
    ...(auth ? { auth } : {}),
    ...(config.caFile ? { caFile: config.caFile } : {}),
    ...(trace ? { trace } : {}),
  });
  const stateUrl = config.state ?? pathToFileURL(join(env.paths.dataDir, "state", config.name)).href;
  const store = new FileStateStore(stateUrl, { clock: env.clock, hostname: hostname() });
  const user = userInfo().username;
  return {
    target,
    masters,
    cluster,
    source,
    store,
    user,
    framework: {
      user,
      role,
      failoverTimeoutSeconds: failoverMs / 1000,
      ...(auth ? { principal: auth.principal } : {}),
    },
    close: async () => {
      await cluster.close();
    },
  };

  function failoverTimeout(e: Env, flag: string | undefined): number {
    const text = flag ?? e.vars.TITAN_FAILOVER_TIMEOUT;
    if (text === undefined) return DEFAULT_FAILOVER_MS;
    const parsed = parseDuration(text);
    if (!parsed.ok || parsed.value <= 0)
      throw new UsageError(
        `--failover-timeout ${JSON.stringify(text)} is not a positive duration`,
        "e.g. --failover-timeout 168h (7 days, the default)",
      );
    if (parsed.value < LOW_FAILOVER_MS) {
      writeLine(
        e.io.err,
        `${e.io.errColor.yellow("warning:")} failover timeout ${formatDuration(parsed.value)} is low: if titan stays away longer (crash, lost network), Mesos kills every task of the app`,
      );
    }
    return parsed.value;
  }
}

/** Only the state store of the target cluster (for commands that read titan's records, not the cluster). */
export async function openStore(env: Env, flags: TargetFlags): Promise<StateStore> {
  const target = await loadTarget(env, {
    ...(flags.context === undefined ? {} : { context: flags.context }),
    ...(flags.region === undefined ? {} : { region: flags.region }),
  });
  const stateUrl =
    target.cluster.state ?? pathToFileURL(join(env.paths.dataDir, "state", target.cluster.name)).href;
  return new FileStateStore(stateUrl, { clock: env.clock, hostname: hostname() });
}
