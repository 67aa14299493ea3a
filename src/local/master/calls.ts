import { CALL_SCHEMA } from "../call-protos.js";
import { isObject, type JsonObject } from "../json.js";
import { bytesOfBase64, parseProtoJson } from "../proto-json.js";
import { resourcesError } from "./task-resources.js";

/**
 * Turns a scheduler or operator call body into a checked object, failing with the text the real master puts in
 * its 400 answers. Mesos' JSON parser ignores unknown keys and treats null as unset; required fields are checked
 * after parsing ("Missing required fields: ..."), then the call is validated.
 */

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

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

/**
 * Whether base64 text holds a UUID as stout's id::UUID::fromBytes takes one: 16 bytes (decoded as stout decodes,
 * so unpadded text will do) whose version nibble is 1 to 5.
 */
export function isValidUuidBase64(text: string): boolean {
  const bytes = bytesOfBase64(text);
  if (bytes.length !== 16) return false;
  const version = (bytes[6] ?? 0) >> 4;
  return version >= 1 && version <= 5;
}

/** Parses and validates a scheduler Call body (already JSON-parsed). Errors are the master's 400 body. */
export function checkSchedulerCall(raw: unknown): Checked<JsonObject> {
  const parsed = parseProtoJson(CALL_SCHEMA, "scheduler.Call", raw);
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
  if (type === "ACKNOWLEDGE" || type === "ACKNOWLEDGE_OPERATION_STATUS") {
    const acknowledgement = call[payload as string] as JsonObject;
    const uuid = acknowledgement.uuid;
    if (typeof uuid !== "string" || !isValidUuidBase64(uuid)) return "Not a valid UUID";
    if (type === "ACKNOWLEDGE_OPERATION_STATUS" && !isObject(acknowledgement.agent_id))
      return "Expecting 'agent_id' to be present";
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

/**
 * The payload each operator call type must carry (src/master/validation.cpp `master::call::validate`); the types
 * not named here carry none.
 */
const OPERATOR_PAYLOAD_OF: Readonly<Record<string, string>> = {
  GET_METRICS: "get_metrics",
  SET_LOGGING_LEVEL: "set_logging_level",
  LIST_FILES: "list_files",
  READ_FILE: "read_file",
  UPDATE_WEIGHTS: "update_weights",
  RESERVE_RESOURCES: "reserve_resources",
  UNRESERVE_RESOURCES: "unreserve_resources",
  CREATE_VOLUMES: "create_volumes",
  DESTROY_VOLUMES: "destroy_volumes",
  GROW_VOLUME: "grow_volume",
  SHRINK_VOLUME: "shrink_volume",
  UPDATE_MAINTENANCE_SCHEDULE: "update_maintenance_schedule",
  START_MAINTENANCE: "start_maintenance",
  STOP_MAINTENANCE: "stop_maintenance",
  DRAIN_AGENT: "drain_agent",
  DEACTIVATE_AGENT: "deactivate_agent",
  REACTIVATE_AGENT: "reactivate_agent",
  UPDATE_QUOTA: "update_quota",
  SET_QUOTA: "set_quota",
  REMOVE_QUOTA: "remove_quota",
  TEARDOWN: "teardown",
  MARK_AGENT_GONE: "mark_agent_gone",
};

/** Parses and validates a master operator Call body (already JSON-parsed). Errors are the master's 400 body. */
export function checkOperatorCall(raw: unknown): Checked<JsonObject> {
  const parsed = parseProtoJson(CALL_SCHEMA, "master.Call", raw);
  if (!parsed.ok) return { ok: false, error: `Failed to convert JSON into Call protobuf: ${parsed.error}` };
  const call = parsed.value;
  const invalid = validateOperatorCall(call);
  if (invalid !== undefined) return { ok: false, error: `Failed to validate master::Call: ${invalid}` };
  return { ok: true, value: call };
}

function validateOperatorCall(call: JsonObject): string | undefined {
  if (call.type === undefined) return "Expecting 'type' to be present";
  const type = String(call.type);
  const payload = OPERATOR_PAYLOAD_OF[type];
  if (payload !== undefined && !isObject(call[payload])) return `Expecting '${payload}' to be present`;
  // The v1 call names the agent `agent_id`; only volumes on an agent's default resources can change size.
  if (
    (type === "GROW_VOLUME" || type === "SHRINK_VOLUME") &&
    !isObject((call[payload ?? ""] as JsonObject).agent_id)
  )
    return "Expecting 'agent_id' to be present; only agent default resources are supported right now";
  // validation.cpp `master::call::validate`: the resources of RESERVE_RESOURCES and UNRESERVE_RESOURCES pass
  // `Resources::validate` before the call is served.
  if (type === "RESERVE_RESOURCES" || type === "UNRESERVE_RESOURCES") {
    const resources = (call[payload ?? ""] as JsonObject).resources;
    return resourcesError(Array.isArray(resources) ? resources : []);
  }
  return undefined;
}
