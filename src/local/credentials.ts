import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { HttpCredentials } from "./http-guard.js";

/**
 * The local cluster's HTTP credentials. Every cluster `titan local up` starts requires HTTP Basic authentication on
 * its APIs (as a master started with --authenticate_http_readwrite, --authenticate_http_readonly and
 * --authenticate_frameworks): without it any local user, or a web page that rebinds a DNS name to 127.0.0.1, could
 * run commands as the cluster's owner. The secret lives in a file only its owner can read; titan reads it for the
 * built-in `local` context.
 */

/** Where a cluster's principal and secret come from: the state file records this, never the secret itself. */
export interface CredentialSource {
  principal: string;
  /** A file holding the secret (its first line). */
  secretFile: string;
}

export const DEFAULT_PRINCIPAL = "titan";

/** Reads a secret file: its first line, without the line ending. */
export function readSecretFile(path: string): string {
  const text = readFileSync(path, "utf8");
  const secret = text.split(/\r?\n/, 1)[0] ?? "";
  if (secret === "") throw new Error(`${path} is empty`);
  return secret;
}

export function loadCredentials(source: CredentialSource): HttpCredentials {
  return { principal: source.principal, secret: readSecretFile(source.secretFile) };
}

/** Writes a new random secret to `path`, readable by its owner only (0600), replacing any earlier one. */
export function writeGeneratedSecret(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o711 });
  rmSync(path, { force: true });
  const fd = openSync(path, "wx", 0o600);
  try {
    writeSync(fd, `${randomBytes(24).toString("base64url")}\n`);
  } finally {
    closeSync(fd);
  }
  chmodSync(path, 0o600);
}

/** Parses `--auth principal:secretfile`. */
export function parseAuthFlag(text: string): CredentialSource | undefined {
  const colon = text.indexOf(":");
  if (colon <= 0 || colon === text.length - 1) return undefined;
  return { principal: text.slice(0, colon), secretFile: text.slice(colon + 1) };
}

/** What titan needs to talk to the running local cluster recorded in `stateFile`. */
export interface LocalClusterAccess {
  url: string;
  auth?: HttpCredentials;
}

/**
 * The URL and credentials of the local cluster recorded in its state file, or undefined when none is recorded.
 * Throws when the recorded secret file cannot be read (the cluster then refuses every call anyway).
 */
export function localClusterAccess(stateFile: string): LocalClusterAccess | undefined {
  let state: { url?: unknown; auth?: { principal?: unknown; secretFile?: unknown } };
  try {
    state = JSON.parse(readFileSync(stateFile, "utf8")) as typeof state;
  } catch {
    return undefined;
  }
  if (typeof state.url !== "string") return undefined;
  const auth = state.auth;
  if (typeof auth?.principal !== "string" || typeof auth.secretFile !== "string") return { url: state.url };
  return {
    url: state.url,
    auth: loadCredentials({ principal: auth.principal, secretFile: auth.secretFile }),
  };
}

/**
 * The credentials of the local cluster recorded in `stateFile`, for a command whose target masters are all that
 * cluster's URL (never for another address, nor for a list that also names one: they are this cluster's secret).
 */
export function localCredentialsFor(
  stateFile: string,
  masters: readonly string[],
): HttpCredentials | undefined {
  // The URL is compared first: the secret file is read only for this cluster's own URL.
  const url = recordedUrl(stateFile);
  if (url === undefined) return undefined;
  const origin = originOf(url);
  if (masters.length === 0 || !masters.every((m) => originOf(m) === origin)) return undefined;
  return localClusterAccess(stateFile)?.auth;
}

/** The URL of the local cluster recorded in `stateFile`, if any. */
export function recordedUrl(stateFile: string): string | undefined {
  try {
    const { url } = JSON.parse(readFileSync(stateFile, "utf8")) as { url?: unknown };
    return typeof url === "string" ? url : undefined;
  } catch {
    return undefined;
  }
}

function originOf(master: string): string | undefined {
  try {
    return new URL(master.includes("://") ? master : `http://${master}`).origin;
  } catch {
    return undefined;
  }
}
