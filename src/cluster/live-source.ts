import { TitanError } from "../cli/errors.js";
import { parseMesosDuration } from "../mesos/duration.js";
import type { BasicAuth } from "../mesos/index.js";
import { MasterCluster, MasterOperator } from "../mesos/index.js";
import type { GetState, MasterResponses, QuotaStatus } from "../mesos/types/operator.js";
import { buildSnapshot, type TitanTaskReading } from "./build.js";
import { markRemoteAgents } from "./fault-domain.js";
import { Node, ShapeError } from "./json-reader.js";
import { type LiveState, readLiveState } from "./live-state.js";
import { readTitanTasksOfState } from "./operator.js";
import { quotaOfState } from "./quota.js";
import type { ClusterSnapshot, ClusterStateSource } from "./types.js";

export interface LiveSourceOptions {
  masters: readonly string[];
  /** Credentials, with the secret already resolved; sent only to the configured masters. */
  auth?: BasicAuth;
  caFile?: string;
  /** The digest password of a zk:// master URL. */
  zkPassword?: string;
  role: string;
  /** What to call the cluster in output, e.g. `context prod (cluster prod-us-east)`. */
  label: string;
  trace?: (line: string) => void;
}

/** The live cluster: GET_STATE from the leading master, streamed through titan's Mesos client (live-state.ts). */
export class LiveMasterSource implements ClusterStateSource {
  constructor(private readonly options: LiveSourceOptions) {}

  describe(): string {
    return `${this.options.label} · ${this.options.masters.join(",")}`;
  }

  async read(signal: AbortSignal): Promise<ClusterSnapshot> {
    const { masters, auth, caFile, zkPassword, trace } = this.options;
    const cluster = MasterCluster.fromConfig(
      { masters, auth, caFile, zkPassword },
      trace === undefined ? {} : { trace },
    );
    try {
      const state = await readLiveState(cluster, signal);
      const operator = new MasterOperator(cluster);
      // Asked for once, by whichever of the two below needs it first.
      let master: Promise<MasterResponses["GET_MASTER"]> | undefined;
      const getMaster = () => {
        master ??= operator.getMaster(signal);
        return master;
      };
      // Only agents with fault domains can be remote; the master's own region is then asked for.
      if (state.agents.some((a) => a.faultDomainRegion !== undefined))
        markRemoteAgents(state.agents, (await getMaster()).master_info?.domain?.fault_domain?.region.name);
      const snapshot = withRecoveringAgents(
        buildSnapshot("operator-get-state", state.agents, state.tasks, this.options.role),
        state.recoveredAgents,
        state.recoveredAgents === 0 ? undefined : await reregisterWait(operator, getMaster, signal),
      );
      return await withQuota(snapshot, cluster, this.options.role, state, signal);
    } catch (error) {
      if (error instanceof ShapeError)
        throw unexpectedStateShape(cluster.knownLeader?.origin ?? masters.join(","), error);
      throw error;
    } finally {
      await cluster.close();
    }
  }
}

/** What a plan must know of agents a master that failed over still waits for: instances there look missing. */
function withRecoveringAgents(
  snapshot: ClusterSnapshot,
  recovering: number,
  wait: ClusterSnapshot["reregisterWait"],
): ClusterSnapshot {
  if (recovering === 0) return snapshot;
  const warning = `${recoveringAgentsLine(recovering, wait)}: instances running there look missing, and this plan would launch them again`;
  return {
    ...snapshot,
    recoveringAgents: recovering,
    ...(wait === undefined ? {} : { reregisterWait: wait }),
    warnings: [...snapshot.warnings, warning],
  };
}

/**
 * How long the master waits for its agents to re-register, and until when: its --agent_reregister_timeout from its
 * flags (GET_FLAGS lists every flag that has a value, and this one has a default) from its election (GET_MASTER's
 * `elected_time`), near which it recovered its registry and started that timer (master.cpp `Master::_recover`).
 * Undefined when it does not say (a principal not allowed to view its flags).
 */
async function reregisterWait(
  operator: MasterOperator,
  getMaster: () => Promise<MasterResponses["GET_MASTER"]>,
  signal: AbortSignal,
): Promise<ClusterSnapshot["reregisterWait"]> {
  try {
    const [flags, master] = await Promise.all([operator.getFlags(signal), getMaster()]);
    const value = flags.flags?.find((f) => f.name === "agent_reregister_timeout")?.value;
    const timeoutMs = value === undefined ? undefined : parseMesosDuration(value);
    if (value === undefined || timeoutMs === undefined) return undefined;
    const elected = master.elected_time;
    return {
      timeout: value,
      timeoutMs,
      ...(elected === undefined ? {} : { endsAt: elected * 1000 + timeoutMs }),
    };
  } catch (error) {
    if (signal.aborted) throw error;
    return undefined;
  }
}

/** `left`: when the master gives up on them, said by a caller that has a clock (`it gives up on them in …`). */
export function recoveringAgentsLine(
  recovering: number,
  wait?: ClusterSnapshot["reregisterWait"],
  left?: string,
): string {
  const within =
    wait === undefined
      ? "within its --agent_reregister_timeout, 10 minutes by default"
      : `within its --agent_reregister_timeout of ${wait.timeout}`;
  return `${recovering} agent(s) have not re-registered since the master failed over; it knows none of their tasks until they do (${within}${left === undefined ? "" : `: ${left}`})`;
}

/**
 * The snapshot with what quota lets titan's role be offered (GET_QUOTA, asked after GET_STATE so that an unreachable
 * master fails the plan once), when something bounds it. A master that cannot say leaves the plan unchecked against
 * quota, with a warning, rather than failing it.
 */
async function withQuota(
  snapshot: ClusterSnapshot,
  cluster: MasterCluster,
  role: string,
  state: LiveState,
  signal: AbortSignal,
): Promise<ClusterSnapshot> {
  let status: QuotaStatus;
  try {
    status = (await new MasterOperator(cluster).getQuota(signal)).status;
  } catch (error) {
    if (signal.aborted) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    const warning = `the master's quota could not be read (${reason}): the plan does not check quota limits or guarantees`;
    return { ...snapshot, warnings: [...snapshot.warnings, warning] };
  }
  const quota = quotaOfState(status, role, state);
  return quota === undefined ? snapshot : { ...snapshot, quota };
}

/** Titan's tasks, live and ended, in a GET_STATE from `master`: the reader `ps` and `logs` share with the plan. */
export function readTitanTasks(state: GetState, master: string): TitanTaskReading {
  try {
    return readTitanTasksOfState(new Node({ get_state: state }));
  } catch (error) {
    if (error instanceof ShapeError) throw unexpectedStateShape(master, error);
    throw error;
  }
}

/** What a command says of a GET_STATE from `master` that titan cannot read. */
export function unexpectedStateShape(master: string, error: ShapeError): TitanError {
  return new TitanError(
    `the master at ${master} answered GET_STATE in an unexpected shape: ${error.message}`,
    {
      hint: "is this a Mesos master (1.x)? check the URL with `titan context show`",
    },
  );
}
