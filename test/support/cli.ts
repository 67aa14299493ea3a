import { PassThrough } from "node:stream";
import { main } from "../../src/main.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  stdin?: string;
  signal?: AbortSignal;
}

/** Runs titan in-process with captured, non-TTY streams; the environment is exactly what the test passes. */
export async function runCli(argv: readonly string[], options: RunCliOptions = {}): Promise<CliResult> {
  const stdin = new PassThrough();
  stdin.end(options.stdin ?? "");
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
  });
  stderr.on("data", (chunk: Buffer) => {
    err += chunk.toString("utf8");
  });
  const code = await main(argv, {
    stdin,
    stdout,
    stderr,
    env: { NO_COLOR: "1", ...options.env },
    cwd: options.cwd ?? process.cwd(),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout: out, stderr: err };
}
