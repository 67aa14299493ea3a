import { stat } from "node:fs/promises";
import { dirname } from "node:path";
import { UsageError } from "./errors.js";

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: "its directory does not exist",
  ENOTDIR: "its directory does not exist",
  EISDIR: "it is a directory",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EROFS: "read-only file system",
};

/** The usage error for a file the user named (`-o`, `-f`) that cannot be written: a bad path, not a titan bug. */
export function outputFileError(file: string, error: unknown): UsageError {
  const code = (error as NodeJS.ErrnoException).code ?? "unwritable";
  const reason = REASONS[code] ?? code;
  return new UsageError(
    `cannot write ${file} (${reason})`,
    "give a file path in an existing directory you can write to",
  );
}

/** Refuses, before any work, an output file whose directory does not exist, or that is a directory itself. */
export async function checkOutputDir(file: string, path: string): Promise<void> {
  const isDir = (at: string) =>
    stat(at).then(
      (s) => s.isDirectory(),
      () => false,
    );
  const dir = dirname(path);
  if (!(await isDir(dir))) throw outputFileError(file, Object.assign(new Error(dir), { code: "ENOENT" }));
  if (await isDir(path)) throw outputFileError(file, Object.assign(new Error(path), { code: "EISDIR" }));
}
