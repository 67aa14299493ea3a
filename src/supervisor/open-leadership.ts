import type { Clock } from "../cli/env.js";
import type { StateStore } from "../state/types.js";
import type { Leadership, SupervisorIdentity } from "./leadership.js";

export interface LeadershipOptions {
  identity: SupervisorIdentity;
  clock: Clock;
  hostname: string;
  /** Lease of the file store's leadership. */
  leaseMs?: number;
  /** Told when contending in ZooKeeper failed for a reason that may pass (it is retried). */
  onRetry?: (error: Error) => void;
}

/** A leader election and what it holds open (the ZooKeeper session), closed at shutdown. */
export interface OpenLeadership {
  leadership: Leadership;
  close(): Promise<void>;
}

/**
 * The leader election that fits the state store: a lease per app in a file store's directory; an ephemeral
 * sequential election per app in ZooKeeper, in a session of its own, for a zk:// store.
 */
export async function openLeadership(store: StateStore, options: LeadershipOptions): Promise<OpenLeadership> {
  const { ZkStateStore } = await import("../state/zk-store.js");
  if (store instanceof ZkStateStore) {
    const { ZkLeadership } = await import("./zk-leadership.js");
    const password = store.password;
    const leadership = new ZkLeadership(store.url, {
      identity: options.identity,
      ...(password === undefined ? {} : { password }),
      ...(options.onRetry === undefined ? {} : { onRetry: options.onRetry }),
    });
    return { leadership, close: () => leadership.close() };
  }
  const { FileStateStore, processAlive } = await import("../state/file-store.js");
  if (!(store instanceof FileStateStore))
    throw new Error(`no leader election for the store ${store.describe()}`);
  const { FileLeadership } = await import("./file-leadership.js");
  const leadership = new FileLeadership({
    root: store.root,
    identity: options.identity,
    clock: options.clock,
    hostname: options.hostname,
    isAlive: processAlive,
    ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
  });
  return { leadership, close: async () => {} };
}
