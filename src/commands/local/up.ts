import { mkdirSync } from "node:fs";
import type { Env } from "../../cli/env.js";
import { TitanError } from "../../cli/errors.js";
import { writeLine } from "../../cli/io.js";
import { detectImageSupport } from "../../local/agent/container-runc.js";
import { LocalClusterStartError, runningCluster, startBackgroundCluster } from "../../local/background.js";
import { localPaths } from "../../local/control.js";
import { writeGeneratedSecret } from "../../local/credentials.js";
import { freePortBlock, portIsFree, portsInUse } from "../../local/host-ports.js";
import { givenResourceNames } from "../../local/resource-json-spec.js";
import { formatRanges } from "../../local/resources.js";
import type { ClusterConfig } from "../../local/runner.js";
import { runCluster } from "../../local/runner.js";
import { DEFAULT_AGENT_RESOURCES, type LocalUpOptions } from "./command.js";
import { clusterConfig } from "./config.js";

export async function runLocalUp(env: Env, opts: LocalUpOptions): Promise<number> {
  const paths = localPaths(env.paths.stateDir);
  const config = clusterConfig(opts, paths, env.cwd);
  const existing = await runningCluster(paths);
  if (existing) {
    throw new TitanError(`the local cluster is already running at ${existing.url}`, {
      hint: "stop it with `titan local down`, or use it as it is",
    });
  }
  if (config.port !== 0 && !(await portIsFree(config.port))) {
    throw new TitanError(`port ${config.port} on 127.0.0.1 is already in use`, {
      hint: "pick another with --port (0 picks a free one), or stop what listens there",
    });
  }
  const dim = env.io.errColor.dim;
  warnWithoutImages(env);
  const explicitPorts =
    opts.agentResources !== DEFAULT_AGENT_RESOURCES && givenResourceNames(opts.agentResources).has("ports");
  const moved = await agentPorts(config, explicitPorts);
  if (moved) writeLine(env.io.err, dim(moved));
  if (config.auth?.secretFile === paths.secretFile) writeGeneratedSecret(paths.secretFile);

  if (opts.foreground) {
    mkdirSync(paths.dir, { recursive: true, mode: 0o711 });
    await runCluster(config, env.signal, (cluster) => {
      writeLine(env.io.out, cluster.url);
      writeLine(env.io.err, dim(`local cluster up: ${config.agents} agents; press Ctrl-C to stop`));
    });
    writeLine(env.io.err, dim("local cluster stopped"));
    return 0;
  }

  writeLine(env.io.err, dim(`starting the local cluster (${config.agents} agents)...`));
  try {
    const state = await startBackgroundCluster(paths, config);
    writeLine(env.io.out, state.url);
    writeLine(
      env.io.err,
      dim(`local cluster up (pid ${state.pid}); log: ${paths.logFile}; stop it with \`titan local down\``),
    );
    return 0;
  } catch (error) {
    if (error instanceof LocalClusterStartError) throw new TitanError(error.message, { hint: error.hint });
    throw error;
  }
}

/** Said once, at start: image tasks need runc and root; command tasks run either way. */
function warnWithoutImages(env: Env): void {
  const support = detectImageSupport(env.vars.PATH, process.getuid?.());
  if (support.missing === undefined) return;
  writeLine(
    env.io.err,
    `${env.io.errColor.yellow("warning:")} ${support.missing}; image tasks will fail (command tasks run as usual). Install runc (apt-get install runc) and start titan local as root to run images.`,
  );
}

const DEFAULT_MASTER_PORT = 5050;

/**
 * The agents' host ports. A range given with --agent-resources is used as it is, or refused when something listens
 * in it. The default range moves to a free block when something listens in it, or when another cluster holds 5050
 * (its agents hand out the same default range). Returns what to tell the user when it moved.
 */
export async function agentPorts(config: ClusterConfig, explicit: boolean): Promise<string | undefined> {
  const ranges = config.agentResources.ports;
  if (ranges.length === 0) return undefined;
  const busy = await portsInUse(ranges);
  if (explicit) {
    if (busy.length === 0) return undefined;
    throw new TitanError(
      `host port${busy.length === 1 ? "" : "s"} ${busy.join(", ")} of the agents' range ${formatRanges(ranges)} ${busy.length === 1 ? "is" : "are"} in use on 127.0.0.1`,
      {
        hint: 'stop what listens there, or give the agents another range, e.g. --agent-resources "cpus:4;mem:8192;disk:20000;ports:[21000-22000]"',
      },
    );
  }
  const otherCluster = config.port !== DEFAULT_MASTER_PORT && !(await portIsFree(DEFAULT_MASTER_PORT));
  if (busy.length === 0 && !otherCluster) return undefined;
  const count = ranges.reduce((n, r) => n + r.end - r.begin + 1, 0);
  const block = await freePortBlock(count, ranges);
  if (block === undefined) {
    throw new TitanError(`no block of ${count} free host ports found for the agents`, {
      hint: 'give them a smaller range, e.g. --agent-resources "cpus:4;mem:8192;disk:20000;ports:[21000-21100]"',
    });
  }
  config.agentResources = { ...config.agentResources, ports: [block] };
  const why =
    busy.length > 0 ? `port ${busy[0]} is in use` : `another cluster holds port ${DEFAULT_MASTER_PORT}`;
  return `agents use host ports ${formatRanges([block])} (${why}, so the default range is left to it)`;
}
