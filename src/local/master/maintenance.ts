import { isIPv4 } from "node:net";
import { isTerminalState } from "../agent/task-states.js";
import { isObject, type JsonObject, nanos } from "../json.js";
import { agentPort } from "./agent-info.js";
import { removeAgent } from "./agent-removal.js";
import type { LocalMaster } from "./master.js";
import type { AgentRecord } from "./model.js";
import { refuseSecondsOf } from "./refuse-filter.js";

/**
 * Maintenance as the Mesos master keeps it (src/master/maintenance.cpp, src/master/http.cpp, and the inverse offers
 * of src/master/allocator/mesos/hierarchical.cpp): a schedule of windows, a mode per scheduled machine (DRAINING
 * until START_MAINTENANCE brings it DOWN, UP again after STOP_MAINTENANCE), inverse offers to every framework with
 * resources on a scheduled agent, and the frameworks' answers to them in GET_MAINTENANCE_STATUS.
 *
 * As master.cpp keeps `machines`, a machine is known from the time an agent registers on it or it is scheduled
 * until a master failover, whose registry keeps only the scheduled ones: known machines out of the schedule are UP,
 * so START_MAINTENANCE of one is "not in DRAINING mode", where an unknown one is "not part of a maintenance
 * schedule".
 *
 * All local agents run on 127.0.0.1, so an agent's machine is `{hostname: <agent hostname>, ip: "127.0.0.1"}`; as
 * in include/mesos/type_utils.hpp `operator==(MachineID)`, both fields must match (hostname case-insensitively),
 * and a field given on one side only is a mismatch.
 */

export const AGENT_IP = "127.0.0.1";

export interface MachineId {
  hostname?: string;
  ip?: string;
}

type Mode = "UP" | "DRAINING" | "DOWN";

interface Machine {
  id: MachineId;
  mode: Mode;
  unavailability?: JsonObject;
}

interface InverseOfferRecord {
  id: string;
  frameworkId: string;
  agentId: string;
  unavailability: JsonObject;
  timer?: NodeJS.Timeout;
}

/** The allocator's per-agent maintenance (hierarchical.cpp `Slave::Maintenance`). */
interface AgentMaintenance {
  unavailability: JsonObject;
  outstanding: Set<string>;
  statuses: Map<string, JsonObject>;
}

export type MaintenanceResult = { ok: true } | { ok: false; error: string };

function machineKey(id: MachineId): string {
  const host = id.hostname === undefined ? "-" : `+${id.hostname.toLowerCase()}`;
  const ip = id.ip === undefined ? "-" : `+${id.ip}`;
  return `${host}\u0000${ip}`;
}

/** `JSON::protobuf(id)` as stout prints it in the master's error messages. */
function printId(id: MachineId): string {
  return JSON.stringify({
    ...(id.hostname === undefined ? {} : { hostname: id.hostname }),
    ...(id.ip === undefined ? {} : { ip: id.ip }),
  });
}

function machineIdOf(value: unknown): MachineId {
  const id: MachineId = {};
  if (isObject(value)) {
    if (typeof value.hostname === "string") id.hostname = value.hostname;
    if (typeof value.ip === "string") id.ip = value.ip;
  }
  return id;
}

/** maintenance.cpp `validation::machine`. */
function machineError(id: MachineId): string | undefined {
  if ((id.hostname ?? "") === "" && (id.ip ?? "") === "") {
    return "Both 'hostname' and 'ip' for a machine are empty";
  }
  // stout's `net::IP::parse(ip, AF_INET)` is inet_pton's: four decimal parts, no leading zeros, none above 255.
  if ((id.ip ?? "") !== "" && !isIPv4(id.ip as string)) return `Failed to parse IPv4: ${id.ip}`;
  return undefined;
}

function nanosOf(value: unknown): number {
  return isObject(value) ? Number(value.nanoseconds ?? 0) : 0;
}

/** maintenance.cpp `validation::machines`: a non-empty list of valid, unique machines. */
export function machinesError(ids: readonly MachineId[]): string | undefined {
  if (ids.length === 0) return "List of machines is empty";
  const seen = new Set<string>();
  for (const id of ids) {
    const invalid = machineError(id);
    if (invalid !== undefined) return invalid;
    if (seen.has(machineKey(id))) return `Machine '${printId(id)}' appears more than once in the schedule`;
    seen.add(machineKey(id));
  }
  return undefined;
}

export class Maintenance {
  private windows: JsonObject[] = [];
  private readonly machines = new Map<string, Machine>();
  private readonly inverseOffers = new Map<string, InverseOfferRecord>();
  private readonly agentState = new Map<string, AgentMaintenance>();
  private readonly filters = new Map<string, number>();
  private seq = 0;

  constructor(private readonly master: LocalMaster) {}

  /** The machine a local agent runs on. */
  static machineOf(agent: AgentRecord): MachineId {
    return { hostname: agent.handle.hostname, ip: AGENT_IP };
  }

  /** Agents on a DOWN machine may not register (master.cpp `Master::registerSlave`). */
  isDown(hostname: string): boolean {
    return this.machines.get(machineKey({ hostname, ip: AGENT_IP }))?.mode === "DOWN";
  }

  /** The unavailability scheduled for the agent's machine, which its regular offers carry (`Master::offer`). */
  unavailabilityOf(agent: AgentRecord): JsonObject | undefined {
    return this.machines.get(machineKey(Maintenance.machineOf(agent)))?.unavailability;
  }

  // ------------------------------------------------------------------------------------------ operator calls

  schedule(): JsonObject {
    return this.windows.length === 0 ? {} : { windows: this.windows };
  }

  /** maintenance.cpp `validation::schedule`, then http.cpp `___updateMaintenanceSchedule`. */
  updateSchedule(schedule: JsonObject): MaintenanceResult {
    const windows = (Array.isArray(schedule.windows) ? schedule.windows : []).filter(isObject);
    const updated = new Map<string, { id: MachineId; unavailability: JsonObject }>();
    // http.cpp `___updateMaintenanceSchedule` sets the unavailability of every known machine (its TODO: "Only
    // update allocator and rescind offers if the unavailability has actually changed"), so every agent's offers
    // are rescinded, whether its machine is scheduled or not.
    for (const window of windows) {
      const ids = (Array.isArray(window.machine_ids) ? window.machine_ids : []).map(machineIdOf);
      if (ids.length === 0)
        return { ok: false, error: "List of machines in the maintenance window is empty" };
      const unavailability = isObject(window.unavailability) ? window.unavailability : {};
      if (nanosOf(unavailability.duration) < 0)
        return { ok: false, error: "Unavailability 'duration' is negative" };
      for (const id of ids) {
        const invalid = machineError(id);
        if (invalid !== undefined) return { ok: false, error: invalid };
        if (updated.has(machineKey(id)))
          return { ok: false, error: `Machine '${printId(id)}' appears more than once in the schedule` };
        updated.set(machineKey(id), { id, unavailability });
      }
    }
    for (const [key, machine] of this.machines) {
      if (machine.mode === "DOWN" && !updated.has(key)) {
        return {
          ok: false,
          error: `Machine '${printId(machine.id)}' is deactivated and cannot be removed from the schedule`,
        };
      }
    }
    for (const [key, machine] of [...this.machines]) {
      const next = updated.get(key);
      if (next) {
        if (machine.mode === "UP") continue;
        machine.unavailability = next.unavailability;
        this.updateUnavailability(machine);
      } else {
        machine.mode = "UP";
        machine.unavailability = undefined;
        this.updateUnavailability(machine);
      }
    }
    for (const [key, { id, unavailability }] of updated) {
      const known = this.machines.get(key);
      if (known !== undefined && known.mode !== "UP") continue;
      const machine: Machine = { id: known?.id ?? id, mode: "DRAINING", unavailability };
      this.machines.set(key, machine);
      this.updateUnavailability(machine);
    }
    this.windows = windows;
    this.master.scheduleAllocation();
    return { ok: true };
  }

  /**
   * http.cpp `Master::Http::_startMaintenance`: only scheduled machines in DRAINING mode; every agent on them is
   * told to shut down and removed at once (`removeSlave`, so frameworks get TASK_LOST), then the machines are DOWN.
   */
  async start(ids: readonly MachineId[]): Promise<MaintenanceResult> {
    const invalid = this.checkListed(ids, "DRAINING", "is not in DRAINING mode and cannot be brought down");
    if (invalid !== undefined) return { ok: false, error: invalid };
    const stopping: Array<Promise<void>> = [];
    for (const id of ids) {
      for (const agent of this.agentsOn(id)) {
        agent.dead = true;
        removeAgent(this.master, agent, "Operator initiated 'Machine DOWN'");
        stopping.push(agent.handle.stop());
      }
      const machine = this.machines.get(machineKey(id));
      if (machine) machine.mode = "DOWN";
    }
    await Promise.allSettled(stopping);
    return { ok: true };
  }

  /** http.cpp `Master::Http::_stopMaintenance`: DOWN machines come UP (still known) and leave the schedule. */
  stop(ids: readonly MachineId[]): MaintenanceResult {
    const invalid = this.checkListed(ids, "DOWN", "is not in DOWN mode and cannot be brought up");
    if (invalid !== undefined) return { ok: false, error: invalid };
    const keys = new Set(ids.map(machineKey));
    for (const key of keys) {
      const machine = this.machines.get(key);
      if (machine === undefined) continue;
      machine.mode = "UP";
      machine.unavailability = undefined;
    }
    this.windows = this.windows
      .map((w) => ({
        ...w,
        machine_ids: (Array.isArray(w.machine_ids) ? w.machine_ids : []).filter(
          (m) => !keys.has(machineKey(machineIdOf(m))),
        ),
      }))
      .filter((w) => w.machine_ids.length > 0);
    return { ok: true };
  }

  private checkListed(ids: readonly MachineId[], mode: Mode, wrongMode: string): string | undefined {
    const invalid = machinesError(ids);
    if (invalid !== undefined) return invalid;
    for (const id of ids) {
      const machine = this.machines.get(machineKey(id));
      if (!machine) return `Machine '${printId(id)}' is not part of a maintenance schedule`;
      if (machine.mode !== mode) return `Machine '${printId(id)}' ${wrongMode}`;
    }
    return undefined;
  }

  /** http.cpp `_getMaintenanceStatus`: draining machines with the frameworks' answers, and down machines. */
  status(): JsonObject {
    const draining: JsonObject[] = [];
    const down: MachineId[] = [];
    for (const machine of this.machines.values()) {
      if (machine.mode === "UP") continue;
      if (machine.mode === "DOWN") {
        down.push(machine.id);
        continue;
      }
      const statuses = this.agentsOn(machine.id).flatMap((a) => [
        ...(this.agentState.get(a.id)?.statuses.values() ?? []),
      ]);
      draining.push({ id: machine.id, ...(statuses.length > 0 ? { statuses } : {}) });
    }
    return {
      ...(draining.length > 0 ? { draining_machines: draining } : {}),
      ...(down.length > 0 ? { down_machines: down } : {}),
    };
  }

  private agentsOn(id: MachineId): AgentRecord[] {
    const key = machineKey(id);
    return [...this.master.agents.values()].filter((a) => machineKey(Maintenance.machineOf(a)) === key);
  }

  /**
   * master.cpp `Master::updateUnavailability`: the agents' offers are rescinded and their inverse offers rescinded
   * too, then the allocator starts afresh with the new unavailability (no outstanding offers, no answers kept).
   */
  private updateUnavailability(machine: Machine): void {
    for (const agent of this.agentsOn(machine.id)) {
      for (const offer of [...this.master.offers.values()])
        if (offer.agentId === agent.id) this.master.rescindOffer(offer);
      for (const inverse of [...this.inverseOffers.values()])
        if (inverse.agentId === agent.id) this.removeInverseOffer(inverse, true);
      if (machine.unavailability === undefined) this.agentState.delete(agent.id);
      else
        this.agentState.set(agent.id, {
          unavailability: machine.unavailability,
          outstanding: new Set(),
          statuses: new Map(),
        });
    }
  }

  // ------------------------------------------------------------------------------------------ inverse offers

  /**
   * hierarchical.cpp `HierarchicalAllocatorProcess::deallocate`, run with each allocation: every active framework
   * with resources offered or allocated on an agent with maintenance, and no inverse offer outstanding there nor a
   * filter from an earlier answer, gets one (no resources: maintenance asks for the whole agent), which the master
   * sends as an INVERSE_OFFERS event (master.cpp `Master::inverseOffer`).
   */
  sendInverseOffers(): void {
    const byFramework = new Map<string, JsonObject[]>();
    const now = this.master.now();
    for (const agent of this.master.agents.values()) {
      const state = this.agentState.get(agent.id);
      if (!state || agent.state !== "registered" || agent.dead || agent.partitioned) continue;
      for (const framework of this.master.frameworks.values()) {
        if (!framework.active || !framework.subscription || state.outstanding.has(framework.id)) continue;
        if (!this.holdsResourcesOn(framework.id, agent.id)) continue;
        if ((this.filters.get(`${framework.id}\u0000${agent.id}`) ?? 0) > now) continue;
        state.outstanding.add(framework.id);
        const offer = this.createInverseOffer(framework.id, agent, state.unavailability);
        byFramework.set(framework.id, [...(byFramework.get(framework.id) ?? []), offer]);
      }
    }
    for (const [frameworkId, offers] of byFramework) {
      this.master.sendEvent(frameworkId, {
        type: "INVERSE_OFFERS",
        inverse_offers: { inverse_offers: offers },
      });
    }
  }

  private holdsResourcesOn(frameworkId: string, agentId: string): boolean {
    const framework = this.master.frameworks.get(frameworkId);
    if (!framework) return false;
    for (const task of framework.tasks.values())
      if (task.agentId === agentId && !isTerminalState(task.state)) return true;
    for (const offer of this.master.offers.values())
      if (offer.frameworkId === frameworkId && offer.agentId === agentId) return true;
    return false;
  }

  private createInverseOffer(
    frameworkId: string,
    agent: AgentRecord,
    unavailability: JsonObject,
  ): JsonObject {
    const id = `${this.master.masterId}-IO${this.seq++}`;
    const record: InverseOfferRecord = { id, frameworkId, agentId: agent.id, unavailability };
    const timeout = this.master.options.offerTimeoutMs;
    // master.cpp `Master::inverseOffer`: inverse offers time out as offers do (--offer_timeout).
    if (timeout !== undefined) {
      record.timer = setTimeout(() => {
        if (this.inverseOffers.get(id) === record) this.removeInverseOffer(record, true);
      }, timeout);
      record.timer.unref();
    }
    this.inverseOffers.set(id, record);
    return {
      id: { value: id },
      url: {
        scheme: "http",
        address: { hostname: agent.handle.hostname, ip: AGENT_IP, port: agentPort(agent.handle) },
        path: "/slave(1)",
      },
      framework_id: { value: frameworkId },
      agent_id: { value: agent.id },
      unavailability,
    };
  }

  /**
   * ACCEPT_INVERSE_OFFERS / DECLINE_INVERSE_OFFERS (master.cpp `Master::acceptInverseOffers`,
   * `declineInverseOffers`, then the allocator's `updateInverseOffer`): each inverse offer still known records the
   * answer for GET_MAINTENANCE_STATUS and is removed; the call's filters keep the framework from getting another
   * for that agent for refuse_seconds (default 5, at most 365 days). Unknown ids are ignored.
   */
  answer(ids: readonly string[], answer: "ACCEPT" | "DECLINE", filters: unknown): void {
    const now = this.master.now();
    for (const id of ids) {
      const record = this.inverseOffers.get(id);
      if (!record) continue;
      const state = this.agentState.get(record.agentId);
      if (state?.outstanding.delete(record.frameworkId)) {
        state.statuses.set(record.frameworkId, {
          status: answer,
          framework_id: { value: record.frameworkId },
          timestamp: nanos(now),
        });
      }
      this.filters.set(`${record.frameworkId}\u0000${record.agentId}`, now + refuseSecondsOf(filters) * 1000);
      this.removeInverseOffer(record, false);
    }
  }

  /** hierarchical.cpp reviveRoles: any REVIVE clears the framework's inverse offer filters, whatever its roles. */
  clearFilters(frameworkId: string): void {
    for (const key of [...this.filters.keys()])
      if (key.startsWith(`${frameworkId}\u0000`)) this.filters.delete(key);
  }

  private removeInverseOffer(record: InverseOfferRecord, rescind: boolean): void {
    if (record.timer) clearTimeout(record.timer);
    this.inverseOffers.delete(record.id);
    this.agentState.get(record.agentId)?.outstanding.delete(record.frameworkId);
    if (rescind) {
      this.master.sendEvent(record.frameworkId, {
        type: "RESCIND_INVERSE_OFFER",
        rescind_inverse_offer: { inverse_offer_id: { value: record.id } },
      });
    }
  }

  /** The agent is gone (`_removeSlave`): its inverse offers are rescinded, its allocator state dropped. */
  agentRemoved(agentId: string): void {
    for (const record of [...this.inverseOffers.values()])
      if (record.agentId === agentId) this.removeInverseOffer(record, true);
    this.agentState.delete(agentId);
  }

  /** A framework deactivated or failed over: its inverse offers are dropped and sent again once it is back. */
  frameworkInactive(frameworkId: string): void {
    for (const record of [...this.inverseOffers.values()])
      if (record.frameworkId === frameworkId) this.removeInverseOffer(record, false);
  }

  /**
   * A master failover keeps the schedule and its machines (they are in the registry) and forgets inverse offers and
   * answers, and the UP machines, which agents make known again as they register (`Master::_recover`).
   */
  failover(): void {
    for (const [key, machine] of [...this.machines])
      if (machine.mode === "UP" && this.agentsOn(machine.id).every((a) => a.dead)) this.machines.delete(key);
    for (const record of [...this.inverseOffers.values()]) this.removeInverseOffer(record, false);
    for (const state of this.agentState.values()) {
      state.outstanding.clear();
      state.statuses.clear();
    }
  }

  /** An agent (re)registered: it inherits its machine's unavailability (hierarchical.cpp `addSlave`). */
  agentAdded(agent: AgentRecord): void {
    const id = Maintenance.machineOf(agent);
    if (!this.machines.has(machineKey(id))) this.machines.set(machineKey(id), { id, mode: "UP" });
    const unavailability = this.unavailabilityOf(agent);
    if (unavailability !== undefined)
      this.agentState.set(agent.id, { unavailability, outstanding: new Set(), statuses: new Map() });
  }

  close(): void {
    for (const record of this.inverseOffers.values()) if (record.timer) clearTimeout(record.timer);
    this.inverseOffers.clear();
  }
}
