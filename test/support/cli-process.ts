import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { onTestFinished } from "vitest";

const BIN = join(import.meta.dirname, "..", "..", "bin", "titan.js");

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** The exit code, or null when a signal ended it. */
  exit: Promise<number | null>;
}

/**
 * The real CLI (bin/titan.js, the built files) in a process of its own, as a user runs it, with its output
 * collected; killed when the test ends if it still runs, pass or fail. Its environment is this process's with the
 * home's variables, or, given `base`, only `base` with them.
 */
export function titanProcess(
  argv: readonly string[],
  home: { cwd: string; vars: Record<string, string | undefined> },
  base: Record<string, string | undefined> = process.env,
): CliProcess {
  const child = spawn(process.execPath, [BIN, ...argv], {
    cwd: home.cwd,
    env: { ...base, ...home.vars, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString("utf8");
  });
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}
