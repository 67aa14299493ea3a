import { randomBytes } from "node:crypto";
import type { TaskStateName } from "../agent/api.js";
import { type JsonObject, nanos, seconds } from "../json.js";

/** Builds a mesos.v1.TaskStatus as the master writes it (field names and order as in mesos.proto). */
export interface StatusFields {
  taskId: string;
  state: TaskStateName;
  source: "SOURCE_MASTER" | "SOURCE_AGENT" | "SOURCE_EXECUTOR";
  reason?: string;
  message?: string;
  agentId?: string;
  /**
   * The executor's id: on an executor's own updates. A master's updates (reconciliation, agent or framework
   * removal) carry the task's executor_id, which protobuf::createTask copies only from TaskInfo.executor; this
   * cluster runs command tasks only, so they carry none.
   */
  executorId?: string;
  timestampMs: number;
  uuid?: string;
  healthy?: boolean;
  containerStatus?: JsonObject;
  unreachableAtMs?: number;
}

export function taskStatus(f: StatusFields): JsonObject {
  const s: JsonObject = { task_id: { value: f.taskId }, state: f.state };
  if (f.message !== undefined) s.message = f.message;
  s.source = f.source;
  if (f.reason !== undefined) s.reason = f.reason;
  if (f.agentId !== undefined) s.agent_id = { value: f.agentId };
  if (f.executorId !== undefined) s.executor_id = { value: f.executorId };
  s.timestamp = seconds(f.timestampMs);
  if (f.uuid !== undefined) s.uuid = f.uuid;
  if (f.healthy !== undefined) s.healthy = f.healthy;
  if (f.containerStatus !== undefined) s.container_status = f.containerStatus;
  if (f.unreachableAtMs !== undefined) s.unreachable_time = nanos(f.unreachableAtMs);
  return s;
}

/** The ContainerStatus a local task reports: its container id and the loopback address it runs on. */
export function containerStatus(containerId: string, pid?: number): JsonObject {
  const status: JsonObject = {
    container_id: { value: containerId },
    network_infos: [{ ip_addresses: [{ protocol: "IPv4", ip_address: "127.0.0.1" }] }],
  };
  if (pid !== undefined) status.executor_pid = pid;
  return status;
}

/** A random RFC 4122 version 4 UUID as standard base64 of its 16 bytes (TaskStatus.uuid). */
export function uuidBase64(): string {
  const bytes = randomBytes(16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  return bytes.toString("base64");
}
