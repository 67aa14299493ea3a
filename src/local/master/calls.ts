import { isObject, type JsonObject } from "../json.js";
import { ProtoSchema, parseProtoJson } from "./proto-json.js";
import { SCHEDULER_ENUMS, SCHEDULER_MESSAGES } from "./scheduler-proto.js";

/**
 * Turns a scheduler or operator call body into a checked object, failing with the text the real master puts in
 * its 400 answers. Mesos' JSON parser ignores unknown keys and treats null as unset; required fields are checked
 * after parsing ("Missing required fields: ..."), then the call is validated.
 */

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

/** Drops nulls recursively: Mesos reads `null` as "unset". */
export function stripNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== null).map(stripNulls);
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = stripNulls(v);
    return out;
  }
  return value;
}

interface Field {
  required?: true;
  repeated?: true;
  message?: Schema;
}
type Schema = Record<string, Field>;

const SCHEDULER_SCHEMA = new ProtoSchema(SCHEDULER_MESSAGES, SCHEDULER_ENUMS);

/** Paths of required fields that are missing, as protobuf's InitializationErrorString lists them. */
function missingRequired(value: JsonObject, schema: Schema, path: string, out: string[]): void {
  for (const [name, field] of Object.entries(schema)) {
    const here = path === "" ? name : `${path}.${name}`;
    const v = value[name];
    if (v === undefined) {
      if (field.required) out.push(here);
      continue;
    }
    if (!field.message) continue;
    const sub = field.message;
    if (field.repeated && Array.isArray(v)) {
      v.forEach((item, i) => {
        if (isObject(item)) missingRequired(item, sub, `${here}[${i}]`, out);
      });
    } else if (isObject(v)) {
      missingRequired(v, sub, here, out);
    }
  }
}

/** The payload key each call type must carry, as scheduler::call::validate checks it. */
const PAYLOAD_OF: Record<string, string> = {
  SUBSCRIBE: "subscribe",
  ACCEPT: "accept",
  DECLINE: "decline",
  ACCEPT_INVERSE_OFFERS: "accept_inverse_offers",
  DECLINE_INVERSE_OFFERS: "decline_inverse_offers",
  KILL: "kill",
  SHUTDOWN: "shutdown",
  ACKNOWLEDGE: "acknowledge",
  ACKNOWLEDGE_OPERATION_STATUS: "acknowledge_operation_status",
  RECONCILE: "reconcile",
  RECONCILE_OPERATIONS: "reconcile_operations",
  MESSAGE: "message",
  REQUEST: "request",
  UPDATE_FRAMEWORK: "update_framework",
};

function idValue(v: unknown): string | undefined {
  return isObject(v) && typeof v.value === "string" ? v.value : undefined;
}

/** A 16-byte RFC 4122 UUID in standard base64, as TaskStatus.uuid carries it. */
export function isValidUuidBase64(text: string): boolean {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return false;
  const bytes = Buffer.from(text, "base64");
  if (bytes.length !== 16) return false;
  const version = (bytes[6] ?? 0) >> 4;
  return version >= 1 && version <= 5;
}

/** Parses and validates a scheduler Call body (already JSON-parsed). Errors are the master's 400 body. */
export function checkSchedulerCall(raw: unknown): Checked<JsonObject> {
  if (!isObject(raw))
    return { ok: false, error: "Failed to convert JSON into Call protobuf: Expecting a JSON object" };
  const parsed = parseProtoJson(SCHEDULER_SCHEMA, "scheduler.Call", raw);
  if (!parsed.ok) return { ok: false, error: `Failed to convert JSON into Call protobuf: ${parsed.error}` };
  const call = parsed.value;
  const invalid = validateSchedulerCall(call);
  if (invalid !== undefined) return { ok: false, error: `Failed to validate scheduler::Call: ${invalid}` };
  return { ok: true, value: call };
}

function validateSchedulerCall(call: JsonObject): string | undefined {
  if (call.type === undefined) return "Expecting 'type' to be present";
  const type = String(call.type);
  if (type === "SUBSCRIBE") {
    if (!isObject(call.subscribe)) return "Expecting 'subscribe' to be present";
    const info = (call.subscribe as JsonObject).framework_info as JsonObject;
    if (idValue(info.id) !== idValue(call.framework_id)) {
      return "'framework_id' differs from 'subscribe.framework_info.id'";
    }
    return undefined;
  }
  if (idValue(call.framework_id) === undefined) return "Expecting 'framework_id' to be present";
  const payload = PAYLOAD_OF[type];
  if (payload !== undefined && !isObject(call[payload])) return `Expecting '${payload}' to be present`;
  if (type === "ACKNOWLEDGE") {
    const uuid = (call.acknowledge as JsonObject).uuid;
    if (typeof uuid !== "string" || !isValidUuidBase64(uuid)) return "Not a valid UUID";
  }
  if (type === "UPDATE_FRAMEWORK") {
    const info = (call.update_framework as JsonObject).framework_info;
    if (!isObject(info)) return "Expecting 'framework_info' to be present";
    if (idValue(info.id) !== idValue(call.framework_id)) {
      return "'framework_id' differs from 'update_framework.framework_info.id'";
    }
  }
  return undefined;
}

export const OPERATOR_CALL_TYPES = new Set([
  "UNKNOWN",
  "GET_HEALTH",
  "GET_FLAGS",
  "GET_VERSION",
  "GET_METRICS",
  "GET_LOGGING_LEVEL",
  "SET_LOGGING_LEVEL",
  "LIST_FILES",
  "READ_FILE",
  "GET_STATE",
  "GET_AGENTS",
  "GET_FRAMEWORKS",
  "GET_EXECUTORS",
  "GET_OPERATIONS",
  "GET_TASKS",
  "GET_ROLES",
  "GET_WEIGHTS",
  "UPDATE_WEIGHTS",
  "GET_MASTER",
  "SUBSCRIBE",
  "RESERVE_RESOURCES",
  "UNRESERVE_RESOURCES",
  "CREATE_VOLUMES",
  "DESTROY_VOLUMES",
  "GROW_VOLUME",
  "SHRINK_VOLUME",
  "GET_MAINTENANCE_STATUS",
  "GET_MAINTENANCE_SCHEDULE",
  "UPDATE_MAINTENANCE_SCHEDULE",
  "START_MAINTENANCE",
  "STOP_MAINTENANCE",
  "DRAIN_AGENT",
  "DEACTIVATE_AGENT",
  "REACTIVATE_AGENT",
  "GET_QUOTA",
  "UPDATE_QUOTA",
  "SET_QUOTA",
  "REMOVE_QUOTA",
  "TEARDOWN",
  "MARK_AGENT_GONE",
]);

const TIME_INFO: Schema = { nanoseconds: { required: true } };
const MACHINES: Schema = { machines: { repeated: true, message: {} } };

/** The required fields (transitively) of the operator Call payloads the local master reads (maintenance.proto). */
const OPERATOR_CALL: Schema = {
  update_maintenance_schedule: {
    message: {
      schedule: {
        required: true,
        message: {
          windows: {
            repeated: true,
            message: {
              unavailability: {
                required: true,
                message: { start: { required: true, message: TIME_INFO }, duration: { message: TIME_INFO } },
              },
            },
          },
        },
      },
    },
  },
  start_maintenance: { message: MACHINES },
  stop_maintenance: { message: MACHINES },
};

/** The payload each operator call must carry (src/master/validation.cpp `master::call::validate`). */
const OPERATOR_PAYLOAD_OF: Record<string, string> = {
  UPDATE_MAINTENANCE_SCHEDULE: "update_maintenance_schedule",
  START_MAINTENANCE: "start_maintenance",
  STOP_MAINTENANCE: "stop_maintenance",
};

/** Parses and validates a master operator Call body (already JSON-parsed). */
export function checkOperatorCall(raw: unknown): Checked<JsonObject> {
  if (!isObject(raw))
    return { ok: false, error: "Failed to convert JSON into Call protobuf: Expecting a JSON object" };
  const call = stripNulls(raw) as JsonObject;
  if (typeof call.type === "string" && !OPERATOR_CALL_TYPES.has(call.type)) delete call.type;
  const missing: string[] = [];
  missingRequired(call, OPERATOR_CALL, "", missing);
  if (missing.length > 0) {
    return {
      ok: false,
      error: `Failed to convert JSON into Call protobuf: Missing required fields: ${missing.join(", ")}`,
    };
  }
  if (call.type === undefined)
    return { ok: false, error: "Failed to validate master::Call: Expecting 'type' to be present" };
  const payload = OPERATOR_PAYLOAD_OF[String(call.type)];
  if (payload !== undefined && !isObject(call[payload]))
    return { ok: false, error: `Failed to validate master::Call: Expecting '${payload}' to be present` };
  return { ok: true, value: call };
}
