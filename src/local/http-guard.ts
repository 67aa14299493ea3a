import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/**
 * What every HTTP request to the local master and agents passes before it is routed. The local cluster is a daemon
 * on a developer's laptop, reachable by every web page the browser opens and by every local user, so:
 *
 * - the Host header must name this machine by a loopback name (a page that rebinds its own DNS name to 127.0.0.1
 *   sends its own name here, and is refused);
 * - with credentials set, endpoints that a real master or agent protects with `--authenticate_http_readonly`,
 *   `--authenticate_http_readwrite` and `--authenticate_http_frameworks` need HTTP Basic credentials, answered as
 *   libprocess does: 401 with `WWW-Authenticate: Basic realm="<realm>"`
 *   (3rdparty/libprocess/src/authenticator.cpp `BasicAuthenticatorProcess::authenticate`).
 */

/** A principal and its secret, as in Mesos' `--credentials` file. */
export interface HttpCredentials {
  principal: string;
  secret: string;
}

export interface Refusal {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

const LOOPBACK_NAMES = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/** The host name of a Host header, without its port; undefined for a malformed header. */
export function hostName(hostHeader: string): string | undefined {
  const value = hostHeader.trim().toLowerCase();
  if (value.startsWith("[")) {
    const end = value.indexOf("]");
    return end < 0 ? undefined : value.slice(0, end + 1);
  }
  const colon = value.indexOf(":");
  return colon < 0 ? value : value.slice(0, colon);
}

/** True when a request without Host (HTTP/1.0 tools) or with a loopback Host may be served. */
export function isLoopbackHost(hostHeader: string | undefined): boolean {
  if (hostHeader === undefined) return true;
  const name = hostName(hostHeader);
  if (name === undefined) return false;
  return LOOPBACK_NAMES.has(name) || /^127(\.\d{1,3}){3}$/.test(name) || name.endsWith(".localhost");
}

export function refuseForeignHost(req: IncomingMessage): Refusal | undefined {
  if (isLoopbackHost(req.headers.host)) return undefined;
  return {
    status: 403,
    body: "Only requests addressed to a loopback name (127.0.0.1, localhost, [::1]) are served",
  };
}

/**
 * The principal of an `Authorization` header libprocess' Basic authenticator accepts, or undefined. It is strict:
 * the header is exactly `Basic` (that case), one space and the base64 of `principal:secret`, and the decoded text
 * must split on `:` into exactly two parts, so a secret (or principal) holding a colon is never accepted
 * (3rdparty/libprocess/src/authenticator.cpp `BasicAuthenticatorProcess::authenticate`).
 */
export function authenticatedPrincipal(
  header: string | undefined,
  credentials: HttpCredentials,
): string | undefined {
  if (header === undefined) return undefined;
  const components = header.split(" ");
  if (components.length !== 2 || components[0] !== "Basic") return undefined;
  const encoded = components[1] ?? "";
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) return undefined;
  const credential = Buffer.from(encoded, "base64").toString("utf8").split(":");
  if (credential.length !== 2) return undefined;
  const [principal = "", secret = ""] = credential;
  if (principal !== credentials.principal) return undefined;
  const given = Buffer.from(secret, "utf8");
  const expected = Buffer.from(credentials.secret, "utf8");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  return principal;
}

/** 401 as libprocess answers it when a protected endpoint gets no or wrong credentials. */
export function unauthorized(realm: string): Refusal {
  return {
    status: 401,
    body: "401 Unauthorized.",
    headers: { "WWW-Authenticate": `Basic realm="${realm}"` },
  };
}

/**
 * Checks credentials for a protected endpoint. Returns the principal (or null when the cluster runs without
 * authentication), or a 401 refusal.
 */
export function authenticate(
  req: IncomingMessage,
  credentials: HttpCredentials | undefined,
  realm: string,
): { principal: string | null } | Refusal {
  if (credentials === undefined) return { principal: null };
  const principal = authenticatedPrincipal(req.headers.authorization, credentials);
  return principal === undefined ? unauthorized(realm) : { principal };
}

/**
 * A request a browser sent: browsers add `Origin` to every cross-origin and every POST request, and
 * `Sec-Fetch-Site`/`Sec-Fetch-Dest` to every request they make. No Mesos client sends them (Node's fetch sends
 * `Sec-Fetch-Mode` only, so that one says nothing).
 */
export function fromBrowser(req: IncomingMessage): boolean {
  return (
    req.headers.origin !== undefined ||
    req.headers["sec-fetch-site"] !== undefined ||
    req.headers["sec-fetch-dest"] !== undefined
  );
}
