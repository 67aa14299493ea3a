import { createHmac, randomBytes } from "node:crypto";

/**
 * A running cluster's instance token: made when it starts, kept in its record (0600) and in its memory only. Its
 * master proves it knows the token without showing it, by the HMAC of a caller's nonce, so whatever listens on a
 * dead cluster's port cannot pass for it (cluster-identity.ts).
 */
/** Where a cluster's master answers `?nonce=` with its pid and the proof (no Mesos master has it). */
export const IDENTITY_PATH = "/__titan_local/identity";

export function newInstance(): string {
  return randomBytes(16).toString("hex");
}

export function identityProof(instance: string, nonce: string): string {
  return createHmac("sha256", instance).update(nonce).digest("hex");
}
