import { createHash } from "node:crypto";
import { JuteReader, JuteWriter } from "./zk-jute.js";

/** Request types (ZooDefs.OpCode). */
export const Op = {
  create: 1,
  delete: 2,
  exists: 3,
  getData: 4,
  setData: 5,
  getChildren: 8,
  ping: 11,
  check: 13,
  multi: 14,
  auth: 100,
  closeSession: -11,
  error: -1,
} as const;

/** Reserved xids of replies that answer no numbered request. */
export const Xid = { notification: -1, ping: -2, auth: -4 } as const;

/** Result codes (KeeperException.Code) titan tells apart. */
export const Code = {
  ok: 0,
  runtimeInconsistency: -2,
  connectionLoss: -4,
  noNode: -101,
  noAuth: -102,
  badVersion: -103,
  nodeExists: -110,
  notEmpty: -111,
  sessionExpired: -112,
  authFailed: -115,
} as const;

const CODE_NAMES: Record<number, string> = {
  [-2]: "runtime inconsistency",
  [-4]: "connection loss",
  [-7]: "operation timeout",
  [-8]: "bad arguments",
  [-101]: "no node",
  [-102]: "not authorised",
  [-103]: "bad version",
  [-108]: "no children for ephemerals",
  [-110]: "node exists",
  [-111]: "not empty",
  [-112]: "session expired",
  [-114]: "invalid ACL",
  [-115]: "authentication failed",
  [-118]: "session moved",
  [-119]: "not read-only",
};

/** A ZooKeeper operation failed with a result code; `path` is the node it concerned. */
export class ZkError extends Error {
  constructor(
    readonly code: number,
    readonly path: string,
  ) {
    super(`ZooKeeper ${CODE_NAMES[code] ?? `error ${code}`} at ${path}`);
  }
}

/** Node creation flags (CreateMode). */
export const CreateMode = {
  persistent: 0,
  ephemeral: 1,
  persistentSequential: 2,
  ephemeralSequential: 3,
} as const;
export type CreateModeValue = (typeof CreateMode)[keyof typeof CreateMode];

export const Perm = { read: 1, write: 2, create: 4, delete: 8, admin: 16, all: 31 } as const;

export interface Acl {
  perms: number;
  scheme: string;
  id: string;
}

/** Anyone may do anything: the default on an unsecured ensemble. */
export const OPEN_ACL: readonly Acl[] = [{ perms: Perm.all, scheme: "world", id: "anyone" }];
/** Only the sessions authenticated as the node's creator (digest auth). */
export const CREATOR_ACL: readonly Acl[] = [{ perms: Perm.all, scheme: "auth", id: "" }];

/** The digest ACL id of `user:password`, as ZooKeeper's DigestAuthenticationProvider derives it. */
export function digestId(user: string, password: string): string {
  const hash = createHash("sha1").update(`${user}:${password}`).digest("base64");
  return `${user}:${hash}`;
}

/** A node's metadata (the Stat record). */
export interface Stat {
  czxid: bigint;
  mzxid: bigint;
  ctime: number;
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  dataLength: number;
  numChildren: number;
  pzxid: bigint;
}

export function readStat(r: JuteReader): Stat {
  return {
    czxid: r.long(),
    mzxid: r.long(),
    ctime: Number(r.long()),
    mtime: Number(r.long()),
    version: r.int(),
    cversion: r.int(),
    aversion: r.int(),
    ephemeralOwner: r.long(),
    dataLength: r.int(),
    numChildren: r.int(),
    pzxid: r.long(),
  };
}

export function writeAcls(w: JuteWriter, acls: readonly Acl[]): void {
  w.int(acls.length);
  for (const acl of acls) w.int(acl.perms).string(acl.scheme).string(acl.id);
}

/** One operation of a multi-op transaction: all of them apply, or none. */
export type TxOp =
  | { type: "create"; path: string; data: Buffer; acl: readonly Acl[]; mode: CreateModeValue }
  | { type: "set"; path: string; data: Buffer; version: number }
  | { type: "delete"; path: string; version: number }
  | { type: "check"; path: string; version: number };

export function encodeTxOp(w: JuteWriter, op: TxOp): void {
  switch (op.type) {
    case "create":
      w.string(op.path).buffer(op.data);
      writeAcls(w, op.acl);
      w.int(op.mode);
      return;
    case "set":
      w.string(op.path).buffer(op.data).int(op.version);
      return;
    case "delete":
    case "check":
      w.string(op.path).int(op.version);
      return;
  }
}

export function txOpCode(op: TxOp): number {
  return { create: Op.create, set: Op.setData, delete: Op.delete, check: Op.check }[op.type];
}

/** The MultiRequest body: each op behind a header, then an end marker. */
export function encodeMulti(ops: readonly TxOp[]): Buffer {
  const w = new JuteWriter();
  for (const op of ops) {
    w.int(txOpCode(op)).bool(false).int(-1);
    encodeTxOp(w, op);
  }
  w.int(-1).bool(true).int(-1);
  return w.toBuffer();
}

/**
 * Reads a MultiResponse. Returns the created paths in op order (undefined for other ops), or throws a ZkError
 * for the op that made the transaction fail.
 */
export function decodeMulti(body: Buffer, ops: readonly TxOp[]): Array<string | undefined> {
  const r = new JuteReader(body);
  const results: Array<string | undefined> = [];
  let failure: ZkError | undefined;
  for (let i = 0; ; i++) {
    const type = r.int();
    const done = r.bool();
    r.int();
    if (done) break;
    const path = ops[i]?.path ?? "?";
    if (type === Op.error) {
      const code = r.int();
      if (failure === undefined && code !== Code.ok && code !== Code.runtimeInconsistency)
        failure = new ZkError(code, path);
      results.push(undefined);
    } else if (type === Op.create) results.push(r.string());
    else {
      if (type === Op.setData) readStat(r);
      results.push(undefined);
    }
  }
  if (failure) throw failure;
  return results;
}
