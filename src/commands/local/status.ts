import type { Env } from "../../cli/env.js";
import { TitanError } from "../../cli/errors.js";
import { writeLine } from "../../cli/io.js";
import { renderTable } from "../../cli/table.js";
import { escapeTerminal } from "../../cli/terminal-text.js";
import { clusterOwnership } from "../../local/cluster-identity.js";
import { localPaths } from "../../local/control.js";
import { localClusterAccess } from "../../local/credentials.js";
import type { HttpCredentials } from "../../local/http-guard.js";
import { readClusterState } from "../../local/runner.js";
import type { LocalStatusOptions } from "./command.js";

type Json = Record<string, unknown>;

interface Scalars {
  cpus: number;
  mem: number;
  disk: number;
}

export interface AgentSummary {
  id: string;
  hostname: string;
  attributes: Record<string, string>;
  /** The fault domain's zone, else the `zone` attribute. */
  zone?: string;
  total: Scalars;
  used: Scalars;
  tasks: number;
}

const LIVE_STATES = new Set(["TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_KILLING"]);

function obj(v: unknown): Json {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

function list(v: unknown): Json[] {
  return Array.isArray(v) ? v.map(obj) : [];
}

function scalars(resources: unknown): Scalars {
  const out: Scalars = { cpus: 0, mem: 0, disk: 0 };
  for (const r of list(resources)) {
    const name = r.name;
    if (name === "cpus" || name === "mem" || name === "disk") out[name] += Number(obj(r.scalar).value ?? 0);
  }
  return out;
}

export async function operator(url: string, type: string, auth: HttpCredentials | undefined): Promise<Json> {
  const authorization: Record<string, string> = auth
    ? { Authorization: `Basic ${Buffer.from(`${auth.principal}:${auth.secret}`).toString("base64")}` }
    : {};
  let res: Response;
  try {
    res = await fetch(`${url}/api/v1`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", ...authorization },
      body: JSON.stringify({ type }),
      signal: AbortSignal.timeout(5000),
    });
  } catch (error) {
    throw new TitanError(
      `cannot reach the local cluster at ${url}: ${error instanceof Error ? error.message : String(error)}`,
      {
        hint: "restart it with `titan local down` and `titan local up`",
      },
    );
  }
  if (res.status !== 200)
    throw new TitanError(`the local master answered ${type} with HTTP ${res.status}: ${await res.text()}`);
  return (await res.json()) as Json;
}

/** Agents with their total and used resources and live task counts, from the master's operator API. */
export function summarizeAgents(getAgents: Json, getTasks: Json): AgentSummary[] {
  const tasks = list(obj(getTasks.get_tasks).tasks).filter((t) => LIVE_STATES.has(String(t.state)));
  return list(obj(getAgents.get_agents).agents).map((a) => {
    const info = obj(a.agent_info);
    const id = String(obj(info.id).value ?? "");
    const attributes: Record<string, string> = {};
    for (const attr of list(info.attributes))
      attributes[String(attr.name)] = String(obj(attr.text).value ?? "");
    const zone = obj(obj(obj(info.domain).fault_domain).zone).name ?? attributes.zone;
    return {
      id,
      hostname: String(info.hostname ?? ""),
      attributes,
      ...(zone === undefined ? {} : { zone: String(zone) }),
      total: scalars(a.total_resources),
      used: scalars(a.allocated_resources),
      tasks: tasks.filter((t) => obj(t.agent_id).value === id).length,
    };
  });
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/0+$/, "");
}

export async function runLocalStatus(env: Env, opts: LocalStatusOptions): Promise<number> {
  const paths = localPaths(env.paths.stateDir);
  const state = readClusterState(paths.stateFile);
  if (!state || (await clusterOwnership({ ...state, recordFile: paths.stateFile })) !== "ours") {
    throw new TitanError("the local cluster is not running", { hint: "start it with `titan local up`" });
  }
  const auth = localClusterAccess(paths.stateFile)?.auth;
  const [agents, tasks] = await Promise.all([
    operator(state.url, "GET_AGENTS", auth),
    operator(state.url, "GET_TASKS", auth),
  ]);
  const summary = summarizeAgents(agents, tasks);
  if (opts.json) {
    writeLine(env.io.out, JSON.stringify({ url: state.url, pid: state.pid, agents: summary }));
    return 0;
  }
  writeLine(env.io.out, `master ${escapeTerminal(state.url)} (pid ${state.pid}), ${summary.length} agents`);
  // Hostnames, zones and ids come from the cluster: shown escaped, never as terminal controls.
  const rows = summary.map((a) => [
    escapeTerminal(a.hostname),
    escapeTerminal(a.zone ?? ""),
    `${fmt(a.used.cpus)}/${fmt(a.total.cpus)}`,
    `${fmt(a.used.mem)}/${fmt(a.total.mem)}`,
    `${fmt(a.used.disk)}/${fmt(a.total.disk)}`,
    String(a.tasks),
    escapeTerminal(a.id),
  ]);
  writeLine(env.io.out, renderTable(["AGENT", "ZONE", "CPUS", "MEM (MB)", "DISK (MB)", "TASKS", "ID"], rows));
  return 0;
}
