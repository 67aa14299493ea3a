import type { Clock } from "../cli/env.js";
import { TitanError } from "../cli/errors.js";
import type { StateStore } from "../state/types.js";
import type { Leadership, SupervisorIdentity } from "./leadership.js";

export interface LeadershipOptions {
  identity: SupervisorIdentity;
  clock: Clock;
  hostname: string;
  /** Lease of the file store's leadership. */
  leaseMs?: number;
}

/** The leader election that fits the state store: leases in a file store's directory; ZooKeeper for zk://. */
export async function openLeadership(store: StateStore, options: LeadershipOptions): Promise<Leadership> {
  const { FileStateStore, processAlive } = await import("../state/file-store.js");
  if (store instanceof FileStateStore) {
    const { FileLeadership } = await import("./file-leadership.js");
    return new FileLeadership({
      root: store.root,
      identity: options.identity,
      clock: options.clock,
      hostname: options.hostname,
      isAlive: processAlive,
      ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
    });
  }
  throw new TitanError(`titan supervise cannot elect a leader in the state store ${store.describe()} yet`, {
    hint: "supervise with a file:// state store (the default); leader election in ZooKeeper comes with zk:// support for supervise",
  });
}
