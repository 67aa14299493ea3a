/** The user config (a kubeconfig for Mesos clusters) in its validated form. */

/** A secret named by reference: `env:NAME` or `file:/path`. Resolved only when it is needed, never printed. */
export interface SecretRef {
  source: "env" | "file";
  ref: string;
  /** The reference as written, safe to print. */
  raw: string;
}

export interface ClusterAuth {
  principal: string;
  secret: SecretRef;
}

/**
 * The task user when neither the app nor the cluster names one: it exists on every Unix machine and owns nothing,
 * so a task gets least privilege (never the deployer's login name, which agents usually do not have).
 */
export const DEFAULT_TASK_USER = "nobody";

export interface ClusterConfig {
  name: string;
  /** Master URLs (several for HA); the client finds the leader. */
  masters: readonly string[];
  auth?: ClusterAuth;
  caFile?: string;
  /** Where titan keeps framework ids, releases and locks (`file://…`). */
  state?: string;
  /** Default Docker registry for image references without a host (`host[:port]` or `http(s)://host[:port]`). */
  registry?: string;
  /** Credentials titan sends to `registry` only. */
  registryAuth?: { username: string; password: SecretRef };
  /** Which containerizer the agents run images with: `mesos` (default; host network) or `docker` (bridge). */
  containerizer?: "mesos" | "docker";
  /**
   * How `mesos:` env references reach tasks: `mesos` sends them as Mesos REFERENCE secrets (the agents run a secret
   * resolver module); `none` (the default) means the agents have no resolver and such references are refused.
   */
  secrets?: "mesos" | "none";
  /** The Mesos role titan's frameworks use. */
  role: string;
  /** The Unix user tasks run as (FrameworkInfo.user) unless an app names one; unset: `nobody`. */
  user?: string;
  /** Provided by titan itself (the `local` cluster). */
  builtin: boolean;
}

export interface ContextConfig {
  name: string;
  cluster?: string;
  region?: string;
  /** The regions the context spans (each mapped to its cluster under `regions:`): ps, logs and status span them. */
  regions?: readonly string[];
  builtin: boolean;
}

export interface UserConfig {
  /** The file it came from (may not exist yet). */
  file: string;
  currentContext?: string;
  clusters: Readonly<Record<string, ClusterConfig>>;
  /** Region name -> cluster name. */
  regions: Readonly<Record<string, string>>;
  contexts: Readonly<Record<string, ContextConfig>>;
}

/** Where a value came from, for `titan context show` and for messages. */
export type Origin = "flag" | "environment" | "config" | "default";

/** The cluster a command talks to, after flags, environment and config have been applied. */
export interface Target {
  context: string;
  contextOrigin: Origin;
  cluster: ClusterConfig;
  masters: readonly string[];
  mastersOrigin: Origin;
  region?: string;
}
