/**
 * The one definition of a secret reference, for the manifest (`env: {X: {secret: ...}}`) and the user config
 * (`auth.secret`): `env:NAME` names a variable of the deploying machine's environment, `file:/absolute/path` a
 * file on it. Nothing here ever puts a value, or a malformed reference (it may be the secret itself), in a
 * message.
 */
import { isAbortError, readCapped, TooLargeError } from "../cli/capped-read.js";
import { TitanError } from "../cli/errors.js";
import { describeCharacter, findControlCharacter } from "../cli/terminal-text.js";
import type { SecretRef } from "./types.js";

/**
 * A secret reference whose value cannot be had: the variable is not set, the file cannot be read, or the value
 * holds control characters. Something to fix where the reference is written, not a cluster that is down.
 */
export class SecretUnreadableError extends TitanError {}

/** The most of a `file:` secret titan reads: a password, a token or a certificate is far less. */
export const MAX_SECRET_BYTES = 1024 * 1024;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The reference grammar as a regular expression (for the JSON Schema); parseSecretRef is the authority. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: a file path with control characters is refused
export const SECRET_REF_PATTERN = /^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/[^\u0000-\u001f\u007f-\u009f]*)$/;

export const SECRET_REF_HINT =
  'write "env:NAME" or "file:/absolute/path"; the secret itself is read only when it is needed';

/** Parses `env:NAME` or `file:/absolute/path`; returns why not (never echoing the text) for anything else. */
export function parseSecretRef(raw: string): SecretRef | string {
  const colon = raw.indexOf(":");
  const scheme = colon < 0 ? "" : raw.slice(0, colon);
  const ref = colon < 0 ? "" : raw.slice(colon + 1);
  if (scheme === "env") {
    return ENV_NAME.test(ref)
      ? { source: "env", ref, raw }
      : "an `env:` secret reference needs a variable name (letters, digits and _, not starting with a digit); the text is not shown";
  }
  if (scheme === "file") {
    if (!ref.startsWith("/"))
      return "a `file:` secret reference needs an absolute path (file:/path); the text is not shown";
    if (findControlCharacter(ref) !== undefined)
      return "a `file:` secret reference holds a control character; the text is not shown";
    return { source: "file", ref, raw };
  }
  return "is not a secret reference (`env:NAME` or `file:/path`), and its text is not shown since it may be the secret itself";
}

export interface ResolveOptions {
  /** Whether the value may span lines (an environment variable may hold a certificate; a password may not). */
  lineBreaks?: boolean;
  /** Ends a read that waits (a FIFO without a writer yet). */
  signal?: AbortSignal;
}

/**
 * A manifest env secret: `env:`/`file:` (read on the deploying machine), or `mesos:NAME` / `mesos:NAME#KEY`, a
 * reference into the cluster's secret store that the agent's secret resolver module reads at launch (mesos.proto
 * `Secret.Reference`: `name`, optional `key`); titan never reads it.
 */
export type EnvSecretRef = SecretRef | { source: "mesos"; ref: string; key?: string; raw: string };

// biome-ignore lint/suspicious/noControlCharactersInRegex: a secret store name with control characters is refused
const MESOS_SECRET = /^mesos:([^#\u0000-\u001f\u007f-\u009f]+)(?:#([^#\u0000-\u001f\u007f-\u009f]+))?$/;

/** The env reference grammar (for the JSON Schema): the common one, or `mesos:NAME[#KEY]`. */
export const ENV_SECRET_REF_PATTERN = new RegExp(
  `^(?:${SECRET_REF_PATTERN.source.slice(1, -1)}|${MESOS_SECRET.source.slice(1, -1)})$`,
);

export const ENV_SECRET_REF_HINT =
  'write "env:NAME" or "file:/absolute/path" (read when deploying), or "mesos:NAME" / "mesos:NAME#KEY" (a reference the agents resolve, on a cluster with `secrets: mesos`)';

/** Parses an env secret reference; returns why not (never echoing the text) for anything else. */
export function parseEnvSecretRef(raw: string): EnvSecretRef | string {
  if (!raw.startsWith("mesos:")) return parseSecretRef(raw);
  const match = MESOS_SECRET.exec(raw);
  if (match === null)
    return "a `mesos:` secret reference needs a name in the cluster's secret store, optionally `#key`, without control characters; the text is not shown";
  const [, name, key] = match as unknown as [string, string, string | undefined];
  return key === undefined ? { source: "mesos", ref: name, raw } : { source: "mesos", ref: name, key, raw };
}

/** Reads the secret's value. The value is never part of an error message. */
export async function resolveSecretRef(
  secret: SecretRef,
  vars: Readonly<Record<string, string | undefined>>,
  options: ResolveOptions = {},
): Promise<string> {
  const value = await readSecret(secret, vars, options.signal);
  const control = findControlCharacter(value, options);
  if (control !== undefined) {
    throw new SecretUnreadableError(
      `secret ${secret.raw} holds the control character ${describeCharacter(control.code)}; its value is not shown`,
      {
        hint:
          secret.source === "file"
            ? "store the secret as text without NUL or control characters (a binary secret must be encoded, e.g. base64)"
            : `set ${secret.ref} to text without NUL or control characters`,
      },
    );
  }
  return value;
}

async function readSecret(
  secret: SecretRef,
  vars: Readonly<Record<string, string | undefined>>,
  signal: AbortSignal | undefined,
): Promise<string> {
  if (secret.source === "env") {
    const value = vars[secret.ref];
    if (value === undefined || value === "") {
      throw new SecretUnreadableError(`secret ${secret.raw} is not set`, {
        hint: `export ${secret.ref} before running titan`,
      });
    }
    return value;
  }
  let bytes: Buffer;
  try {
    // Read with the cap whatever the file's size says: a device or a FIFO says 0 and may never end.
    bytes = await readCapped(secret.ref, MAX_SECRET_BYTES, signal);
  } catch (error) {
    if (isAbortError(error)) throw error;
    if (error instanceof TooLargeError)
      throw new SecretUnreadableError(
        `secret ${secret.raw} is larger than ${MAX_SECRET_BYTES >> 20} MiB; its value is not shown`,
        { hint: "a secret file holds one value (a password, a token, a certificate): check the path" },
      );
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new SecretUnreadableError(`secret ${secret.raw} cannot be read (${code})`, {
      hint: "check the path and that titan may read it",
    });
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes).replace(/\r?\n$/, "");
  } catch {
    throw new SecretUnreadableError(`secret ${secret.raw} is not UTF-8 text; its value is not shown`, {
      hint: "a binary secret must be stored encoded, e.g. base64",
    });
  }
}
