import { isObject, type JsonObject } from "../json.js";
import type { MachineId } from "./maintenance.js";
import type { LocalMaster } from "./master.js";

/**
 * The master's maintenance operator calls (src/master/http.cpp `getMaintenanceSchedule`, `getMaintenanceStatus`,
 * `updateMaintenanceSchedule`, `startMaintenance`, `stopMaintenance`): the GETs answer their response object, the
 * others `200 OK` with an empty body, or `400` with the master's message.
 */
export type MaintenanceAnswer =
  | { status: 200; key: string; body: JsonObject }
  | { status: 200; key?: undefined }
  | { status: 400; error: string };

export const MAINTENANCE_CALLS: ReadonlySet<string> = new Set([
  "GET_MAINTENANCE_STATUS",
  "GET_MAINTENANCE_SCHEDULE",
  "UPDATE_MAINTENANCE_SCHEDULE",
  "START_MAINTENANCE",
  "STOP_MAINTENANCE",
]);

function machineIds(payload: unknown): MachineId[] {
  const list = isObject(payload) && Array.isArray(payload.machines) ? payload.machines : [];
  return list.map((m) => {
    const id: MachineId = {};
    if (isObject(m) && typeof m.hostname === "string") id.hostname = m.hostname;
    if (isObject(m) && typeof m.ip === "string") id.ip = m.ip;
    return id;
  });
}

export async function maintenanceCall(master: LocalMaster, call: JsonObject): Promise<MaintenanceAnswer> {
  const book = master.maintenance;
  const toAnswer = (r: { ok: true } | { ok: false; error: string }): MaintenanceAnswer =>
    r.ok ? { status: 200 } : { status: 400, error: r.error };
  switch (call.type) {
    case "GET_MAINTENANCE_STATUS":
      return { status: 200, key: "get_maintenance_status", body: { status: book.status() } };
    case "GET_MAINTENANCE_SCHEDULE":
      return { status: 200, key: "get_maintenance_schedule", body: { schedule: book.schedule() } };
    case "UPDATE_MAINTENANCE_SCHEDULE":
      return toAnswer(
        book.updateSchedule((call.update_maintenance_schedule as JsonObject).schedule as JsonObject),
      );
    case "START_MAINTENANCE":
      return toAnswer(await book.start(machineIds(call.start_maintenance)));
    default:
      return toAnswer(book.stop(machineIds(call.stop_maintenance)));
  }
}
