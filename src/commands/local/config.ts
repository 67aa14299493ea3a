import { resolve } from "node:path";
import { atMost, MAX_WAIT_FLAG_MS } from "../../cli/duration-flag.js";
import { UsageError } from "../../cli/errors.js";
import { escapeTerminal, hasTerminalControl } from "../../cli/terminal-text.js";
import { withAgentDefaults } from "../../local/agent-defaults.js";
import type { LocalPaths } from "../../local/control.js";
import {
  type CredentialSource,
  DEFAULT_PRINCIPAL,
  parseAuthFlag,
  readSecretFile,
} from "../../local/credentials.js";
import { givenResourceNames, parseAgentResourcesFlag } from "../../local/resource-json-spec.js";
import type { ClusterConfig } from "../../local/runner.js";
import { parseDuration } from "../../manifest/units.js";
import { parseZkUrl } from "../../state/zk-url.js";
import type { LocalUpOptions } from "./command.js";

/** Turns `titan local up` flags into the cluster's configuration, or a usage error naming the bad flag. */
export function clusterConfig(opts: LocalUpOptions, paths: LocalPaths, cwd = paths.dir): ClusterConfig {
  const agents = wholeNumber(opts.agents);
  if (agents === undefined || agents < 1 || agents > 100) {
    throw new UsageError(
      `--agents must be a whole number from 1 to 100, got '${opts.agents}'`,
      "e.g. --agents 3; `titan local agents add` adds more to a running cluster",
    );
  }
  const port = wholeNumber(opts.port);
  if (port === undefined || port > 65535) {
    throw new UsageError(
      `--port must be a port number (0-65535), got '${opts.port}'`,
      "e.g. --port 5051, or --port 0 to pick a free one",
    );
  }
  const resources = parseAgentResourcesFlag(opts.agentResources);
  if (!resources.ok) {
    const example = opts.agentResources.trim().startsWith("[")
      ? `'[{"name":"cpus","type":"SCALAR","scalar":{"value":4}}, …]'`
      : '"cpus:4;mem:8192;disk:20000;ports:[31000-32000]"';
    throw new UsageError(`--agent-resources: ${resources.error}`, `write it as Mesos does, e.g. ${example}`);
  }
  // As a real agent, one that is not told some resources probes the host for them.
  const r = withAgentDefaults(resources.resources, givenResourceNames(opts.agentResources), paths.workDir);
  if (r.cpus <= 0 || r.mem <= 0) throw new UsageError("--agent-resources needs cpus and mem greater than 0");
  const portCount = r.ports.reduce((n, range) => n + range.end - range.begin + 1, 0);
  if (portCount > 0 && portCount < agents) {
    throw new UsageError(`--agent-resources: ${portCount} ports cannot be split between ${agents} agents`);
  }
  const zones = opts.zones
    .split(",")
    .map((z) => z.trim())
    .filter((z) => z !== "");
  if (zones.length === 0)
    throw new UsageError(
      "--zones needs at least one zone name",
      "e.g. --zones a,b,c (agents are spread over them)",
    );
  const controlled = zones.find(hasTerminalControl);
  if (controlled !== undefined)
    throw new UsageError(
      `--zones: zone "${escapeTerminal(controlled)}" holds a control character`,
      "e.g. --zones a,b,c (agents are spread over them)",
    );
  const region = opts.faultDomain?.trim();
  if (region === "")
    throw new UsageError("--fault-domain needs a region name", "e.g. --fault-domain us-east-1");
  if (region !== undefined && hasTerminalControl(region))
    throw new UsageError(
      `--fault-domain holds a control character: "${escapeTerminal(region)}"`,
      "e.g. --fault-domain us-east-1",
    );
  if (opts.zk !== undefined) parseZkUrl(opts.zk, "--zk");
  const offerTimeoutMs = positiveDuration(
    opts.offerTimeout,
    "--offer-timeout",
    "e.g. --offer-timeout 30s; leave it out to never rescind offers, as a Mesos master started without --offer_timeout",
  );
  const registrationTimeoutMs = positiveDuration(
    opts.executorRegistrationTimeout,
    "--executor-registration-timeout",
    "e.g. --executor-registration-timeout 5m; leave it out for 1 minute, as a Mesos agent",
  );
  return {
    ...(opts.zk === undefined ? {} : { zk: opts.zk }),
    auth: authSource(opts.auth, paths, cwd),
    agents,
    agentResources: r,
    zones,
    ...(region === undefined ? {} : { region }),
    port,
    workDir: paths.workDir,
    stateFile: paths.stateFile,
    // master/flags.cpp: a master rescinds no offer unless started with --offer_timeout.
    master: offerTimeoutMs === undefined ? {} : { offerTimeoutMs },
    ...(registrationTimeoutMs === undefined ? {} : { executorRegistrationTimeoutMs: registrationTimeoutMs }),
  };
}

/** A duration flag above zero, or undefined when it is not given. */
function positiveDuration(flag: string | undefined, name: string, hint: string): number | undefined {
  if (flag === undefined) return undefined;
  const parsed = parseDuration(flag);
  if (!parsed.ok || parsed.value <= 0)
    throw new UsageError(`${name} must be a duration above zero, got '${flag}'`, hint);
  return atMost(parsed.value, MAX_WAIT_FLAG_MS, `${name} ${JSON.stringify(flag)}`, hint);
}

/** Digits only: Number() would read "" and " " as 0 and "1e3" as 1000. */
function wholeNumber(text: string): number | undefined {
  return /^\d{1,9}$/.test(text.trim()) ? Number(text.trim()) : undefined;
}

/** `--auth principal:secretfile`, checked now so a bad flag never starts a cluster; default: a generated secret. */
function authSource(flag: string | undefined, paths: LocalPaths, cwd: string): CredentialSource {
  if (flag === undefined) return { principal: DEFAULT_PRINCIPAL, secretFile: paths.secretFile };
  const source = parseAuthFlag(flag);
  if (source === undefined) {
    throw new UsageError(
      "--auth must be principal:secretfile",
      "e.g. --auth ops:./ops.secret (the file's first line is the secret)",
    );
  }
  const secretFile = resolve(cwd, source.secretFile);
  let secret: string;
  try {
    secret = readSecretFile(secretFile);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : "");
    throw new UsageError(
      `--auth: cannot read the secret file ${secretFile} (${reason})`,
      "write the secret on its first line",
    );
  }
  // A Mesos master splits the decoded `principal:secret` at every colon and refuses anything but two parts.
  if (secret.includes(":")) {
    throw new UsageError(
      `--auth: the secret in ${secretFile} contains ':', which Mesos' HTTP Basic authentication never accepts`,
      "choose a secret without ':'",
    );
  }
  return { principal: source.principal, secretFile };
}
