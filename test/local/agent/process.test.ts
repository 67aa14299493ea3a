import { spawn } from "node:child_process";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { detectDockerEngine } from "../../../src/local/agent/docker.js";
import { signalGroup, spawnGroupLeader, WATCHDOG_SCRIPT } from "../../../src/local/agent/process-group.js";
import { tempDir } from "../../support/tmp.js";
import { eventually, processAlive } from "./support.js";

function fakeDocker(exitCode: number): string {
  const dir = tempDir("titan-fake-docker-");
  const path = join(dir, "docker");
  writeFileSync(path, `#!/bin/sh\nexit ${exitCode}\n`);
  chmodSync(path, 0o755);
  return dir;
}

/** A detached `sleep` leading its own process group, killed when the test ends. */
function sleeperGroup(): number {
  const child = spawnGroupLeader("/bin/sh", ["-c", "sleep 30"], {
    argv0: "sh",
    cwd: tempDir(),
    env: {},
    stdoutFd: "ignore",
    stderrFd: "ignore",
  });
  const pid = child.pid ?? 0;
  onTestFinished(() => {
    signalGroup(pid, "SIGKILL");
  });
  return pid;
}

describe("Docker engine detection", () => {
  it("uses docker only when the CLI is on PATH and its daemon answers", async () => {
    const answering = fakeDocker(0);
    expect(await detectDockerEngine(answering)).toBe(join(answering, "docker"));
    expect(await detectDockerEngine(fakeDocker(1))).toBeUndefined();
    expect(await detectDockerEngine(tempDir())).toBeUndefined();
  });
});

describe("task process watchdog", () => {
  it("kills the groups it still guards when its parent goes away (stdin closes)", async () => {
    const guarded = sleeperGroup();
    const released = sleeperGroup();
    const watchdog = spawn("/bin/sh", ["-c", WATCHDOG_SCRIPT], { stdio: ["pipe", "ignore", "ignore"] });
    const exited = new Promise<void>((resolve) => watchdog.once("exit", () => resolve()));
    onTestFinished(() => {
      watchdog.kill("SIGKILL");
    });
    watchdog.stdin.write(`+ ${guarded}\n+ ${released}\n- ${released}\n`);
    watchdog.stdin.end();
    await eventually(() => !processAlive(guarded));
    await exited;
    expect(processAlive(released)).toBe(true);
  });

  it("deletes the containers and removes the directories it still guards, not those already let go", async () => {
    const dir = tempDir("titan-fake-runc-");
    const calls = join(dir, "calls");
    const runc = join(dir, "runc");
    writeFileSync(runc, `#!/bin/sh\necho "$@" >> ${calls}\n`);
    chmodSync(runc, 0o755);
    const watchdog = spawn("/bin/sh", ["-c", WATCHDOG_SCRIPT], { stdio: ["pipe", "ignore", "ignore"] });
    const exited = new Promise<void>((resolve) => watchdog.once("exit", () => resolve()));
    onTestFinished(() => {
      watchdog.kill("SIGKILL");
    });
    const work = tempDir("titan-watchdog-work-");
    const kept = tempDir("titan-watchdog-kept-");
    watchdog.stdin.write(
      `r ${runc}\nc task-a ${dir}/a\nc task-b ${dir}/b\nC task-b ${dir}/b\nc task-c ${dir}/a\n`,
    );
    watchdog.stdin.write(`d ${work}\nd ${kept}\nD ${kept}\n`);
    watchdog.stdin.end();
    await exited;
    // The directories it still guards go (a killed cluster's work directory), the others stay.
    expect(existsSync(work)).toBe(false);
    expect(existsSync(kept)).toBe(true);
    expect(readFileSync(calls, "utf8").trim().split("\n").sort()).toEqual([
      `--root ${dir}/a delete --force task-a`,
      `--root ${dir}/a delete --force task-c`,
    ]);
  });
});
