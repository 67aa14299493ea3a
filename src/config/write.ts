import { randomBytes } from "node:crypto";
import { chmod, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Document } from "yaml";
import { UsageError, ValidationError } from "../cli/errors.js";
import { parseConfigDocument, validateConfig } from "./load.js";
import type { UserConfig } from "./types.js";

/** A change to the config, made on the YAML document so the user's comments and ordering survive. */
export type ConfigEdit = (document: Document) => void;

/** The flag (or argument) that set a config path, e.g. `clusters.prod.role` -> `--role`; undefined if none. */
export type FlagOf = (path: string) => string | undefined;

/**
 * Applies edits, validates the result as a whole and only then replaces the file atomically (write to a temp file
 * in the same directory, then rename), with mode 0600 since the file may name credentials.
 */
export async function saveConfig(
  file: string,
  document: Document,
  edits: readonly ConfigEdit[],
  flagOf: FlagOf = () => undefined,
): Promise<UserConfig> {
  if (document.contents === null) document.contents = document.createNode({});
  for (const edit of edits) edit(document);
  const text = document.toString({ lineWidth: 0 });
  const reparsed = parseConfigDocument(text);
  const config = validateEdited(reparsed, file, flagOf);
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(temp, text, { mode: 0o600 });
    await chmod(temp, 0o600);
    await rename(temp, file);
  } finally {
    await rm(temp, { force: true });
  }
  return config;
}

export function setIn(path: readonly string[], value: unknown): ConfigEdit {
  return (document) => {
    document.setIn(path, document.createNode(value));
  };
}

export function deleteIn(path: readonly string[]): ConfigEdit {
  return (document) => {
    document.deleteIn(path);
  };
}

/**
 * The edited config, validated. Its problems are reported by the flag that caused them (or the config path), never
 * by a line of a file that was not written.
 */
function validateEdited(
  parsed: ReturnType<typeof parseConfigDocument>,
  file: string,
  flagOf: FlagOf,
): UserConfig {
  try {
    return validateConfig(parsed, file);
  } catch (error) {
    const first = error instanceof ValidationError ? error.diagnostics[0] : undefined;
    if (first === undefined) throw error;
    const more = error instanceof ValidationError ? error.diagnostics.length - 1 : 0;
    throw new UsageError(
      `${flagOf(first.path) ?? first.path}: ${first.message}${more > 0 ? ` (and ${more} more)` : ""}`,
      `${first.hint ? `${first.hint}; ` : ""}nothing was written to ${file}`,
    );
  }
}
