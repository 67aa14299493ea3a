import type { Clock } from "../cli/env.js";
import { UsageError } from "../cli/errors.js";
import { urlForMessage } from "../cli/url-text.js";
import { parseSecretRef, resolveSecretRef } from "../config/secret-ref.js";
import { FILE_STORE_HINT, fileStoreUrlProblem } from "./file-url.js";
import type { StateStore } from "./types.js";

export interface OpenStoreOptions {
  clock: Clock;
  hostname: string;
  /** Environment variables, for the digest password's `env:` reference. */
  vars: Readonly<Record<string, string | undefined>>;
  signal?: AbortSignal;
  /** How long a `zk://` store waits for the ensemble to answer its first connection (10 s when not set). */
  connectTimeoutMs?: number;
  /** Opened by a command that changes nothing: its errors do not tell that nothing was changed. */
  observing?: boolean;
}

/**
 * The digest password of a `zk://USER:REF@…` URL (masters or state store), read from its secret reference;
 * undefined for a URL without credentials or one that is not zk://.
 */
export async function zkPassword(
  url: string | undefined,
  vars: Readonly<Record<string, string | undefined>>,
): Promise<string | undefined> {
  if (url === undefined || !url.startsWith("zk://")) return undefined;
  const { parseZkUrl } = await import("./zk-url.js");
  const parsed = parseZkUrl(url);
  if (parsed.auth === undefined) return undefined;
  const ref = parseSecretRef(parsed.auth.secretRef);
  if (typeof ref === "string") throw new UsageError(`${parsed.display}: ${ref}`);
  return resolveSecretRef(ref, vars);
}

/** Opens the state store a URL names: `file:///dir` or `zk://[user:SECRET-REF@]host:port,…/path`. */
export async function openStateStore(url: string, options: OpenStoreOptions): Promise<StateStore> {
  if (url.startsWith("file://")) {
    const problem = fileStoreUrlProblem(url);
    if (problem !== undefined) throw new UsageError(problem, FILE_STORE_HINT);
    const { FileStateStore } = await import("./file-store.js");
    return new FileStateStore(url, { clock: options.clock, hostname: options.hostname });
  }
  if (url.startsWith("zk://")) {
    const { parseZkUrl } = await import("./zk-url.js");
    const { ZkStateStore } = await import("./zk-store.js");
    const parsed = parseZkUrl(url, "state store");
    const password = await zkPassword(url, options.vars);
    return new ZkStateStore(parsed, {
      clock: options.clock,
      hostname: options.hostname,
      ...(password === undefined ? {} : { password }),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
      ...(options.observing === true ? { observing: true } : {}),
    });
  }
  throw new UsageError(
    `"${urlForMessage(url)}" is not a state store URL`,
    "use file:///path/to/dir or zk://host:2181,host2:2181/titan",
  );
}
