import { hostname } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Env } from "../cli/env.js";
import { TitanError } from "../cli/errors.js";
import { writeLine } from "../cli/io.js";
import type { LiveMasterSource } from "../cluster/live-source.js";
import type { BasicAuth, MasterCluster } from "../mesos/index.js";
import type { StateStore } from "../state/types.js";
import { loadUserConfig } from "./index.js";
import { resolveTarget, type TargetFlags } from "./resolve.js";
import { roleFlag } from "./role.js";
import { type ClusterConfig, DEFAULT_TASK_USER, type Origin, type Target } from "./types.js";

/**
 * The cluster a command acts on, resolved once per command: which masters (for the built-in `local` context:
 * this user's own local cluster), the credentials and CA, the state store with its default location, the Mesos
 * role and the framework user. Clients are created on first use and closed together by `close()`.
 */
export interface ClusterTarget {
  readonly context: string;
  readonly contextOrigin: Origin;
  readonly cluster: ClusterConfig;
  readonly region: string | undefined;
  /** The role titan's frameworks use and plans compute free resources for. */
  readonly role: string;
  /** FrameworkInfo.user: the user the agents run the tasks as. */
  readonly user: string;
  /** The state store's URL, with the default applied when the cluster sets no `state:`. */
  readonly stateUrl: string;
  /** `context prod (cluster prod-us-east)`, for messages. */
  readonly label: string;
  /** True when the masters are this user's own local cluster (the built-in `local` context, no --master). */
  readonly local: boolean;
  /**
   * The master URLs to talk to, a list a later master source (such as ZooKeeper) can extend. For the local
   * context: this user's running local cluster, started first when `start` is set (a deploy that is not a
   * --dry-run); otherwise a local cluster that is not running is an error saying how to start it.
   */
  masters(options?: { start?: boolean }): Promise<readonly string[]>;
  /** The cluster's credentials with the secret resolved, sent only to the configured masters. */
  auth(): Promise<BasicAuth | undefined>;
  /** The client for the leading master. */
  client(options?: { start?: boolean }): Promise<MasterCluster>;
  /** The cluster state as the plan reads it (GET_STATE from the leading master). */
  source(options?: { start?: boolean }): Promise<LiveMasterSource>;
  store(): Promise<StateStore>;
  /**
   * The state store as a command that only observes reads it (`ps`, `status`, `releases`): an ensemble that does
   * not answer within OBSERVE_CONNECT_MS is reported at once rather than waited for, as one expects of a command
   * that changes nothing (`ps` shows the cluster's tasks without it).
   */
  observedStore(): Promise<StateStore>;
  close(): Promise<void>;
}

/** How long an observing command waits for the state store's first connection (a deploy waits 10 s). */
export const OBSERVE_CONNECT_MS = 3000;

/** The state store a cluster uses when its config names none: one directory per cluster under the data dir. */
export function defaultStateUrl(dataDir: string, cluster: string): string {
  return pathToFileURL(join(dataDir, "state", cluster)).href;
}

/** The state store a cluster keeps its apps' records in: its `state:`, else its default one. */
export function stateUrlOf(cluster: ClusterConfig, dataDir: string): string {
  return cluster.state ?? defaultStateUrl(dataDir, cluster.name);
}

/** Resolves the role: --role, then TITAN_ROLE (each checked as a master would), then the cluster's. */
function roleOf(flags: TargetFlags, env: Env, cluster: ClusterConfig): string {
  const explicit = flags.role ?? env.vars.TITAN_ROLE;
  return explicit === undefined ? cluster.role : roleFlag(explicit);
}

/** Reads the config and resolves the target for the flags given; nothing is contacted yet. */
export async function openTarget(env: Env, flags: TargetFlags): Promise<ClusterTarget> {
  const { config } = await loadUserConfig(env);
  return targetFrom(env, resolveTarget(config, env.paths, flags, env.vars), flags);
}

export function targetFrom(env: Env, target: Target, flags: TargetFlags = {}): ClusterTarget {
  const { cluster } = target;
  const local = cluster.builtin && target.mastersOrigin === "default";
  const trace = env.debug ? (line: string) => writeLine(env.io.err, env.io.errColor.dim(line)) : undefined;
  let masters: Promise<readonly string[]> | undefined;
  let auth: Promise<BasicAuth | undefined> | undefined;
  let client: Promise<MasterCluster> | undefined;
  let store: Promise<StateStore> | undefined;
  let observed: Promise<StateStore> | undefined;
  const openStore = async (observing = false): Promise<StateStore> => {
    const { openStateStore } = await import("../state/open.js");
    return openStateStore(resolved.stateUrl, {
      clock: env.clock,
      hostname: hostname(),
      vars: env.vars,
      signal: env.signal,
      ...(observing ? { connectTimeoutMs: OBSERVE_CONNECT_MS, observing } : {}),
    });
  };

  const resolved: ClusterTarget = {
    context: target.context,
    contextOrigin: target.contextOrigin,
    cluster,
    region: target.region,
    role: roleOf(flags, env, cluster),
    user: cluster.user ?? DEFAULT_TASK_USER,
    stateUrl: stateUrlOf(cluster, env.paths.dataDir),
    label: `context ${target.context} (cluster ${cluster.name})`,
    local,
    masters(options = {}) {
      if (!local) return Promise.resolve(target.masters);
      // A refusal to start is not kept: a later call that may start the cluster tries again.
      if (masters === undefined) {
        const found = localMasters(env, options.start === true);
        masters = found;
        found.catch(() => {
          if (masters === found) masters = undefined;
        });
      }
      return masters;
    },
    auth() {
      auth ??= (async () => {
        if (!cluster.auth) {
          const urls = local ? await resolved.masters().catch(() => []) : target.masters;
          return localAuth(env, urls, local);
        }
        const { resolveSecretRef } = await import("./secret-ref.js");
        return {
          principal: cluster.auth.principal,
          secret: await resolveSecretRef(cluster.auth.secret, env.vars, { signal: env.signal }),
        };
      })();
      return auth;
    },
    client(options = {}) {
      client ??= (async () => {
        const [urls, credentials, { MasterCluster }] = await Promise.all([
          resolved.masters(options),
          resolved.auth(),
          import("../mesos/leader.js"),
        ]);
        return MasterCluster.fromConfig(
          {
            masters: urls,
            auth: credentials,
            caFile: cluster.caFile,
            zkPassword: await zkSecret(urls, env.vars),
          },
          { ...(trace ? { trace } : {}), announce: (line: string) => writeLine(env.io.err, line) },
        );
      })();
      return client;
    },
    async source(options = {}) {
      const [urls, credentials, { LiveMasterSource }] = await Promise.all([
        resolved.masters(options),
        resolved.auth(),
        import("../cluster/live-source.js"),
      ]);
      return new LiveMasterSource({
        masters: urls,
        role: resolved.role,
        label: resolved.label,
        auth: credentials,
        caFile: cluster.caFile,
        zkPassword: await zkSecret(urls, env.vars),
        trace,
      });
    },
    store() {
      store ??= openStore();
      return store;
    },
    observedStore() {
      observed ??= openStore(true);
      return observed;
    },
    async close() {
      const [openClient, openStores] = [client, [store, observed]];
      client = undefined;
      store = undefined;
      observed = undefined;
      await Promise.all([
        openClient?.then((c) => c.close()).catch(() => undefined),
        ...openStores.map((s) => s?.then((opened) => opened.close()).catch(() => undefined)),
      ]);
    },
  };
  return resolved;
}

/** The digest password of a zk:// master URL, from its secret reference. */
async function zkSecret(masters: readonly string[], vars: Env["vars"]): Promise<string | undefined> {
  if (!masters[0]?.startsWith("zk://")) return undefined;
  const { zkPassword } = await import("../state/open.js");
  return zkPassword(masters[0], vars);
}

/** The URL of this user's running local cluster, or undefined when it is not running. */
export async function runningLocalUrl(env: Env): Promise<string | undefined> {
  const { localPaths } = await import("../local/control.js");
  const { runningCluster } = await import("../local/background.js");
  return (await runningCluster(localPaths(env.paths.stateDir)))?.url;
}

/**
 * This user's own local cluster, found through the record `titan local up` keeps in the user's state directory
 * (so `titan local up --port 5150` is what every command uses). Never a cluster that merely answers on the
 * default port: that may be another user's, and a deploy would hand it the app and its secrets.
 */
async function localMasters(env: Env, start: boolean): Promise<readonly string[]> {
  const { localPaths } = await import("../local/control.js");
  const { runningCluster, LocalClusterStartError } = await import("../local/background.js");
  const running = await runningCluster(localPaths(env.paths.stateDir));
  if (running) return [running.url];
  if (!start) {
    throw new TitanError("the local cluster is not running", {
      hint: "start it with `titan local up` (a `titan deploy` to the local context starts it too)",
    });
  }
  const { ensureLocalCluster } = await import("../local/ensure.js");
  try {
    const local = await ensureLocalCluster(env.paths.stateDir);
    if (local.started)
      writeLine(env.io.err, `Started the local cluster at ${local.url} (stop it with \`titan local down\`).`);
    return [local.url];
  } catch (error) {
    if (error instanceof LocalClusterStartError) throw new TitanError(error.message, { hint: error.hint });
    throw error;
  }
}

/** The credentials of this user's local cluster (from its 0600 secret file), for its own URL only. */
async function localAuth(
  env: Env,
  masters: readonly string[],
  running: boolean,
): Promise<BasicAuth | undefined> {
  const { localClusterAuth } = await import("../local/target-auth.js");
  return localClusterAuth(env, masters, running);
}
