import type { Challenge } from "./challenge.js";
import type { Credential } from "./credentials.js";
import { ImageResolveError } from "./errors.js";
import type { RegistryHttp } from "./http.js";
import { isLoopbackHost } from "./reference.js";

/** Docker's token spec: a token without expires_in lives 60 seconds. */
const DEFAULT_TOKEN_SECONDS = 60;
/** Renew this long before expiry so a token never dies in flight. */
const EXPIRY_SKEW_MS = 5_000;

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Bearer tokens by realm, service, scope and user, kept until they expire. */
export class TokenCache {
  private readonly tokens = new Map<string, CachedToken>();

  constructor(private readonly now: () => number = Date.now) {}

  get(key: string): string | undefined {
    const cached = this.tokens.get(key);
    if (cached === undefined) return undefined;
    if (cached.expiresAt - EXPIRY_SKEW_MS <= this.now()) {
      this.tokens.delete(key);
      return undefined;
    }
    return cached.token;
  }

  set(key: string, token: string, seconds: number): void {
    this.tokens.set(key, { token, expiresAt: this.now() + seconds * 1000 });
  }
}

/** Plain http carries credentials only on loopback, as for an insecure local registry. */
export function mayCarryCredentials(url: URL): boolean {
  return url.protocol === "https:" || isLoopbackHost(url.host);
}

export function basicHeader(credential: Credential): string {
  return `Basic ${Buffer.from(`${credential.username}:${credential.password}`, "utf8").toString("base64")}`;
}

export interface TokenRequest {
  challenge: Challenge;
  scope: string;
  credential: Credential | undefined;
  /** The origin of the registry that sent the challenge. */
  registry: string;
}

/**
 * The bearer-token flow of the distribution token spec: GET realm?service=…&scope=…, with basic credentials
 * when there are any, answered by {token|access_token, expires_in}.
 *
 * As Docker, the credentials go to the realm the registry names even on another host (Docker Hub's is
 * auth.docker.io, GitLab's is gitlab.com for registry.gitlab.com): the registry delegates its logins there. Both
 * ends must be able to carry credentials, though: a realm on plain http never gets them, and neither does any
 * realm named in a challenge that came over plain http, which anyone on the path could have written.
 */
export async function fetchToken(
  http: RegistryHttp,
  cache: TokenCache,
  req: TokenRequest,
): Promise<{ token: string; key: string }> {
  const realm = req.challenge.params.realm;
  if (realm === undefined || realm === "")
    throw new ImageResolveError(
      `${req.registry} asked for a bearer token without naming a realm`,
      "the registry's auth configuration is broken; tell its operators",
    );
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw new ImageResolveError(
      `${req.registry} names a token realm that is not a URL`,
      "tell the registry's operators",
    );
  }
  const service = req.challenge.params.service;
  if (service !== undefined) url.searchParams.set("service", service);
  url.searchParams.set("scope", req.scope);
  const key = [url.origin + url.pathname, service ?? "", req.scope, req.credential?.username ?? ""].join(
    "\u0000",
  );
  const cached = cache.get(key);
  if (cached !== undefined) return { token: cached, key };
  const headers: Record<string, string> = { accept: "application/json" };
  if (req.credential !== undefined) {
    if (!mayCarryCredentials(url))
      throw new ImageResolveError(
        `refusing to send credentials for ${req.registry} to the token realm ${url.origin} over plain http`,
        "the registry must name an https token realm",
      );
    if (!mayCarryCredentials(new URL(req.registry)))
      throw new ImageResolveError(
        `refusing to send credentials for ${req.registry} to the token realm ${url.origin}: the registry named it over plain http`,
        "use an https registry URL",
      );
    headers.authorization = basicHeader(req.credential);
  }
  const response = await http.send({ method: "GET", url, headers, maxBytes: 1 << 20 });
  if (response.status === 401 || response.status === 403)
    throw new ImageResolveError(
      `the token service ${url.origin} refused ${req.credential === undefined ? "anonymous access" : `the credentials from ${req.credential.source}`} (HTTP ${response.status})`,
      req.credential === undefined
        ? `log in: docker login ${req.registry.replace(/^https?:\/\//, "")}`
        : "check the username and password (docker login again)",
    );
  if (response.status !== 200)
    throw new ImageResolveError(
      `the token service ${url.origin} answered HTTP ${response.status}`,
      "retry later; if it persists, tell the registry's operators",
    );
  let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
  try {
    body = JSON.parse(response.body.toString("utf8")) as typeof body;
  } catch {
    throw new ImageResolveError(
      `the token service ${url.origin} did not answer JSON`,
      "is the realm a login page or a proxy? tell the registry's operators",
    );
  }
  const token = typeof body.token === "string" ? body.token : body.access_token;
  if (typeof token !== "string" || token === "")
    throw new ImageResolveError(
      `the token service ${url.origin} sent no token`,
      "tell the registry's operators",
    );
  const seconds =
    typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_SECONDS;
  cache.set(key, token, seconds);
  return { token, key };
}
