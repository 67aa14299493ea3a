import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { titanProcess } from "../support/cli-process.js";
import { isolatedHome, storeWithApi } from "../support/state-home.js";

const BIN = join(import.meta.dirname, "..", "..", "bin", "titan.js");
const fixture = (path: string): string => join(import.meta.dirname, "..", "..", "fixtures", path);

/** The real CLI with stdout (or stderr) on /dev/full, where every write fails with ENOSPC. */
function onFullDevice(
  argv: readonly string[],
  vars: Record<string, string>,
  which: "stdout" | "stderr",
): { exit: Promise<number | null>; said: () => string } {
  const full = openSync("/dev/full", "w");
  const child: ChildProcess = spawn(process.execPath, [BIN, ...argv], {
    env: { ...process.env, ...vars, NO_COLOR: "1" },
    stdio: ["ignore", which === "stdout" ? full : "pipe", which === "stderr" ? full : "pipe"],
  });
  closeSync(full);
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  let said = "";
  (which === "stdout" ? child.stderr : child.stdout)?.on("data", (chunk: Buffer) => {
    said += chunk.toString("utf8");
  });
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { exit, said: () => said };
}

describe("stdout that cannot be written (a full disk, a device error)", () => {
  // It was an uncaught ENOSPC from bin/titan.js: a stack trace, exit 1, and `state export` first said "Exported".
  it.each([
    ["schema", ["schema"]],
    ["version --json", ["version", "--json"]],
    ["state export", ["state", "export", "--store", "STORE"]],
  ])("%s: one error line with a hint, exit 1, no success line", async (_, argv) => {
    const { env, dir } = isolatedHome();
    const store = await storeWithApi(join(dir, "store"));
    const run = onFullDevice(
      argv.map((a) => (a === "STORE" ? store : a)),
      env,
      "stdout",
    );
    expect(await run.exit).toBe(1);
    const lines = run.said().trimEnd().split("\n");
    expect(lines[0]).toBe("error: cannot write to stdout: no space left on device (ENOSPC)");
    expect(lines[1]).toMatch(/^hint: /);
    expect(lines).toHaveLength(2);
  });
});

describe("stderr that cannot be written", () => {
  // The error cannot be said anywhere; the exit code is the one word left, so it is the command's own.
  it("leaves the command its own exit code (a usage error stays 2)", async () => {
    const { env } = isolatedHome();
    const run = onFullDevice(["version", "extra"], env, "stderr");
    expect(await run.exit).toBe(2);
  });

  it("leaves a command that succeeds its exit 0", async () => {
    const { env, dir } = isolatedHome();
    const store = await storeWithApi(join(dir, "store"));
    const run = onFullDevice(["state", "export", "--store", store], env, "stderr");
    expect(await run.exit).toBe(0);
    expect(JSON.parse(run.said()).apps[0].app).toBe("api");
  });
});

describe("a reader of stdout gone before the output was delivered", () => {
  // `titan state export | (exec 0<&-; sleep 1)`: exit 0 and "Exported 1 app(s)" though the JSON went nowhere.
  it.each([
    ["state export", ["state", "export", "--store", "STORE"]],
    ["version --json", ["version", "--json"]],
    ["schema", ["schema"]],
    [
      "plan --json",
      [
        "plan",
        "--dry-run",
        "-f",
        fixture("manifests/example.yaml"),
        "--snapshot",
        fixture("snapshots/us-east.json"),
      ].concat(["--region", "us-east", "--json"]),
    ],
  ])("%s: exit 130, no success line", async (_, argv) => {
    const { env, dir } = isolatedHome();
    const store = await storeWithApi(join(dir, "store"));
    const titan = titanProcess(
      argv.map((a) => (a === "STORE" ? store : a)),
      { cwd: dir, vars: env },
    );
    titan.child.stdout?.destroy();
    expect(await titan.exit).toBe(130);
    expect(titan.stderr()).not.toContain("Exported");
  });
});
