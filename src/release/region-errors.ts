import { TitanError } from "../cli/errors.js";
import {
  BadResponseError,
  ConnectionError,
  MesosTimeoutError,
  NotLeaderError,
  TemporarilyUnavailableError,
  UnauthorizedError,
} from "../mesos/errors.js";
import { StateStoreError } from "../state/errors.js";

/** A failure to reach or read a cluster (its masters or its state store), which names a URL but not the region. */
function isReachError(error: unknown): error is TitanError {
  return (
    error instanceof ConnectionError ||
    error instanceof TemporarilyUnavailableError ||
    error instanceof NotLeaderError ||
    error instanceof MesosTimeoutError ||
    error instanceof BadResponseError ||
    error instanceof UnauthorizedError ||
    error instanceof StateStoreError
  );
}

/**
 * Runs a command's work on one region's cluster; a failure to reach it names the region before the URL it could
 * not reach (`region ap-south: cannot reach http://m1:5050: connection refused`), with the same hint and exit code.
 */
export async function namingRegion<T>(region: string | undefined, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw inRegion(region, error);
  }
}

/** The error, naming the region first when it is a failure to reach the region's cluster. */
export function inRegion(region: string | undefined, error: unknown): unknown {
  if (region === undefined || !isReachError(error) || error.message.startsWith(`region ${region}:`))
    return error;
  return new TitanError(`region ${region}: ${error.message}`, {
    exitCode: error.exitCode,
    ...(error.hint === undefined ? {} : { hint: error.hint }),
    cause: error,
  });
}
