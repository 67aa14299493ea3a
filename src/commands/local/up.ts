import { mkdirSync } from "node:fs";
import type { Env } from "../../cli/env.js";
import { TitanError } from "../../cli/errors.js";
import { writeLine } from "../../cli/io.js";
import { detectImageSupport } from "../../local/agent/container-runc.js";
import { agentPorts } from "../../local/agent-ports.js";
import { LocalClusterStartError, runningCluster, startBackgroundCluster } from "../../local/background.js";
import { localPaths } from "../../local/control.js";
import { writeGeneratedSecret } from "../../local/credentials.js";
import { portIsFree } from "../../local/host-ports.js";
import { releasePorts } from "../../local/port-claims.js";
import { givenResourceNames } from "../../local/resource-json-spec.js";
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
    const state = await startBackgroundCluster(paths, config).finally(() => releasePorts());
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
