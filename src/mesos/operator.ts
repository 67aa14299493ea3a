import { BadResponseError } from "./errors.js";
import type { MasterCluster } from "./leader.js";
import { errorForStatus, isObject, parseJsonBody } from "./responses.js";
import type { HttpResponse, HttpTransport } from "./transport.js";
import type { LegacyAgentState, LegacyMasterState } from "./types/legacy.js";
import type { MachineID } from "./types/mesos.js";
import type {
  AgentGetContainers,
  AgentGetState,
  MaintenanceSchedule,
  MasterCallType,
  MasterResponses,
} from "./types/operator.js";

/** Exactly what Mesos compares byte for byte (`application/json; charset=utf-8` would be a 415). */
export const JSON_HEADERS = { "content-type": "application/json", accept: "application/json" } as const;

export interface OperatorLimits {
  /** Deadline per call (default 75 s, Mesos' own guidance). */
  deadlineMs?: number;
  /** Size cap for GET_STATE and the legacy state (default 64 MiB). */
  maxStateBytes?: number;
  /** Size cap for the small calls (default 4 MiB). */
  maxBytes?: number;
}

const DEFAULT_DEADLINE_MS = 75_000;
const DEFAULT_MAX_STATE_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

/** The body of an operator call without arguments, e.g. `{"type":"GET_STATE"}`. */
export function operatorCall<T extends string>(type: T): { type: T } {
  return { type };
}

/** `GET_STATE` -> `get_state`. */
export function responseKey(type: string): string {
  return type.toLowerCase();
}

/** Checks `{"type": T, "<t>": {...}}` and returns the payload. */
export function unwrapResponse<T>(json: unknown, type: string, what: string): T {
  const key = responseKey(type);
  if (!isObject(json) || json.type !== type || !isObject(json[key])) {
    throw new BadResponseError(`${what}: the answer is not a ${type} response`, {
      hint: "is the URL a Mesos master or agent of version 1.x?",
    });
  }
  return json[key] as T;
}

function isLegacyMasterState(json: unknown): json is LegacyMasterState {
  return isObject(json) && Array.isArray(json.slaves) && Array.isArray(json.frameworks);
}

function isLegacyAgentState(json: unknown): json is LegacyAgentState {
  return isObject(json) && typeof json.id === "string" && typeof json.hostname === "string";
}

/** The v1 operator API of the leading master, plus the legacy `GET /master/state`. */
export class MasterOperator {
  private readonly deadlineMs: number;
  private readonly maxStateBytes: number;
  private readonly maxBytes: number;

  constructor(
    private readonly cluster: MasterCluster,
    limits: OperatorLimits = {},
  ) {
    this.deadlineMs = limits.deadlineMs ?? DEFAULT_DEADLINE_MS;
    this.maxStateBytes = limits.maxStateBytes ?? DEFAULT_MAX_STATE_BYTES;
    this.maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  getState(signal?: AbortSignal): Promise<MasterResponses["GET_STATE"]> {
    return this.call("GET_STATE", this.maxStateBytes, signal);
  }
  getAgents(signal?: AbortSignal): Promise<MasterResponses["GET_AGENTS"]> {
    return this.call("GET_AGENTS", this.maxStateBytes, signal);
  }
  getTasks(signal?: AbortSignal): Promise<MasterResponses["GET_TASKS"]> {
    return this.call("GET_TASKS", this.maxStateBytes, signal);
  }
  getFrameworks(signal?: AbortSignal): Promise<MasterResponses["GET_FRAMEWORKS"]> {
    return this.call("GET_FRAMEWORKS", this.maxStateBytes, signal);
  }
  getVersion(signal?: AbortSignal): Promise<MasterResponses["GET_VERSION"]> {
    return this.call("GET_VERSION", this.maxBytes, signal);
  }
  getHealth(signal?: AbortSignal): Promise<MasterResponses["GET_HEALTH"]> {
    return this.call("GET_HEALTH", this.maxBytes, signal);
  }
  getMaster(signal?: AbortSignal): Promise<MasterResponses["GET_MASTER"]> {
    return this.call("GET_MASTER", this.maxBytes, signal);
  }
  getFlags(signal?: AbortSignal): Promise<MasterResponses["GET_FLAGS"]> {
    return this.call("GET_FLAGS", this.maxBytes, signal);
  }

  getQuota(signal?: AbortSignal): Promise<MasterResponses["GET_QUOTA"]> {
    return this.call("GET_QUOTA", this.maxBytes, signal);
  }

  getMaintenanceStatus(signal?: AbortSignal): Promise<MasterResponses["GET_MAINTENANCE_STATUS"]> {
    return this.call("GET_MAINTENANCE_STATUS", this.maxBytes, signal);
  }
  /**
   * The schedule with its times as exact strings: `titan drain` sends the other windows back, which must not move
   * (a nanosecond timestamp is past what a double holds exactly).
   */
  getMaintenanceSchedule(signal?: AbortSignal): Promise<MasterResponses["GET_MAINTENANCE_SCHEDULE"]> {
    return this.call("GET_MAINTENANCE_SCHEDULE", this.maxBytes, signal, { exactNanoseconds: true });
  }

  /** Replaces the whole schedule: machines left out of it go back UP (a DOWN one may not be left out). */
  updateMaintenanceSchedule(schedule: MaintenanceSchedule, signal?: AbortSignal): Promise<void> {
    return this.change(
      { type: "UPDATE_MAINTENANCE_SCHEDULE", update_maintenance_schedule: { schedule } },
      signal,
    );
  }

  /** Brings scheduled (DRAINING) machines DOWN: the master removes their agents and their tasks are lost. */
  startMaintenance(machines: readonly MachineID[], signal?: AbortSignal): Promise<void> {
    return this.change({ type: "START_MAINTENANCE", start_maintenance: { machines } }, signal);
  }

  /** A call answered `200 OK` with an empty body, or an error carrying the master's message. */
  private async change(
    call: { type: string } & Record<string, unknown>,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const transport = this.cluster.transport;
    const response = await this.cluster.send("/api/v1", (url) =>
      postJson(transport, url, call, {
        deadlineMs: this.deadlineMs,
        maxBytes: this.maxBytes,
        label: call.type,
        signal,
      }),
    );
    if (response.status !== 200) {
      throw errorForStatus(response, response.body, {
        what: call.type,
        credentialsSent: transport.sendsCredentialsTo(response.url),
      });
    }
  }

  /** The legacy `GET /master/state` (plain-string ids, flat resources). */
  async legacyState(signal?: AbortSignal): Promise<LegacyMasterState> {
    const transport = this.cluster.transport;
    const response = await this.cluster.send("/master/state", (url) =>
      transport.fetch({
        method: "GET",
        url,
        headers: { accept: "application/json" },
        deadlineMs: this.deadlineMs,
        maxBytes: this.maxStateBytes,
        label: "state",
        ...(signal === undefined ? {} : { signal }),
      }),
    );
    const json = parseJsonBody(response, {
      what: "GET /master/state",
      credentialsSent: transport.sendsCredentialsTo(response.url),
    });
    if (!isLegacyMasterState(json)) {
      throw new BadResponseError(
        `GET /master/state: ${response.url.origin} did not answer with a master state`,
      );
    }
    return json;
  }

  private async call<T extends MasterCallType>(
    type: T,
    maxBytes: number,
    signal: AbortSignal | undefined,
    { exactNanoseconds = false }: { exactNanoseconds?: boolean } = {},
  ): Promise<MasterResponses[T]> {
    const transport = this.cluster.transport;
    const response = await this.cluster.send("/api/v1", (url) =>
      postJson(transport, url, operatorCall(type), {
        deadlineMs: this.deadlineMs,
        maxBytes,
        label: type,
        signal,
      }),
    );
    const json = parseJsonBody(response, {
      what: type,
      credentialsSent: transport.sendsCredentialsTo(response.url),
      exactNanoseconds,
    });
    return unwrapResponse<MasterResponses[T]>(json, type, type);
  }
}

export function postJson(
  transport: HttpTransport,
  url: URL,
  body: unknown,
  options: { deadlineMs: number; maxBytes: number; label: string; signal: AbortSignal | undefined },
): Promise<HttpResponse> {
  return transport.fetch({
    method: "POST",
    url,
    headers: JSON_HEADERS,
    body: JSON.stringify(body),
    deadlineMs: options.deadlineMs,
    maxBytes: options.maxBytes,
    label: options.label,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
}

/** The v1 operator API and legacy `/state` of one agent, addressed directly (agents do not redirect). */
export class AgentOperator {
  readonly base: URL;
  private readonly deadlineMs: number;
  private readonly maxStateBytes: number;

  constructor(
    private readonly transport: HttpTransport,
    base: URL,
    limits: OperatorLimits = {},
  ) {
    this.base = new URL(base.origin);
    this.deadlineMs = limits.deadlineMs ?? DEFAULT_DEADLINE_MS;
    this.maxStateBytes = limits.maxStateBytes ?? DEFAULT_MAX_STATE_BYTES;
  }

  async getState(signal?: AbortSignal): Promise<AgentGetState> {
    const { json, what } = await this.call("GET_STATE", operatorCall("GET_STATE"), signal);
    return unwrapResponse<AgentGetState>(json, "GET_STATE", what);
  }

  /** GET_CONTAINERS: the agent's running containers with their resource statistics, sampled as it answers. */
  async getContainers(signal?: AbortSignal): Promise<AgentGetContainers> {
    const call = { type: "GET_CONTAINERS", get_containers: { show_nested: false, show_standalone: false } };
    const { json, what } = await this.call("GET_CONTAINERS", call, signal);
    // An agent with no container answers without the field: evolve.cpp sets it only when it adds a container.
    if (isObject(json) && json.type === "GET_CONTAINERS" && json.get_containers === undefined) return {};
    return unwrapResponse<AgentGetContainers>(json, "GET_CONTAINERS", what);
  }

  /** POSTs one v1 operator call to the agent; the parsed answer, and how errors name the call. */
  private async call(
    type: string,
    body: unknown,
    signal: AbortSignal | undefined,
  ): Promise<{ json: unknown; what: string }> {
    const url = new URL("/api/v1", this.base);
    const response = await postJson(this.transport, url, body, {
      deadlineMs: this.deadlineMs,
      maxBytes: this.maxStateBytes,
      label: `agent ${type}`,
      signal,
    });
    const what = `agent ${this.base.host} ${type}`;
    return {
      json: parseJsonBody(response, { what, credentialsSent: this.transport.sendsCredentialsTo(url) }),
      what,
    };
  }

  /** The legacy agent `GET /state`, which has each executor's absolute sandbox `directory`. */
  async legacyState(signal?: AbortSignal): Promise<LegacyAgentState> {
    const url = new URL("/state", this.base);
    const response = await this.transport.fetch({
      method: "GET",
      url,
      headers: { accept: "application/json" },
      deadlineMs: this.deadlineMs,
      maxBytes: this.maxStateBytes,
      label: "agent state",
      ...(signal === undefined ? {} : { signal }),
    });
    const what = `GET ${this.base.host}/state`;
    const json = parseJsonBody(response, { what, credentialsSent: this.transport.sendsCredentialsTo(url) });
    if (!isLegacyAgentState(json)) throw new BadResponseError(`${what}: the answer is not an agent state`);
    return json;
  }
}
