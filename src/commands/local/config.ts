import { UsageError } from "../../cli/errors.js";
import type { LocalPaths } from "../../local/control.js";
import { parseResourceSpec } from "../../local/resources.js";
import type { ClusterConfig } from "../../local/runner.js";
import { parseZkUrl } from "../../state/zk-url.js";
import type { LocalUpOptions } from "./command.js";

const OFFER_TIMEOUT_MS = 30_000;

/** Turns `titan local up` flags into the cluster's configuration, or a usage error naming the bad flag. */
export function clusterConfig(opts: LocalUpOptions, paths: LocalPaths): ClusterConfig {
  const agents = Number(opts.agents);
  if (!Number.isInteger(agents) || agents < 1 || agents > 100) {
    throw new UsageError(`--agents must be a whole number from 1 to 100, got '${opts.agents}'`);
  }
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port must be a port number (0-65535), got '${opts.port}'`);
  }
  const resources = parseResourceSpec(opts.agentResources);
  if (!resources.ok) {
    throw new UsageError(
      `--agent-resources: ${resources.error}`,
      'write it as Mesos does, e.g. "cpus:4;mem:8192;disk:20000;ports:[31000-32000]"',
    );
  }
  const r = resources.resources;
  if (r.cpus <= 0 || r.mem <= 0) throw new UsageError("--agent-resources needs cpus and mem greater than 0");
  const portCount = r.ports.reduce((n, range) => n + range.end - range.begin + 1, 0);
  if (portCount > 0 && portCount < agents) {
    throw new UsageError(`--agent-resources: ${portCount} ports cannot be split between ${agents} agents`);
  }
  const zones = opts.zones
    .split(",")
    .map((z) => z.trim())
    .filter((z) => z !== "");
  if (zones.length === 0) throw new UsageError("--zones needs at least one zone name");
  if (opts.zk !== undefined) parseZkUrl(opts.zk, "--zk");
  return {
    ...(opts.zk === undefined ? {} : { zk: opts.zk }),
    agents,
    agentResources: r,
    zones,
    port,
    workDir: paths.workDir,
    stateFile: paths.stateFile,
    // As a master started with --offer_timeout=30secs: offers a client forgets come back to the pool.
    master: { offerTimeoutMs: OFFER_TIMEOUT_MS },
  };
}
