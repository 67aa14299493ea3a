import { type ClusterConfig, MasterCluster } from "./leader.js";
import { MasterOperator } from "./operator.js";
import type { GetState } from "./types/operator.js";

export interface FetchStateOptions {
  signal?: AbortSignal;
  /** `--debug` HTTP trace lines (no credentials). */
  trace?: (line: string) => void;
  deadlineMs?: number;
  /** Size cap for the state (default 64 MiB). */
  maxBytes?: number;
}

export interface MasterState {
  /** Origin of the master that answered (the leader). */
  leader: string;
  /** The whole operator response, `{"type":"GET_STATE","get_state":{...}}`, as a snapshot file would hold it. */
  document: { type: "GET_STATE"; get_state: GetState };
}

/**
 * Reads GET_STATE from the leading master of a cluster: finds the leader (following redirects from any
 * configured master), applies the deadline and size cap, and releases its connections before returning.
 */
export async function fetchMasterState(
  config: ClusterConfig,
  options: FetchStateOptions = {},
): Promise<MasterState> {
  const cluster = MasterCluster.fromConfig(
    config,
    options.trace === undefined ? {} : { trace: options.trace },
  );
  try {
    const operator = new MasterOperator(cluster, {
      ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
      ...(options.maxBytes === undefined ? {} : { maxStateBytes: options.maxBytes }),
    });
    const state = await operator.getState(options.signal);
    const leader = cluster.knownLeader?.origin ?? "";
    return { leader, document: { type: "GET_STATE", get_state: state } };
  } finally {
    await cluster.close();
  }
}
