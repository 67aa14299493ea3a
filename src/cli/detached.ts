import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, closeSync, existsSync, openSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * A file of titan's installation, by its path from the package root (the first folder above this module with a
 * package.json: the checkout, or the installed package), whether titan runs from dist/ or from its sources.
 */
export function installedFile(relative: string): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, relative);
    if (existsSync(join(dir, "package.json")) && existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return undefined;
}

/**
 * Runs `node args…` in a session of its own, so that it outlives this process and its terminal, with stderr
 * appended to `logFile`, and stdout to `outFile` when given (else to `logFile` too); both readable by their owner
 * only.
 */
export function spawnDetached(
  args: readonly string[],
  logFile: string,
  options: { cwd: string; env?: NodeJS.ProcessEnv; outFile?: string },
): ChildProcess {
  const log = openPrivate(logFile);
  const out = options.outFile === undefined ? log : openPrivate(options.outFile);
  try {
    const child = spawn(process.execPath, [...args], {
      detached: true,
      stdio: ["ignore", out, log],
      cwd: options.cwd,
      ...(options.env === undefined ? {} : { env: options.env }),
    });
    child.unref();
    return child;
  } finally {
    closeSync(log);
    if (out !== log) closeSync(out);
  }
}

function openPrivate(file: string): number {
  const fd = openSync(file, "a", 0o600);
  chmodSync(file, 0o600);
  return fd;
}
