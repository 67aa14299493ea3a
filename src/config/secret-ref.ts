import { readFile } from "node:fs/promises";
import { TitanError } from "../cli/errors.js";
import type { SecretRef } from "./types.js";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses `env:NAME` or `file:/path`; returns an error message for anything else. */
export function parseSecretRef(raw: string): SecretRef | string {
  const colon = raw.indexOf(":");
  const scheme = colon < 0 ? "" : raw.slice(0, colon);
  const ref = colon < 0 ? "" : raw.slice(colon + 1);
  if (scheme === "env") {
    return ENV_NAME.test(ref)
      ? { source: "env", ref, raw }
      : `"${raw}" does not name an environment variable`;
  }
  if (scheme === "file") {
    return ref.length > 0 ? { source: "file", ref, raw } : `"${raw}" does not name a file`;
  }
  return "a secret must be a reference, `env:NAME` or `file:/path`, never the secret itself";
}

/** Reads the secret's value. The value is never part of an error message. */
export async function resolveSecretRef(
  secret: SecretRef,
  vars: Readonly<Record<string, string | undefined>>,
): Promise<string> {
  if (secret.source === "env") {
    const value = vars[secret.ref];
    if (value === undefined || value === "") {
      throw new TitanError(`secret ${secret.raw} is not set`, {
        hint: `export ${secret.ref} before running titan`,
      });
    }
    return value;
  }
  try {
    return (await readFile(secret.ref, "utf8")).replace(/\r?\n$/, "");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new TitanError(`secret ${secret.raw} cannot be read (${code})`, {
      hint: "check the path and that titan may read it",
    });
  }
}
