import { StateStoreError } from "./errors.js";
import type { LockRecord } from "./types.js";
import type { ZkClient } from "./zk-client.js";
import { type Acl, Code, CreateMode, type TxOp, ZkError } from "./zk-protocol.js";

/** The node-level pieces of the zk:// store: JSON nodes, subtrees, lock nodes. */

const LOCK_PREFIX = "lock-";

export const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

/** A JSON node's value and version, or undefined when it does not exist. */
export async function readJson<T>(
  zk: ZkClient,
  store: string,
  path: string,
): Promise<{ value: T; version: number } | undefined> {
  const node = await zk.get(path);
  if (node === undefined) return undefined;
  try {
    return { value: JSON.parse(node.data.toString("utf8")) as T, version: node.stat.version };
  } catch {
    throw new StateStoreError(
      `${store}: ${path} is not valid JSON`,
      "the state store was edited or damaged; restore it from a `titan state export` or remove the node",
    );
  }
}

/** Delete ops for a subtree two levels deep (an app: its records and their children), children first. */
export async function subtreeDeletes(zk: ZkClient, root: string): Promise<TxOp[]> {
  if ((await zk.exists(root)) === undefined) return [];
  const ops: TxOp[] = [];
  for (const name of await zk.children(root)) {
    for (const child of await zk.children(`${root}/${name}`))
      ops.push({ type: "delete", path: `${root}/${name}/${child}`, version: -1 });
    ops.push({ type: "delete", path: `${root}/${name}`, version: -1 });
  }
  ops.push({ type: "delete", path: root, version: -1 });
  return ops;
}

/** The lock nodes of a lock directory, lowest sequence (the holder) first. */
export function lockNodes(zk: ZkClient, dir: string): Promise<string[]> {
  return sequentialNodes(zk, dir, LOCK_PREFIX);
}

/** Creates an ephemeral sequential lock node holding `record`; finds it by token if the reply was lost. */
export function createLockNode(
  zk: ZkClient,
  dir: string,
  record: LockRecord,
  acl: readonly Acl[],
  store: string,
): Promise<string> {
  return createSequentialNode(zk, dir, LOCK_PREFIX, record, acl, store);
}

/** The children of `dir` named `<prefix><sequence>`, lowest sequence first; none when `dir` does not exist. */
export async function sequentialNodes(zk: ZkClient, dir: string, prefix: string): Promise<string[]> {
  const names = await zk.children(dir).catch((error: unknown) => {
    if (error instanceof ZkError && error.code === Code.noNode) return [];
    throw error;
  });
  const sequence = (name: string): number => Number(name.slice(prefix.length));
  return names.filter((n) => n.startsWith(prefix)).sort((a, b) => sequence(a) - sequence(b));
}

/**
 * Creates an ephemeral sequential node `<dir>/<prefix><sequence>` holding `record` and returns its name. A
 * create whose reply was lost with its connection may have happened: the node is then found by its token, so
 * the session never leaves a node of its own behind unknowingly.
 */
export async function createSequentialNode(
  zk: ZkClient,
  dir: string,
  prefix: string,
  record: { token: string },
  acl: readonly Acl[],
  store: string,
): Promise<string> {
  await zk.ensurePath(dir, acl);
  for (;;) {
    try {
      const path = await zk.create(`${dir}/${prefix}`, json(record), acl, CreateMode.ephemeralSequential);
      return path.slice(dir.length + 1);
    } catch (error) {
      if (!(error instanceof ZkError && error.code === Code.connectionLoss)) throw error;
      for (const name of await sequentialNodes(zk, dir, prefix)) {
        const found = await readJson<{ token?: string }>(zk, store, `${dir}/${name}`);
        if (found?.value.token === record.token) return name;
      }
    }
  }
}
