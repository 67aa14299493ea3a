import { UsageError } from "../cli/errors.js";
import type { PlatformPaths } from "../cli/paths.js";
import { didYouMean } from "../cli/suggest.js";
import { builtinCluster, builtinContext, LOCAL } from "./builtin.js";
import { masterUrlProblem } from "./load.js";
import type { ClusterConfig, ContextConfig, Origin, Target, UserConfig } from "./types.js";

/** What the user asked for on the command line. */
export interface TargetFlags {
  context?: string | undefined;
  master?: string | undefined;
  region?: string | undefined;
  /** `--role` (plan): the Mesos role, over TITAN_ROLE and the cluster's. */
  role?: string | undefined;
}

type Vars = Readonly<Record<string, string | undefined>>;

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

/**
 * A target flag's value, trimmed. A flag given empty is refused rather than ignored: `--master "$PROD_MASTER"`
 * with the variable unset must not act on the current context. (An empty TITAN_* variable counts as unset.)
 */
function flagValue(value: string | undefined, flag: string, example: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === "")
    throw new UsageError(
      `${flag} is empty`,
      `give ${flag} a value (e.g. ${flag} ${example}), or leave it out`,
    );
  return value.trim();
}

const contextFlag = (flags: TargetFlags): string | undefined => flagValue(flags.context, "--context", "prod");
const masterFlag = (flags: TargetFlags): string | undefined =>
  flagValue(flags.master, "--master", "http://10.0.0.5:5050");
export const regionFlag = (flags: TargetFlags): string | undefined =>
  flagValue(flags.region, "--region", "us-east");

/** Clusters and contexts including the built-in `local` ones (a user entry of the same name wins). */
export function allClusters(config: UserConfig, paths: PlatformPaths): Record<string, ClusterConfig> {
  return { [LOCAL]: builtinCluster(paths), ...config.clusters };
}

export function allContexts(config: UserConfig): Record<string, ContextConfig> {
  return { [LOCAL]: builtinContext(), ...config.contexts };
}

/** The context in effect: flag, then TITAN_CONTEXT, then the config's current_context, then `local`. */
export function currentContextName(
  config: UserConfig,
  flags: TargetFlags,
  vars: Vars,
): { name: string; origin: Origin } {
  // The master flag is checked here too: every resolution of a target starts with the context.
  masterFlag(flags);
  const flag = contextFlag(flags);
  if (flag) return { name: flag, origin: "flag" };
  const fromEnv = nonEmpty(vars.TITAN_CONTEXT);
  if (fromEnv) return { name: fromEnv, origin: "environment" };
  if (config.currentContext) return { name: config.currentContext, origin: "config" };
  return { name: LOCAL, origin: "default" };
}

export function parseMasterList(raw: string, origin: string): string[] {
  // A zk:// URL lists the ensemble with commas itself: it is the one master source.
  const masters = (raw.trim().startsWith("zk://") ? [raw] : raw.split(","))
    .map((m) => m.trim())
    .filter((m) => m !== "");
  for (const master of masters) {
    const problem = masterUrlProblem(master);
    if (problem)
      throw new UsageError(
        `${origin}: ${problem}`,
        "give master URLs like http://10.0.0.5:5050, comma-separated",
      );
  }
  if (masters.length === 0)
    throw new UsageError(`${origin} names no master`, "e.g. --master http://10.0.0.5:5050");
  return masters.map((m) => m.replace(/\/$/, ""));
}

/**
 * Resolves the cluster a command talks to. Precedence: flags > TITAN_* environment > config file > defaults.
 * A region maps to its cluster through `regions:`; otherwise the context's cluster serves it.
 */
export function resolveTarget(
  config: UserConfig,
  paths: PlatformPaths,
  flags: TargetFlags,
  vars: Vars,
): Target {
  const contexts = allContexts(config);
  const clusters = allClusters(config, paths);
  const { name, origin } = currentContextName(config, flags, vars);
  const context = contexts[name];
  if (!context) {
    const guess = didYouMean(name, Object.keys(contexts));
    throw new UsageError(
      `context "${name}" is not defined`,
      guess
        ? `did you mean "${guess}"? (titan context list)`
        : "run `titan context list` to see the contexts",
    );
  }
  const region = regionFlag(flags) ?? nonEmpty(vars.TITAN_REGION) ?? context.region;
  let clusterName: string | undefined;
  if (region !== undefined && config.regions[region] !== undefined) clusterName = config.regions[region];
  else if (context.cluster !== undefined) clusterName = context.cluster;
  else if (context.region !== undefined) clusterName = config.regions[context.region];
  if (clusterName === undefined && region === undefined && context.regions !== undefined) {
    throw new UsageError(
      `context "${name}" spans regions ${context.regions.join(", ")}: this command acts on one`,
      `pass --region with one of: ${context.regions.join(", ")}`,
    );
  }
  if (clusterName === undefined) {
    throw new UsageError(
      `region "${region ?? "?"}" is not mapped to a cluster in context "${name}"`,
      `run \`titan config set-region ${region ?? "REGION"} --cluster NAME\``,
    );
  }
  const cluster = clusters[clusterName];
  if (!cluster)
    throw new UsageError(`cluster "${clusterName}" is not defined`, "run `titan config set-cluster`");

  let masters = cluster.masters;
  let mastersOrigin: Origin = cluster.builtin ? "default" : "config";
  const fromFlag = masterFlag(flags);
  const masterEnv = nonEmpty(vars.TITAN_MASTER);
  if (fromFlag) {
    masters = parseMasterList(fromFlag, "--master");
    mastersOrigin = "flag";
  } else if (masterEnv) {
    masters = parseMasterList(masterEnv, "TITAN_MASTER");
    mastersOrigin = "environment";
  }
  return {
    context: name,
    contextOrigin: origin,
    cluster,
    masters,
    mastersOrigin,
    region: region || undefined,
  };
}

/**
 * The regions a command without a manifest (ps, logs, status) spans: the one --region (or TITAN_REGION) names,
 * else the context's `regions:`; empty when the context is one cluster.
 */
export function spannedRegions(config: UserConfig, flags: TargetFlags, vars: Vars): string[] {
  const region = regionFlag(flags) ?? nonEmpty(vars.TITAN_REGION);
  if (region !== undefined) return [];
  const { name } = currentContextName(config, flags, vars);
  return [...(allContexts(config)[name]?.regions ?? [])];
}
