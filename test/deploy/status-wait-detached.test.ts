import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { TitanError } from "../../src/cli/errors.js";
import {
  DETACHED_RUN_VAR,
  endDetachedRun,
  recordDetachedRun,
  runFileFor,
} from "../../src/commands/deploy/detached-run.js";
import { runStatus } from "../../src/commands/status/run.js";
import { storePlaces } from "../../src/state/store-identity.js";
import { testEnv } from "../support/env.js";

/** Nothing answers here: a wait that ends before any status is read never asks. */
const flags = { master: "http://127.0.0.1:1" };

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

/** A process that stands for the detached deploy: alive until the test ends it. */
function deployProcess(): ChildProcess & { pid: number } {
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
  children.push(child);
  if (child.pid === undefined) throw new Error("the stand-in deploy did not start");
  return child as ChildProcess & { pid: number };
}

/** A detached deploy of web as `titan deploy --detach` records it, its log saying what it waits for. */
async function detachedDeploy(t: ReturnType<typeof testEnv>, startedAt: number) {
  const child = deployProcess();
  const dir = join(t.env.paths.stateDir, "deploys");
  mkdirSync(dir, { recursive: true });
  const log = join(dir, "web-2026-01-01T12-00-00-000Z.log");
  writeFileSync(
    log,
    "waiting for the master: 3 agent(s) have not re-registered since the master failed over\nhint: agents re-register once they run\n",
  );
  const file = runFileFor(log);
  recordDetachedRun(file, {
    app: "web",
    pid: child.pid,
    startedAt,
    log,
    output: log.replace(/\.log$/, ".out"),
    stores: storePlaces((await t.env.target(flags)).stateUrl),
    region: undefined,
  });
  return { child, log, file };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("titan status --wait for a detached deploy that has not recorded its release", () => {
  it("waits for it, says what it last said, and exits as it did when it ends before recording one", async () => {
    const t = testEnv();
    const { child, log, file } = await detachedDeploy(t, Date.now());
    const waiting = runStatus(t.env, ["web"], { json: false, wait: true, ...flags });
    const line = `web: deploy starting (detached, pid ${child.pid}), no release recorded yet: waiting for the master: 3 agent(s) have not re-registered since the master failed over`;
    await until(() => t.err().includes(line), "the line saying the deploy is on its way");
    // Its wait for the master timed out: it ends with exit 7, and says so in its record.
    endDetachedRun({ [DETACHED_RUN_VAR]: file }, 7, Date.now());
    child.kill("SIGKILL");
    const error = await waiting.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TitanError);
    expect(error).toMatchObject({
      exitCode: 7,
      message: `the detached deploy of web (pid ${child.pid}) ended (exit 7) before it recorded a release`,
      hint: `its log says why: ${log}`,
    });
  }, 20_000);

  it("times out while it has not recorded one, and counts one that vanished without a word as a runtime error", async () => {
    const t = testEnv();
    const { child } = await detachedDeploy(t, Date.now());
    // --timeout is counted on the clock of the command.
    const ticking = { ...t.env, clock: { now: () => Date.now() } };
    const timedOut = await runStatus(ticking, ["web"], {
      json: false,
      wait: true,
      timeout: "1s",
      ...flags,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(timedOut).toMatchObject({
      exitCode: 7,
      message: "web: its deploy has still not recorded its release after --timeout 1s",
    });
    const waiting = runStatus(t.env, ["web"], { json: false, wait: true, ...flags });
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill("SIGKILL");
    await expect(waiting).rejects.toMatchObject({
      exitCode: 1,
      message: `the detached deploy of web (pid ${child.pid}) is gone before it recorded a release`,
    });
  }, 20_000);

  it("knows no app by a detached deploy that ended before the wait began", async () => {
    const t = testEnv();
    const { child, file } = await detachedDeploy(t, Date.now());
    endDetachedRun({ [DETACHED_RUN_VAR]: file }, 4, Date.now());
    child.kill("SIGKILL");
    await expect(runStatus(t.env, ["web"], { json: false, wait: true, ...flags })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('titan knows no app named "web"'),
    });
  });
});
