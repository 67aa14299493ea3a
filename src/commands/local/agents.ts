import type { Env } from "../../cli/env.js";
import { TitanError, UsageError } from "../../cli/errors.js";
import { writeLine } from "../../cli/io.js";
import { renderTable } from "../../cli/table.js";
import { escapeTerminal, hasTerminalControl } from "../../cli/terminal-text.js";
import { runningCluster } from "../../local/background.js";
import {
  type AgentsControl,
  agentsControl,
  type ControlAgent,
  ControlRefusedError,
  localPaths,
} from "../../local/control.js";
import { localClusterAccess } from "../../local/credentials.js";
import type { HttpCredentials } from "../../local/http-guard.js";
import { diskSourceText } from "../../local/pools.js";
import { formatRanges } from "../../local/resources.js";
import { parseShape } from "../../placement/shapes.js";
import type { LocalAgentsAddOptions, LocalAgentsOptions } from "./command.js";
import { operator } from "./status.js";

/** `titan local agents [add|remove]`: the running local cluster's agents, changed while it runs. */

interface Connected {
  url: string;
  control: AgentsControl;
  auth: HttpCredentials | undefined;
}

async function connect(env: Env): Promise<Connected> {
  const paths = localPaths(env.paths.stateDir);
  const state = await runningCluster(paths);
  if (!state)
    throw new TitanError("the local cluster is not running", { hint: "start it with `titan local up`" });
  const auth = localClusterAccess(paths.stateFile)?.auth;
  return { url: state.url, control: agentsControl(state.url, auth), auth };
}

async function refusedAsError<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ControlRefusedError)
      throw new TitanError(`${what}: ${error.message}`, {
        hint: "`titan local agents` lists the agents and `titan local status` what runs on them",
      });
    if (error instanceof TitanError) throw error;
    throw new TitanError(`${what}: ${error instanceof Error ? error.message : String(error)}`, {
      hint: "check the cluster with `titan local status`; restart it with `titan local down` and `titan local up`",
    });
  }
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/0+$/, "");
}

/** Plain disk, then each disk with a source: `100 +100000 MOUNT:/mnt/data0`. */
function diskCell(resources: ControlAgent["resources"]): string {
  const sourced = (resources.disks ?? []).map((d) => `+${fmt(d.size)} ${diskSourceText(d.source)}`);
  return [fmt(resources.disk), ...sourced].join(" ");
}

/** The agents as a table; a REGION column when they have fault domains. */
function table(agents: readonly ControlAgent[], draining: ReadonlySet<string>): string {
  const regions = agents.some((a) => a.region !== undefined);
  // Every text comes from the cluster: a zone an agent was given could hold terminal controls.
  const rows = agents.map((a) =>
    [
      a.agent_id,
      a.hostname,
      ...(regions ? [a.region ?? ""] : []),
      a.zone ?? a.attributes.zone ?? "",
      fmt(a.resources.cpus),
      fmt(a.resources.mem),
      diskCell(a.resources),
      formatRanges(a.resources.ports),
      draining.has(a.hostname.toLowerCase()) ? "draining" : a.state,
    ].map(escapeTerminal),
  );
  const headers = ["ID", "HOSTNAME", ...(regions ? ["REGION"] : []), "ZONE"];
  return renderTable([...headers, "CPUS", "MEM (MB)", "DISK (MB)", "PORTS", "STATE"], rows);
}

/** Hostnames of machines in DRAINING mode (GET_MAINTENANCE_STATUS); DOWN machines' agents are gone. */
async function drainingHosts(c: Connected): Promise<Set<string>> {
  const answer = await operator(c.url, "GET_MAINTENANCE_STATUS", c.auth);
  const status = (answer.get_maintenance_status as { status?: { draining_machines?: unknown[] } } | undefined)
    ?.status;
  const hosts = new Set<string>();
  for (const m of status?.draining_machines ?? []) {
    const host = (m as { id?: { hostname?: unknown } }).id?.hostname;
    if (typeof host === "string") hosts.add(host.toLowerCase());
  }
  return hosts;
}

export async function runLocalAgents(env: Env, opts: LocalAgentsOptions): Promise<number> {
  const c = await connect(env);
  const agents = await refusedAsError("cannot list the agents", () => c.control.list());
  const live = agents.filter((a) => a.state !== "gone");
  if (opts.json) {
    writeLine(env.io.out, JSON.stringify({ url: c.url, agents: live }));
    return 0;
  }
  writeLine(env.io.out, table(live, await drainingHosts(c)));
  return 0;
}

/** `--shape 16cpu,64Gi[,disk=…][,gpus=…][,key=value]`, read as `titan plan --shape` reads it. */
function shapeOf(text: string): {
  resources: { cpus: number; mem: number; disk: number; gpus: number };
  attributes: Record<string, string>;
} {
  let shape: ReturnType<typeof parseShape>;
  try {
    shape = parseShape(text);
  } catch (error) {
    throw new UsageError(
      `--shape: ${error instanceof Error ? error.message : String(error)}`,
      "e.g. --shape 16cpu,64Gi or --shape 8cpu,32Gi,disk=200Gi",
    );
  }
  const choices = shape.choices ?? {};
  const choice = Object.keys(choices)[0];
  if (choice !== undefined) {
    throw new UsageError(
      `--shape: '${choice}' offers a choice of values; an agent has one`,
      `pick one value, e.g. ${choice}=${choices[choice]?.[0] ?? "…"}`,
    );
  }
  for (const [key, value] of Object.entries(shape.attributes)) {
    refuseControls("--shape: attribute name", key, "e.g. --shape 8cpu,32Gi,zone=b");
    refuseControls(`--shape: attribute ${escapeTerminal(key)}`, value, "e.g. --shape 8cpu,32Gi,zone=b");
  }
  const { cpus, mem, disk, gpus } = shape.total;
  return { resources: { cpus, mem, disk, gpus }, attributes: { ...shape.attributes } };
}

export async function runLocalAgentsAdd(
  env: Env,
  opts: LocalAgentsAddOptions,
  countText: string,
): Promise<number> {
  const count = Number(countText);
  if (!Number.isInteger(count) || count < 1 || count > 100) {
    throw new UsageError(
      `the number of agents must be a whole number from 1 to 100, got '${countText}'`,
      "e.g. titan local agents add 2 --shape 16cpu,64Gi",
    );
  }
  const shape = opts.shape === undefined ? undefined : shapeOf(opts.shape);
  const zoneFlag = nameFlag("--zone", opts.zone, "--zone b");
  const faultDomain = nameFlag("--fault-domain", opts.faultDomain, "--fault-domain eu-west");
  const c = await connect(env);
  if (faultDomain !== undefined) await needFaultDomain(c, faultDomain);
  const resources = shape?.resources ?? (await defaultShape(c));
  const zone = zoneFlag ?? shape?.attributes.zone;
  const attributes = { ...shape?.attributes };
  delete attributes.zone;
  const added = await refusedAsError("cannot add agents", () =>
    c.control.add({
      count,
      resources,
      ...(zone === undefined ? {} : { zone }),
      ...(faultDomain === undefined ? {} : { region: faultDomain }),
      attributes,
    }),
  );
  if (opts.json) {
    writeLine(env.io.out, JSON.stringify({ url: c.url, added }));
    return 0;
  }
  writeLine(env.io.out, table(added, new Set()));
  writeLine(env.io.err, env.io.errColor.dim(`added ${added.length} agent${added.length === 1 ? "" : "s"}`));
  return 0;
}

/** A flag naming a zone or region: a name, not an empty or blank text, nor one holding terminal controls. */
function nameFlag(flag: string, value: string | undefined, example: string): string | undefined {
  if (value === undefined) return value;
  if (value.trim() === "")
    throw new UsageError(
      `${flag} needs a name, got ${JSON.stringify(value)}`,
      `e.g. ${example}, or leave ${flag} out`,
    );
  refuseControls(flag, value, `e.g. ${example}`);
  return value;
}

/** Names and attributes are shown in tables and written to the cluster's agents: no terminal controls in them. */
function refuseControls(what: string, value: string, hint: string): void {
  if (hasTerminalControl(value))
    throw new UsageError(`${what} holds a control character: "${escapeTerminal(value)}"`, hint);
}

/** Agents in a fault-domain region join only a master that has a fault domain itself (as Mesos' masters do). */
async function needFaultDomain(c: Connected, region: string): Promise<void> {
  const answer = await operator(c.url, "GET_MASTER", c.auth);
  const info = (answer.get_master as { master_info?: { domain?: unknown } } | undefined)?.master_info;
  if (info?.domain !== undefined) return;
  throw new UsageError(
    `--fault-domain ${region}: the local cluster was started without a fault domain`,
    "leave --fault-domain out, or restart the cluster with `titan local down` and `titan local up --fault-domain REGION`",
  );
}

/** Without --shape, new agents are shaped like the cluster's first agent. */
async function defaultShape(
  c: Connected,
): Promise<{ cpus: number; mem: number; disk: number; gpus: number }> {
  const first = (await refusedAsError("cannot list the agents", () => c.control.list()))[0];
  if (!first) throw new UsageError("the cluster has no agent to copy the shape of", "pass --shape 4cpu,8Gi");
  const { cpus, mem, disk, gpus } = first.resources;
  return { cpus, mem, disk, gpus };
}

export async function runLocalAgentsRemove(
  env: Env,
  opts: LocalAgentsOptions,
  names: string[],
): Promise<number> {
  const c = await connect(env);
  const agents = (await refusedAsError("cannot list the agents", () => c.control.list())).filter(
    (a) => a.state !== "gone",
  );
  const named = names.map((name) => {
    const agent = agents.find((a) => a.agent_id === name || a.hostname.toLowerCase() === name.toLowerCase());
    if (!agent) {
      throw new UsageError(
        `no agent '${name}' in the local cluster`,
        "`titan local agents` lists them (an ID or a HOSTNAME)",
      );
    }
    return agent.agent_id;
  });
  // An agent named twice, or by its id and its hostname, is removed once.
  const ids = [...new Set(named)];
  await refusedAsError("cannot remove agents", () => c.control.remove(ids));
  if (opts.json) {
    writeLine(env.io.out, JSON.stringify({ url: c.url, removed: ids }));
    return 0;
  }
  for (const id of ids) writeLine(env.io.out, `removed ${escapeTerminal(id)}`);
  return 0;
}
