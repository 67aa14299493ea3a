import { statSync } from "node:fs";
import { BUILD_INFO } from "../build-info.js";
import { CALL_SCHEMA } from "../call-protos.js";
import { isObject } from "../json.js";
import { NOT_IMPLEMENTED_BODY } from "../media-type.js";
import { parseProtoJson } from "../proto-json.js";
import type { AccountNames } from "./accounts.js";
import { sampleUsage, v1GetContainers } from "./container-usage.js";
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

function reply(type: string, field: string, body: unknown): ApiReply {
  return { status: 200, json: { type, [field]: body } };
}

function fileError(error: unknown): ApiReply {
  if (error instanceof FilesError) return { status: error.status, text: error.message };
  throw error;
}

function readFile(call: Record<string, unknown>, context: OperatorContext): ApiReply {
  // Read as an agent.Call: `path` and `offset` are required there, and numbers already.
  const args = call.read_file as { path: string; offset: number; length?: number };
  const { offset, length } = args;
  try {
    const real = resolveAttached(args.path, context.attached);
    const stats = statSync(real);
    if (stats.isDirectory()) return { status: 400, text: "Cannot read a directory.\n" };
    const data = readRange(real, offset, Math.min(length ?? READ_CAP_BYTES, READ_CAP_BYTES));
    return reply("READ_FILE", "read_file", { size: stats.size, data: data.toString("base64") });
  } catch (error) {
    return fileError(error);
  }
}

function listFiles(call: Record<string, unknown>, context: OperatorContext): ApiReply {
  const args = call.list_files as { path: string };
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
  if (!isObject(legacy)) return [];
  return Object.entries(legacy).map(([name, value]) => ({ name, value: String(value) }));
}

/**
 * The payload each agent call type must carry (src/slave/validation.cpp `agent::call::validate`; the calls on
 * containers check more, but this agent does not implement them).
 */
const PAYLOAD_OF: Readonly<Record<string, string>> = {
  GET_METRICS: "get_metrics",
  SET_LOGGING_LEVEL: "set_logging_level",
  LIST_FILES: "list_files",
  READ_FILE: "read_file",
  LAUNCH_NESTED_CONTAINER: "launch_nested_container",
  WAIT_NESTED_CONTAINER: "wait_nested_container",
  KILL_NESTED_CONTAINER: "kill_nested_container",
  REMOVE_NESTED_CONTAINER: "remove_nested_container",
  LAUNCH_NESTED_CONTAINER_SESSION: "launch_nested_container_session",
  ATTACH_CONTAINER_INPUT: "attach_container_input",
  ATTACH_CONTAINER_OUTPUT: "attach_container_output",
  LAUNCH_CONTAINER: "launch_container",
  WAIT_CONTAINER: "wait_container",
  KILL_CONTAINER: "kill_container",
  REMOVE_CONTAINER: "remove_container",
  ADD_RESOURCE_PROVIDER_CONFIG: "add_resource_provider_config",
  UPDATE_RESOURCE_PROVIDER_CONFIG: "update_resource_provider_config",
  REMOVE_RESOURCE_PROVIDER_CONFIG: "remove_resource_provider_config",
  MARK_RESOURCE_PROVIDER_GONE: "mark_resource_provider_gone",
  PRUNE_IMAGES: "prune_images",
};

/**
 * Answers one `mesos.v1.agent.Call` body (already JSON-parsed), read as an agent reads it (stout's protobuf::parse,
 * the same reading as the master's) and validated as src/slave/http.cpp does before dispatching.
 */
export function handleOperatorCall(raw: unknown, context: OperatorContext): ApiReply {
  const parsed = parseProtoJson(CALL_SCHEMA, "agent.Call", raw);
  // common/http.hpp `deserialize` gives protobuf::parse's error bare (the master's handler prefixes its own).
  if (!parsed.ok) return { status: 400, text: parsed.error };
  const call = parsed.value;
  const type = call.type;
  if (typeof type !== "string")
    return { status: 400, text: "Failed to validate agent::Call: Expecting 'type' to be present" };
  const payload = PAYLOAD_OF[type];
  if (payload !== undefined && !isObject(call[payload]))
    return { status: 400, text: `Failed to validate agent::Call: Expecting '${payload}' to be present` };
  switch (type) {
    case "GET_HEALTH":
      return reply(type, "get_health", { healthy: true });
    case "GET_VERSION":
      return reply(type, "get_version", { version_info: { version: MESOS_VERSION, ...BUILD_INFO } });
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
    case "GET_CONTAINERS":
      return { status: 200, json: v1GetContainers(context.view, sampleUsage()) };
    case "READ_FILE":
      return readFile(call, context);
    case "LIST_FILES":
      return listFiles(call, context);
    case "UNKNOWN":
      return { status: 501, text: NOT_IMPLEMENTED_BODY };
    default:
      return { status: 501, text: `The local cluster's agent does not implement '${type}'` };
  }
}
