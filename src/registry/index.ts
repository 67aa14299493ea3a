import { atMost, MAX_WAIT_FLAG_MS } from "../cli/duration-flag.js";
import type { Env } from "../cli/env.js";
import { UsageError } from "../cli/errors.js";
import type { ClusterConfig } from "../config/types.js";
import { parseDuration } from "../manifest/index.js";
import { TokenCache } from "./auth.js";
import { RegistryClient } from "./client.js";
import { type ConfiguredCredential, Credentials } from "./credentials.js";
import { DEFAULT_RETRY, RegistryHttp } from "./http.js";
import { ImageResolver } from "./resolve.js";

export { ImageResolveError } from "./errors.js";
export { describePin, type PinnedImage, pinImages } from "./pin.js";
export type { ResolvedImage } from "./resolve.js";

export interface ImageResolverHandle {
  resolver: ImageResolver;
  close(): Promise<void>;
}

/** Splits the config's `registry` (`host[:port]` or `http(s)://host[:port]`) into its host and scheme. */
export function registryHost(registry: string): { host: string; scheme?: "http" | "https" } {
  const match = /^(https?):\/\/(.+)$/.exec(registry);
  if (match === null) return { host: registry };
  return { host: match[2] ?? "", scheme: match[1] === "http" ? "http" : "https" };
}

/**
 * The resolver a command uses against one cluster: the cluster's `registry` as the default registry (with its
 * credentials), ~/.docker/config.json for every other host, one token cache for the command's lifetime.
 * TITAN_REGISTRY_TIMEOUT bounds each attempt (default 15s; three attempts).
 */
export async function imageResolverFor(env: Env, cluster: ClusterConfig): Promise<ImageResolverHandle> {
  const { resolveSecretRef } = await import("../config/secret-ref.js");
  const registry = cluster.registry === undefined ? undefined : registryHost(cluster.registry);
  let configured: ConfiguredCredential | undefined;
  const auth = cluster.registryAuth;
  if (registry !== undefined && auth !== undefined)
    configured = {
      host: registry.host,
      username: auth.username,
      password: () => resolveSecretRef(auth.password, env.vars, { signal: env.signal }),
    };
  const http = new RegistryHttp({ ...DEFAULT_RETRY, attemptTimeoutMs: attemptTimeout(env) }, env.signal);
  const client = new RegistryClient({
    http,
    credentials: new Credentials({ vars: env.vars, ...(configured === undefined ? {} : { configured }) }),
    tokens: new TokenCache(() => env.clock.now()),
    ...(registry?.scheme === undefined ? {} : { schemes: { [registry.host]: registry.scheme } }),
  });
  return { resolver: new ImageResolver(client, registry?.host), close: () => http.close() };
}

function attemptTimeout(env: Env): number {
  const text = env.vars.TITAN_REGISTRY_TIMEOUT;
  if (text === undefined || text === "") return DEFAULT_RETRY.attemptTimeoutMs;
  const parsed = parseDuration(text);
  if (!parsed.ok || parsed.value <= 0)
    throw new UsageError(
      `TITAN_REGISTRY_TIMEOUT=${text} is not a positive duration`,
      "e.g. TITAN_REGISTRY_TIMEOUT=10s",
    );
  return atMost(
    parsed.value,
    MAX_WAIT_FLAG_MS,
    `TITAN_REGISTRY_TIMEOUT=${JSON.stringify(text)}`,
    "e.g. TITAN_REGISTRY_TIMEOUT=10s",
  );
}
