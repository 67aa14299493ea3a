import { statSync } from "node:fs";
import type { AccountNames } from "./accounts.js";
import {
  type AttachedPath,
  browseAttached,
  FilesError,
  READ_CAP_BYTES,
  readRange,
  resolveAttached,
  v1FileInfo,
} from "./files.js";
import {
  type AgentView,
  legacyState,
  MESOS_VERSION,
  v1AgentInfo,
  v1GetExecutors,
  v1GetFrameworks,
  v1GetState,
  v1GetTasks,
} from "./state-json.js";

/** An HTTP answer of the v1 agent operator API. */
export interface ApiReply {
  status: number;
  json?: unknown;
  text?: string;
}

export interface OperatorContext {
  view: AgentView;
  attached: readonly AttachedPath[];
  accounts: AccountNames;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function reply(type: string, field: string, body: unknown): ApiReply {
  return { status: 200, json: { type, [field]: body } };
}

function fileError(error: unknown): ApiReply {
  if (error instanceof FilesError) return { status: error.status, text: error.message };
  throw error;
}

/** Mesos parses 64-bit integers from numbers or numeric strings. */
function integerField(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

function readFile(call: Record<string, unknown>, context: OperatorContext): ApiReply {
  const args = call.read_file;
  if (!isRecord(args) || typeof args.path !== "string") {
    return { status: 400, text: "Expecting 'read_file.path' to be present" };
  }
  const offset = integerField(args.offset);
  if (offset === undefined) return { status: 400, text: "Expecting 'read_file.offset' to be present" };
  const length = args.length === undefined || args.length === null ? undefined : integerField(args.length);
  try {
    const real = resolveAttached(args.path, context.attached);
    const stats = statSync(real);
    if (stats.isDirectory()) return { status: 400, text: "Cannot read a directory" };
    const data = readRange(real, offset, Math.min(length ?? READ_CAP_BYTES, READ_CAP_BYTES));
    return reply("READ_FILE", "read_file", { size: stats.size, data: data.toString("base64") });
  } catch (error) {
    return fileError(error);
  }
}

function listFiles(call: Record<string, unknown>, context: OperatorContext): ApiReply {
  const args = call.list_files;
  if (!isRecord(args) || typeof args.path !== "string") {
    return { status: 400, text: "Expecting 'list_files.path' to be present" };
  }
  try {
    const entries = browseAttached(new URLSearchParams({ path: args.path }), context.attached);
    const fileInfos = entries.map((entry) => v1FileInfo(entry, context.accounts));
    return reply("LIST_FILES", "list_files", fileInfos.length > 0 ? { file_infos: fileInfos } : {});
  } catch (error) {
    return fileError(error);
  }
}

function flags(view: AgentView): Array<{ name: string; value: string }> {
  const legacy = legacyState(view).flags;
  if (!isRecord(legacy)) return [];
  return Object.entries(legacy).map(([name, value]) => ({ name, value: String(value) }));
}

/** Answers one parsed `mesos.v1.agent.Call`. */
export function handleOperatorCall(call: unknown, context: OperatorContext): ApiReply {
  if (!isRecord(call))
    return { status: 400, text: "Failed to convert JSON into Call protobuf: expecting a JSON object" };
  const type = call.type;
  if (type === undefined || type === null) return { status: 400, text: "Expecting 'type' to be present" };
  if (typeof type !== "string") return { status: 400, text: "Expecting 'type' to be a string" };
  switch (type) {
    case "GET_HEALTH":
      return reply(type, "get_health", { healthy: true });
    case "GET_VERSION":
      return reply(type, "get_version", { version_info: { version: MESOS_VERSION } });
    case "GET_FLAGS":
      return reply(type, "get_flags", { flags: flags(context.view) });
    case "GET_STATE":
      return reply(type, "get_state", v1GetState(context.view));
    case "GET_TASKS":
      return reply(type, "get_tasks", v1GetTasks(context.view));
    case "GET_EXECUTORS":
      return reply(type, "get_executors", v1GetExecutors(context.view));
    case "GET_FRAMEWORKS":
      return reply(type, "get_frameworks", v1GetFrameworks(context.view));
    case "GET_AGENT":
      return reply(type, "get_agent", { agent_info: v1AgentInfo(context.view) });
    case "READ_FILE":
      return readFile(call, context);
    case "LIST_FILES":
      return listFiles(call, context);
    case "UNKNOWN":
      return { status: 501, text: "Received 'UNKNOWN' call" };
    default:
      return { status: 501, text: `The local cluster's agent does not implement '${type}'` };
  }
}
