import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { startTestCluster, type TestCluster } from "../support/local-cluster.js";
import {
  dataHome,
  events,
  FAST,
  home,
  liveTasks,
  lockFile,
  releaseOf,
  titan,
  writeWebApp,
} from "./harness.js";

const BIN = join(import.meta.dirname, "..", "..", "bin", "titan.js");
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

interface Running {
  child: ChildProcess;
  /** Every NDJSON record the child wrote so far. */
  lines: string[];
  stderr: () => string;
  exit: Promise<number | null>;
}

/** The real CLI (bin/titan.js, built files) in a process of its own, as a user runs it. */
function titanProcess(args: readonly string[], h: ReturnType<typeof home>): Running {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: h.cwd,
    env: { ...process.env, ...h.vars, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  const lines: string[] = [];
  let err = "";
  child.stdout?.on("data", (chunk: Buffer) =>
    lines.push(...chunk.toString("utf8").split("\n").filter(Boolean)),
  );
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString("utf8");
  });
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, lines, stderr: () => err, exit };
}

async function until(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 1500; i++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function outcomes(h: ReturnType<typeof home>): Promise<string[]> {
  const listed = JSON.parse((await titan(["releases", "web", "--json"], h)).stdout).releases;
  return listed.map((r: { outcome: string }) => r.outcome);
}

/**
 * Re-running the same deploy, as the exit message advises, finishes the release without launching any instance
 * twice; with `launchesWentOut`, it launches nothing at all and only waits on the gates.
 */
async function rerunFinishes(
  h: ReturnType<typeof home>,
  file: string,
  url: string,
  launchesWentOut: boolean,
): Promise<void> {
  const again = await titan(["deploy", "-f", file, "--master", url, "--yes", "--json"], h);
  expect(again.code).toBe(0);
  const list = events(again.stdout);
  expect(list.find((e) => e.type === "done")).toMatchObject({ outcome: "deployed", release: 1 });
  if (launchesWentOut) expect(list.filter((e) => e.type === "launch")).toEqual([]);
  expect(await outcomes(h)).toEqual(["deployed"]);
  const live = (await liveTasks(url)).map((t) => t.id).sort();
  if (launchesWentOut) expect(live).toEqual(["web.1.0.1", "web.1.1.1", "web.1.2.1"]);
  // A launch written ahead whose ACCEPT the interruption cut off is launched again under an id of its own.
  else expect(live.map((id) => id.replace(/\.\d+$/, ""))).toEqual(["web.1.0", "web.1.1", "web.1.2"]);
}

describe("stopping titan deploy at any point, then re-running it", () => {
  it.each([
    ["SIGINT", "after every launch went out"],
    ["SIGHUP", "after every launch went out"],
    ["SIGINT", "while waiting on health"],
    ["SIGHUP", "while waiting on health"],
    ["SIGTERM", "while waiting on health"],
  ] as const)(
    "%s %s: exit 130, lock released, the re-run finishes the release",
    async (signal, point) => {
      const local = await startTestCluster(FAST);
      const h = home();
      // A long min_healthy_time keeps the deploy waiting on its gates after the launches.
      const file = writeWebApp(h.cwd, { instances: 3 });
      const run = titanProcess(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
      await until(async () => {
        const live = await liveTasks(local.url);
        if (point === "while waiting on health") return live.some((t) => t.state === "TASK_RUNNING");
        return live.length === 3;
      }, point);
      run.child.kill(signal);
      expect(await run.exit).toBe(130);
      expect(run.stderr()).toContain("re-run `titan deploy");
      expect(existsSync(lockFile(h))).toBe(false);
      expect(await outcomes(h)).toEqual(["pending"]);
      await rerunFinishes(h, file, local.url, true);
    },
    60_000,
  );

  it("a second Ctrl-C still releases the lock and records the progress", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 3 });
    const run = titanProcess(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    await until(async () => (await liveTasks(local.url)).length === 3, "the launches");
    run.child.kill("SIGINT");
    run.child.kill("SIGINT");
    expect(await run.exit).toBe(130);
    // Two signals sent back to back may reach it as one (a pending signal does not queue), so its line is not
    // asserted here: test/cli/second-signal.test.ts pins what a second signal says, with a lock held and without.
    expect(existsSync(lockFile(h))).toBe(false);
    expect(await outcomes(h)).toEqual(["pending"]);
    await rerunFinishes(h, file, local.url, true);
  }, 60_000);

  it("a closed stdout (deploy --json | head -1) never ends in exit 0, even once the deploy finished", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 3 });
    const run = titanProcess(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    await until(() => run.lines.length > 0, "the first line");
    run.child.stdout?.destroy();
    // Never 0: the lines it wrote after the first went nowhere, even when the deploy had finished by then.
    expect(await run.exit).toBe(130);
    expect(existsSync(lockFile(h))).toBe(false);
    const last = (await outcomes(h)).at(-1);
    // Either it finished the deploy before it noticed, or it stopped as an interruption does.
    if (last !== "deployed") {
      expect(run.stderr()).toMatch(/interrupted/);
      await rerunFinishes(h, file, local.url, false);
    }
  }, 60_000);

  it.each(["SIGINT", "SIGHUP"] as const)(
    "%s during a rollback: exit 130, lock released; the re-run rolls the failing release back again",
    async (signal) => {
      const local = await startTestCluster(FAST);
      const h = home();
      // Old tasks stop before new ones start, so the rollback has instances of release 1 to launch again.
      const policy = { instances: 2, maxSurge: 0, maxUnavailable: 1 };
      const file = writeWebApp(h.cwd, { ...policy, ...ROLLBACK_DEADLINES });
      expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
      writeWebApp(h.cwd, { ...policy, version: "2", healthPath: "/broken" });
      const run = titanProcess(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
      await until(() => run.lines.some((l) => l.includes('"type":"rollback"')), "the rollback");
      run.child.kill(signal);
      expect(await run.exit).toBe(130);
      expect(existsSync(lockFile(h))).toBe(false);
      const again = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
      expect(again.code, again.stderr).toBe(5);
      expect((await outcomes(h)).at(-1)).toBe("rolled_back");
      const live = await liveTasks(local.url);
      expect(live.map((t) => releaseOf(t.id))).toEqual([1, 1]);
      expect(run.stderr()).toMatch(
        /error: deploy of web interrupted while rolling release 2 back to release 1 \(.+\); the cluster keeps what runs/,
      );
      expect(run.stderr()).toContain(
        `hint: finish the rollback with \`titan rollback web --master ${local.url}\`; re-running \`titan deploy -f ${file} --master ${local.url}\` deploys release 2 again`,
      );
      // The re-run deploys release 2 again with task ids of its own: Mesos keys status updates by task id, so a
      // reused id (its last update maybe still unacknowledged) would have its updates taken for the old task's.
      const before = launchedIds(run.lines);
      const after = launchedIds(again.stdout.split("\n"));
      expect(before.length).toBeGreaterThan(0);
      expect(after.filter((id) => before.includes(id))).toEqual([]);
    },
    60_000,
  );
});

function launchedIds(lines: readonly string[]): string[] {
  return events(lines.join("\n"))
    .filter((e) => e.type === "launch")
    .map((e) => String(e.task));
}

function progressFile(h: ReturnType<typeof home>): string {
  return join(dataHome(h), "titan", "state", "local", "apps", "web", "progress.json");
}

type Stop = "SIGKILL" | "SIGINT" | "SIGHUP" | "closed stdout";
type Step = "after taking the lock" | "after the write-ahead record";

/**
 * Holds the deploy at a step with the local cluster's fault injection, so the step is reached for certain and not
 * raced: without offers it waits after taking the lock and recording its release; with its ACCEPTs held, after
 * writing the task ids ahead of the launch and before the master launched any of them.
 */
async function holdAt(step: Step, local: TestCluster): Promise<void> {
  if (step === "after taking the lock") await local.faults.withholdOffers(true);
  else await local.faults.holdAccepts(100);
}

async function heldAccepts(local: TestCluster): Promise<number> {
  const state = (await local.faults.state()) as { faults: { held_accepts: number } };
  return state.faults.held_accepts;
}

async function reached(
  step: Step,
  run: Running,
  h: ReturnType<typeof home>,
  local: TestCluster,
): Promise<void> {
  await until(
    () => existsSync(lockFile(h)) && run.lines.some((l) => l.includes('"type":"release"')),
    "the lock",
  );
  if (step === "after taking the lock") return;
  await until(async () => (await heldAccepts(local)) > 0, "a held ACCEPT");
  const progress = JSON.parse(readFileSync(progressFile(h), "utf8")) as { launched: string[] };
  expect(progress.launched.length).toBeGreaterThan(0);
}

/** Stops the run; a closed stdout is noticed at the next write, so the deploy is let go on for it. */
async function stopRun(stop: Stop, run: Running, local: TestCluster): Promise<number | null> {
  if (stop === "closed stdout") {
    run.child.stdout?.destroy();
    await local.faults.withholdOffers(false);
    await local.faults.holdAccepts(0);
    return run.exit;
  }
  run.child.kill(stop);
  const code = await run.exit;
  // The master drops a held ACCEPT once it sees its caller gone; only then is the fault lifted.
  await until(async () => (await heldAccepts(local)) === 0, "the held ACCEPTs dropped");
  await local.faults.withholdOffers(false);
  await local.faults.holdAccepts(0);
  // Nothing reached the agents.
  expect(await liveTasks(local.url)).toEqual([]);
  return code;
}

describe("stopping titan deploy before anything launched, then re-running it", () => {
  it.each([
    ["SIGKILL", "after taking the lock"],
    ["SIGKILL", "after the write-ahead record"],
    ["SIGINT", "after taking the lock"],
    ["SIGINT", "after the write-ahead record"],
    ["SIGHUP", "after taking the lock"],
    ["SIGHUP", "after the write-ahead record"],
    ["closed stdout", "after taking the lock"],
    ["closed stdout", "after the write-ahead record"],
  ] as Array<[Stop, Step]>)(
    "%s %s: the re-run finishes the one release, nothing launched twice",
    async (stop, step) => {
      const local = await startTestCluster(FAST);
      const h = home();
      const file = writeWebApp(h.cwd, { instances: 3 });
      await holdAt(step, local);
      const run = titanProcess(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
      await reached(step, run, h, local);
      const code = await stopRun(stop, run, local);
      if (stop === "SIGKILL") {
        // Nothing cleaned up: the lock stays, naming a process that is gone.
        expect(existsSync(lockFile(h))).toBe(true);
        expect(await outcomes(h)).toEqual(["pending"]);
      } else {
        expect(existsSync(lockFile(h))).toBe(false);
        // A closed stdout may let the deploy finish; it never passes for success otherwise.
        if (code === 0) {
          expect(await outcomes(h)).toEqual(["deployed"]);
          return;
        }
        expect(code).toBe(130);
        expect(run.stderr()).toMatch(/interrupted/);
        expect(await outcomes(h)).toEqual(["pending"]);
      }

      const again = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
      expect(again.code, again.stderr).toBe(0);
      if (stop === "SIGKILL")
        expect(again.stderr).toMatch(
          new RegExp(`took over the deploy lock of web from .*\\(pid ${run.child.pid}.*that process is gone`),
        );
      const list = events(again.stdout);
      expect(list.find((e) => e.type === "release")).toMatchObject({ release: 1, reused: true });
      expect(list.find((e) => e.type === "done")).toMatchObject({ outcome: "deployed", release: 1 });
      const launched = list.filter((e) => e.type === "launch").map((e) => String(e.task));
      expect(new Set(launched).size).toBe(launched.length);
      const live = (await liveTasks(local.url)).map((t) => t.id);
      expect(live.map((id) => id.split(".")[2]).sort()).toEqual(["0", "1", "2"]);
      expect(await outcomes(h)).toEqual(["deployed"]);
      expect(existsSync(lockFile(h))).toBe(false);
      const progress = JSON.parse(readFileSync(progressFile(h), "utf8")) as { phase: string };
      expect(progress.phase).toBe("finished");
    },
    60_000,
  );
});

/**
 * A rollback runs against the deadlines of the release it returns to. Release 1 gets generous ones, so a loaded
 * machine cannot fail the re-run's rollback on time alone; release 2 keeps the short ones and fails fast.
 */
const ROLLBACK_DEADLINES = { healthyDeadline: "15s", progressDeadline: "15s" };

type LaterStep = "after every launch went out" | "while waiting on health" | "during a rollback";

/** Runs a deploy to a step after its launches went out; for a rollback, release 2 fails its health checks. */
async function deployUntil(step: LaterStep, h: ReturnType<typeof home>, local: TestCluster) {
  const rollback = step === "during a rollback";
  // For the rollback, old tasks stop before new ones start, so it has instances of release 1 to launch again.
  const policy = rollback ? { instances: 2, maxSurge: 0, maxUnavailable: 1 } : { instances: 3 };
  const file = writeWebApp(h.cwd, rollback ? { ...policy, ...ROLLBACK_DEADLINES } : policy);
  if (rollback) {
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    writeWebApp(h.cwd, { ...policy, version: "2", healthPath: "/broken" });
  }
  const run = titanProcess(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
  await until(async () => {
    if (rollback) return run.lines.some((l) => l.includes('"type":"rollback"'));
    const live = await liveTasks(local.url);
    if (step === "while waiting on health") return live.some((t) => t.state === "TASK_RUNNING");
    return live.length === 3;
  }, step);
  return { file, run, rollback };
}

describe("SIGKILL and a closed stdout after the launches went out, then re-running", () => {
  it.each([
    ["SIGKILL", "after every launch went out"],
    ["SIGKILL", "while waiting on health"],
    ["SIGKILL", "during a rollback"],
    ["closed stdout", "after every launch went out"],
    ["closed stdout", "while waiting on health"],
    ["closed stdout", "during a rollback"],
  ] as Array<["SIGKILL" | "closed stdout", LaterStep]>)(
    "%s %s: never a false success; the re-run ends the release with no instance launched twice",
    async (stop, step) => {
      const local = await startTestCluster(FAST);
      const h = home();
      const { file, run, rollback } = await deployUntil(step, h, local);
      const finished = rollback ? 5 : 0;
      let code: number | null;
      if (stop === "SIGKILL") {
        run.child.kill("SIGKILL");
        code = await run.exit;
        // Nothing cleaned up: the lock stays, naming a process that is gone.
        expect(existsSync(lockFile(h))).toBe(true);
      } else {
        run.child.stdout?.destroy();
        code = await run.exit;
        expect(existsSync(lockFile(h))).toBe(false);
        // Either it carried on to the deploy's own result, or it stopped as an interruption does.
        if (code !== finished) {
          expect(code).toBe(130);
          expect(run.stderr()).toMatch(/interrupted/);
        }
      }
      if (code !== finished) {
        const again = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
        expect(again.code, again.stderr).toBe(finished);
        if (stop === "SIGKILL")
          expect(again.stderr).toMatch(
            new RegExp(
              `took over the deploy lock of web from .*\\(pid ${run.child.pid}.*that process is gone`,
            ),
          );
      }
      expect(existsSync(lockFile(h))).toBe(false);
      const live = await liveTasks(local.url);
      if (rollback) {
        expect((await outcomes(h)).at(-1)).toBe("rolled_back");
        expect(live.map((t) => releaseOf(t.id))).toEqual([1, 1]);
      } else {
        expect(await outcomes(h)).toEqual(["deployed"]);
        expect(live.map((t) => t.id).sort()).toEqual(["web.1.0.1", "web.1.1.1", "web.1.2.1"]);
      }
    },
    90_000,
  );
});

/** Two instances that ignore SIGTERM, so each stop takes its whole kill grace and can be interrupted midway. */
function writeStubbornApp(dir: string): string {
  const file = join(dir, "web.yaml");
  writeFileSync(
    file,
    `name: web
shell: "trap '' TERM; while true; do sleep 1; done"
instances: 2
resources: { cpus: 0.1, mem: 32Mi }
kill_grace: 2s
update: { min_healthy_time: 200ms }
`,
  );
  return file;
}

describe("interrupted while rolling a failed release back, then finished with titan rollback", () => {
  it("goes back to the release that ran, without deploying the failed one again", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const { run } = await deployUntil("during a rollback", h, local);
    run.child.kill("SIGINT");
    expect(await run.exit).toBe(130);
    // Whoever asks is told the command that finishes the rollback, not the deploy that would repeat the failure.
    const status = await runCli(["status", "web", "--master", local.url], { env: h.vars, cwd: h.cwd });
    expect(status.stdout).toContain(
      `no deploy carries release 2 out: it failed, and its deploy stopped while rolling it back to release 1 (\`titan rollback web --master ${local.url}\` finishes the rollback)`,
    );
    const finish = await titan(["rollback", "web", "--master", local.url, "--yes", "--json"], h);
    expect(finish.code, finish.stderr).toBe(0);
    // No instance of release 2 was launched by the rollback command.
    expect(launchedIds(finish.stdout.split("\n")).filter((id) => releaseOf(id) === 2)).toEqual([]);
    const live = await liveTasks(local.url);
    expect(live).toHaveLength(2);
    expect(live.every((t) => t.state === "TASK_RUNNING")).toBe(true);
    const releases = await titan(["releases", "web", "--master", local.url, "--json"], h);
    const list = JSON.parse(releases.stdout).releases as Array<{ number: number; outcome: string }>;
    expect(list.find((r) => r.number === 2)?.outcome).not.toBe("pending");
    expect(list.at(-1)).toMatchObject({ outcome: "deployed" });
  }, 60_000);
});

describe("stopping titan stop midway, then re-running it", () => {
  it.each(["SIGINT", "SIGKILL"] as const)(
    "%s while the kills run: the re-run resumes the stop's release and records it deployed",
    async (signal) => {
      const local = await startTestCluster(FAST);
      const h = home();
      const file = writeStubbornApp(h.cwd);
      expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
      const run = titanProcess(["stop", "web", "--master", local.url, "--yes", "--json"], h);
      await until(
        async () => (await liveTasks(local.url)).some((t) => t.state === "TASK_KILLING"),
        "the kills",
      );
      run.child.kill(signal);
      expect(await run.exit).toBe(signal === "SIGINT" ? 130 : null);
      expect(await outcomes(h)).toEqual(["deployed", "pending"]);
      // Anyone asking is told the command that resumes it: the stop, not a deploy of the manifest.
      const status = await runCli(["status", "web", "--master", local.url], { env: h.vars, cwd: h.cwd });
      expect(status.stdout).toContain(`(\`titan stop web --master ${local.url}\` resumes it)`);

      const again = await titan(["stop", "web", "--master", local.url, "--yes", "--json"], h);
      expect(again.code, again.stderr).toBe(0);
      const list = events(again.stdout);
      expect(list.find((e) => e.type === "resume")).toMatchObject({ app: "web", release: 2 });
      expect(list.find((e) => e.type === "done")).toMatchObject({ outcome: "deployed", release: 2 });
      expect(await outcomes(h)).toEqual(["deployed", "deployed"]);
      expect(await liveTasks(local.url)).toEqual([]);
    },
    60_000,
  );
});

describe("stopping titan restart midway, then re-running it", () => {
  it("resumes the same release: instances already restarted are not restarted again", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 3 });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    const run = titanProcess(["restart", "web", "--master", local.url, "--yes", "--json"], h);
    await until(
      async () =>
        (await liveTasks(local.url)).some((t) => releaseOf(t.id) === 2 && t.state === "TASK_RUNNING"),
      "the first restarted instance",
    );
    run.child.kill("SIGINT");
    expect(await run.exit).toBe(130);
    expect(run.stderr()).toContain(`re-run \`titan restart web --master ${local.url}\``);
    const restarted = (await liveTasks(local.url)).filter((t) => releaseOf(t.id) === 2).map((t) => t.id);

    const again = await titan(["restart", "web", "--master", local.url, "--yes"], h);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/Resuming the restart of web begun at \S+Z \(release 2\)/);
    // Release 2 resumed under its number: no new release, none superseded.
    expect(await outcomes(h)).toEqual(["deployed", "deployed"]);
    const live = (await liveTasks(local.url)).map((t) => t.id);
    expect(live.map(releaseOf)).toEqual([2, 2, 2]);
    for (const id of restarted) expect(live).toContain(id);

    const text = await titan(["restart", "web", "--master", local.url, "--yes"], h);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stderr).not.toContain("Resuming the restart");
    expect(await outcomes(h)).toEqual(["deployed", "deployed", "deployed"]);
  }, 60_000);
});
