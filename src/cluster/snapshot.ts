import { TitanError } from "../cli/errors.js";
import { ExitCode } from "../cli/exit-codes.js";
import { parseMesosJson } from "../mesos/json.js";
import type { QuotaStatus } from "../mesos/types/operator.js";
import { buildSnapshot, type TaskRecord } from "./build.js";
import { markRemoteAgents } from "./fault-domain.js";
import { describeJson, Node, ShapeError } from "./json-reader.js";
import { faultDomainRegion, readMasterState } from "./legacy.js";
import { readGetState } from "./operator.js";
import { quotaOfState } from "./quota.js";
import { type AgentRecord, DIMENSIONS, type ResourceBag } from "./resources.js";
import type { ClusterSnapshot, SnapshotFormat, SnapshotOptions } from "./types.js";

const HOW_TO_TAKE =
  'take one with `curl -s http://MASTER:5050/master/state` or POST {"type":"GET_STATE"} to http://MASTER:5050/api/v1';

/** A snapshot that cannot be used. Exit 2: the user passed a file that must be replaced before re-running. */
export class InvalidSnapshotError extends TitanError {
  constructor(message: string, hint: string = HOW_TO_TAKE) {
    super(message, { exitCode: ExitCode.Usage, hint });
  }
}

/**
 * Which real format a parsed document is in, or undefined when it is neither: the member that holds a format's
 * agents says which, whatever its value (a value of the wrong type is then named by its path).
 */
export function detectFormat(document: unknown): SnapshotFormat | undefined {
  const root = new Node(document);
  if (!root.isObject()) return undefined;
  if (root.get("type").value === "GET_STATE" || root.get("get_state").value !== undefined)
    return "operator-get-state";
  if (root.get("slaves").value !== undefined) return "master-state";
  return undefined;
}

/**
 * The members every reader of a format goes through, checked for their type: the readers take an absent list or
 * object as empty, so one of the wrong type would otherwise read as a cluster without agents.
 */
function checkOutline(root: Node, format: SnapshotFormat): void {
  if (format === "master-state") {
    const slaves = root.get("slaves");
    if (!Array.isArray(slaves.value)) throw new ShapeError(slaves.path, "an array", slaves.value);
    return;
  }
  const state = root.get("get_state").object();
  for (const member of ["get_agents", "get_tasks", "get_frameworks"]) {
    const node = state.get(member);
    if (node.isPresent()) node.object();
  }
}

/**
 * Parses a cluster snapshot in either real Mesos format: the master's `GET /master/state` JSON or the v1 operator
 * API's `GET_STATE` response. `name` is how the snapshot is referred to in messages.
 */
export function parseSnapshot(text: string, name: string, options: SnapshotOptions): ClusterSnapshot {
  const document = parseJson(text, name);
  const format = detectFormat(document);
  if (!format)
    throw new InvalidSnapshotError(`${name} is JSON but not a Mesos cluster snapshot: ${whatItIs(document)}`);
  const root = new Node(document);
  try {
    checkOutline(root, format);
    if (options.quota !== undefined && format === "master-state")
      throw new InvalidSnapshotError(
        `--quota needs a GET_STATE snapshot: ${name} is /master/state, which does not say to which role each agent's resources are allocated`,
        'take the snapshot with POST {"type":"GET_STATE"} to http://MASTER:5050/api/v1',
      );
    const { agents, tasks } = format === "master-state" ? readMasterState(root) : readGetState(root);
    checkAgents(agents, agentsNode(root, format));
    // Only /master/state says the master's own domain.
    if (format === "master-state") markRemoteAgents(agents, faultDomainRegion(root.get("domain")));
    const built = buildSnapshot(format, agents, tasks, options.role);
    const snapshot =
      options.quota === undefined
        ? built
        : withQuota(built, root, options.quota, options.role, { agents, tasks });
    const regions = [...new Set(agents.flatMap((a) => a.faultDomainRegion ?? []))].sort();
    if (format === "master-state" || regions.length < 2) return snapshot;
    return {
      ...snapshot,
      warnings: [
        ...snapshot.warnings,
        `the agents' fault domains span regions ${regions.join(", ")}, and a GET_STATE snapshot does not say which is the master's: agents of the others, which the master does not offer titan, are counted too (a /master/state snapshot, or a live plan, leaves them out)`,
      ],
    };
  } catch (error) {
    if (error instanceof ShapeError || error instanceof AgentProblem) {
      throw new InvalidSnapshotError(
        `${name} is not a valid ${formatName(format)} snapshot: ${error.message}`,
      );
    }
    throw error;
  }
}

/** An agent no master would report: a negative resource, or an id another agent has. */
class AgentProblem extends Error {}

function agentsNode(root: Node, format: SnapshotFormat): Node {
  return format === "master-state"
    ? root.get("slaves")
    : root.get("get_state").get("get_agents").get("agents");
}

/**
 * What the readers take as read but a master never writes (Mesos validates every resource as non-negative, and an
 * agent id is the key of its registry): an edited or merged file, whose totals would not add up.
 */
function checkAgents(agents: readonly AgentRecord[], list: Node): void {
  const seen = new Map<string, number>();
  agents.forEach((agent, index) => {
    const at = () => new Node(undefined, list, index).path;
    const first = seen.get(agent.id);
    if (first !== undefined) {
      const host = agents[first]?.hostname ?? "";
      throw new AgentProblem(
        `agent ${agent.id} is listed twice, at ${new Node(undefined, list, first).path} (${host}) and ${at()} (${agent.hostname})`,
      );
    }
    seen.set(agent.id, index);
    const bags: Array<[string, ResourceBag | undefined]> = [
      ["has", agent.total],
      ["uses", agent.used],
      ...[...agent.reserved].map(([role, bag]): [string, ResourceBag] => [`reserves for ${role}`, bag]),
    ];
    for (const [verb, bag] of bags) {
      for (const dimension of DIMENSIONS) {
        const amount = bag?.scalars[dimension] ?? 0;
        if (amount < 0)
          throw new AgentProblem(
            `agent ${agent.id} (${agent.hostname}) at ${at()} ${verb} ${amount} ${dimension}; a Mesos master never reports a negative resource`,
          );
      }
    }
  });
}

/** The snapshot with what the given quota lets titan's role have, as a live plan reads it (live-source.ts). */
function withQuota(
  snapshot: ClusterSnapshot,
  root: Node,
  status: QuotaStatus,
  role: string,
  state: { agents: readonly AgentRecord[]; tasks: readonly TaskRecord[] },
): ClusterSnapshot {
  const rawAgents = root.get("get_state").get("get_agents").get("agents").itemValues();
  const quota = quotaOfState(status, role, { rawAgents, ...state });
  return quota === undefined ? snapshot : { ...snapshot, quota };
}

export function formatName(format: SnapshotFormat): string {
  return format === "master-state" ? "/master/state" : "GET_STATE";
}

/**
 * The text without the byte order mark some editors and Windows tools put before UTF-8: no part of the JSON document
 * (a manifest's is read past too).
 */
export function withoutByteOrderMark(text: string): string {
  return text.startsWith("\ufeff") ? text.slice(1) : text;
}

function parseJson(file: string, name: string): unknown {
  const text = withoutByteOrderMark(file);
  const start = text.trimStart();
  if (start === "") throw new InvalidSnapshotError(`${name} is empty`);
  if (start.startsWith("<")) {
    throw new InvalidSnapshotError(
      `${name} is HTML or XML, not a JSON cluster snapshot (a login page or the master's web UI?)`,
    );
  }
  try {
    return parseMesosJson(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    const position = /at position (\d+)/.exec(detail)?.[1];
    const truncated =
      /end of (JSON )?input|Unterminated/i.test(detail) ||
      (position !== undefined && Number(position) >= text.trimEnd().length);
    throw new InvalidSnapshotError(
      `${name} is not valid JSON${truncated ? " (it looks cut off)" : ""}: ${detail}`,
      truncated ? `the file is incomplete; ${HOW_TO_TAKE}` : HOW_TO_TAKE,
    );
  }
}

function whatItIs(document: unknown): string {
  const root = new Node(document);
  if (!root.isObject()) return `the document is ${describeJson(document)}`;
  if (root.has("frameworks") && root.has("id") && !root.has("slaves")) {
    return "it looks like an agent's /state; take /master/state from the leading master";
  }
  if (typeof root.get("type").value === "string") {
    return `it is a ${String(root.get("type").value)} response, not GET_STATE`;
  }
  return "it has neither `slaves` (/master/state) nor `get_state` (operator API GET_STATE)";
}
