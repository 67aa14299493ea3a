import { BadResponseError } from "./errors.js";
import { sanitizeExcerpt } from "./excerpt.js";
import { parseMesosJson } from "./json.js";
import { isObject } from "./responses.js";
import type { SchedulerEvent, SchedulerEventType } from "./types/scheduler.js";

/** The payload key each event type must carry (HEARTBEAT has none). */
const PAYLOAD_KEYS: Record<SchedulerEventType, string | undefined> = {
  SUBSCRIBED: "subscribed",
  OFFERS: "offers",
  INVERSE_OFFERS: "inverse_offers",
  RESCIND: "rescind",
  RESCIND_INVERSE_OFFER: "rescind_inverse_offer",
  UPDATE: "update",
  UPDATE_OPERATION_STATUS: "update_operation_status",
  MESSAGE: "message",
  FAILURE: "failure",
  ERROR: "error",
  HEARTBEAT: undefined,
};

function isKnownType(type: string): type is SchedulerEventType {
  return Object.hasOwn(PAYLOAD_KEYS, type);
}

export type ParsedEvent = { kind: "event"; event: SchedulerEvent } | { kind: "unknown"; type: string };

/**
 * Parses one RecordIO record of the scheduler stream. Known types must carry their payload object; a type this
 * client does not know (a newer master) is reported as unknown so the session can log and skip it.
 */
export function parseSchedulerEvent(record: Buffer): ParsedEvent {
  let json: unknown;
  try {
    json = parseMesosJson(record.toString("utf8"));
  } catch {
    throw new BadResponseError(
      `event stream record is not JSON: "${sanitizeExcerpt(record.subarray(0, 512).toString("utf8"))}"`,
    );
  }
  if (!isObject(json) || typeof json.type !== "string") {
    throw new BadResponseError("event stream record has no event type");
  }
  const type = json.type;
  if (!isKnownType(type)) return { kind: "unknown", type };
  if (!hasPayload(json, type))
    throw new BadResponseError(`${type} event without its "${PAYLOAD_KEYS[type]}" object`);
  if (type === "UPDATE" && !isUpdateWithStatus(json))
    throw new BadResponseError("UPDATE event without a task status");
  return { kind: "event", event: json };
}

function hasPayload(
  json: Record<string, unknown>,
  type: SchedulerEventType,
): json is Record<string, unknown> & SchedulerEvent {
  const key = PAYLOAD_KEYS[type];
  return key === undefined || isObject(json[key]);
}

function isUpdateWithStatus(json: Record<string, unknown>): boolean {
  const update = json.update;
  if (!isObject(update) || !isObject(update.status)) return false;
  const taskId = update.status.task_id;
  return isObject(taskId) && typeof taskId.value === "string" && typeof update.status.state === "string";
}
