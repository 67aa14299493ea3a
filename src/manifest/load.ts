/** Reads manifest files (or stdin) and validates them. The only part of src/manifest that does I/O. */
import { stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { readCapped, readStreamCapped, TooLargeError } from "../cli/capped-read.js";
import { UsageError, ValidationError } from "../cli/errors.js";
import { type ManifestSource, parseManifests } from "./parse.js";
import type { Manifest } from "./types.js";
import { MAX_MANIFEST_BYTES } from "./yaml.js";

export const DEFAULT_MANIFEST = "titan.yaml";

export interface LoadOptions {
  cwd: string;
  stdin?: NodeJS.ReadableStream;
  /** Ends a read that waits (stdin, a FIFO without a writer yet). */
  signal?: AbortSignal;
}

/** Loads `files` relative to cwd (`-` is stdin); with no files, ./titan.yaml. */
export async function loadManifests(files: readonly string[], options: LoadOptions): Promise<Manifest> {
  const names = files.length > 0 ? files : [DEFAULT_MANIFEST];
  if (names.filter((name) => name === "-").length > 1)
    throw new UsageError(
      "-f - is given twice: stdin can be read only once",
      "pass -f - once, and the other manifests as files",
    );
  const sources: ManifestSource[] = [];
  for (const name of names) sources.push(await readSource(name, options, files.length === 0));
  return parseManifests(sources);
}

async function readSource(name: string, options: LoadOptions, implicit: boolean): Promise<ManifestSource> {
  if (name === "-") {
    if (!options.stdin) throw new UsageError("`-` reads the manifest from stdin, but there is no stdin here");
    const bytes = await capped(name, readStreamCapped(options.stdin, MAX_MANIFEST_BYTES, options.signal));
    return { file: name, text: decode(name, bytes) };
  }
  const path = resolve(options.cwd, name);
  try {
    const info = await stat(path);
    if (info.isDirectory())
      throw new UsageError(
        `${name} is a directory`,
        `pass the manifest file inside it, e.g. -f ${name}/titan.yaml`,
      );
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if (isMissing(error)) {
      throw new UsageError(
        `${name} not found`,
        implicit
          ? "run `titan init` to create titan.yaml here, or pass -f FILE"
          : "check the path, or run `titan init` to create a manifest",
      );
    }
    throw new UsageError(`cannot read ${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
  // Read with the cap whatever the file's size says: a device or a FIFO says 0 and may never end.
  const bytes = await capped(name, readCapped(path, MAX_MANIFEST_BYTES, options.signal)).catch(
    (error: unknown) => {
      if (error instanceof ValidationError || !isFsError(error)) throw error;
      throw new UsageError(`cannot read ${name}: ${error.message}`);
    },
  );
  return { file: name, text: decode(name, bytes), baseDir: dirname(path) };
}

/** The bytes read, or the manifest's size error past the limit. */
async function capped(name: string, read: Promise<Buffer>): Promise<Buffer> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof TooLargeError) throw tooLarge(name);
    throw error;
  }
}

function isFsError(error: unknown): error is NodeJS.ErrnoException & Error {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === "string";
}

function decode(file: string, bytes: Buffer): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ValidationError([
      {
        file,
        line: 1,
        col: 1,
        path: "",
        message: "the file is not valid UTF-8",
        hint: "save the manifest as UTF-8 text",
      },
    ]);
  }
}

function tooLarge(file: string): ValidationError {
  return new ValidationError([
    {
      file,
      line: 1,
      col: 1,
      path: "",
      message: `the file is larger than 1 MiB (${MAX_MANIFEST_BYTES} bytes), the limit for manifests`,
    },
  ]);
}

function isMissing(error: unknown): boolean {
  return error instanceof Error && "code" in error && (error.code === "ENOENT" || error.code === "ENOTDIR");
}
