import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { tempDir } from "../support/tmp.js";

const BIN = join(import.meta.dirname, "..", "..", "bin", "titan.js");
const hasScript = spawnSync("script", ["--version"]).status === 0;

/**
 * `titan init` in a terminal of its own (script(1) gives it a pty, so it asks), reporting its pid once it runs,
 * and what it drew and how it exited.
 */
function initInTerminal(cwd: string) {
  const home = join(cwd, "home");
  const child = spawn(
    "script",
    ["-qec", `sh -c 'echo PID=$$; exec "$0" "$1" init' ${process.execPath} ${BIN}`, "/dev/null"],
    {
      cwd,
      env: {
        ...process.env,
        HOME: home,
        XDG_STATE_HOME: join(home, "state"),
        XDG_CONFIG_HOME: join(home, "config"),
        XDG_DATA_HOME: join(home, "data"),
        NO_COLOR: "1",
        CI: "",
      },
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  let drawn = "";
  child.stdout.on("data", (chunk: Buffer) => {
    drawn += chunk.toString("utf8");
  });
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const asking = async (): Promise<number> => {
    for (let i = 0; i < 200; i++) {
      const pid = /PID=(\d+)/.exec(drawn)?.[1];
      if (pid !== undefined && drawn.includes("App name")) return Number(pid);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`titan init never asked; it drew: ${drawn}`);
  };
  return { asking, exit, drawn: () => drawn };
}

describe.skipIf(!hasScript)("a signal while a command waits at a question", () => {
  it.each(["SIGTERM", "SIGHUP"] as const)("%s stops it at once, exit 130, as Ctrl-C does", async (signal) => {
    const run = initInTerminal(tempDir());
    const pid = await run.asking();
    const sentAt = Date.now();
    process.kill(pid, signal);
    const code = await Promise.race([
      run.exit,
      new Promise<string>((r) => setTimeout(() => r("still asking"), 3000)),
    ]);
    expect(code).toBe(130);
    expect(Date.now() - sentAt).toBeLessThan(3000);
    expect(run.drawn()).toContain("interrupted");
  });
});
