import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { installedFile, spawnDetached } from "../../cli/detached.js";
import type { Env } from "../../cli/env.js";
import { InterruptedError, TitanError, UsageError } from "../../cli/errors.js";
import { ExitCode } from "../../cli/exit-codes.js";
import { writeLine } from "../../cli/io.js";
import type { ClusterTarget } from "../../config/target.js";
import { writeEvent } from "../../deploy/event-line.js";
import type { AppSpec } from "../../manifest/index.js";
import { sleep } from "../../observe/sleep.js";
import { storePlaces } from "../../state/store-identity.js";
import type { DeployOptions } from "./command.js";
import { DETACHED_RUN_VAR, recordDetachedRun, runFileFor } from "./detached-run.js";

const POLL_MS = 200;

/** What `--detach` cannot do, refused before anything starts. */
export function checkDetachable(
  opts: DeployOptions,
  apps: readonly AppSpec[],
  regions: readonly string[] | undefined,
): void {
  if (!opts.yes)
    throw new UsageError(
      "a detached deploy cannot ask for confirmation",
      "review the plan with `titan plan` (or `titan plan --out FILE`), then deploy with --yes (and --plan FILE)",
    );
  if (opts.dryRun)
    throw new UsageError("--dry-run changes nothing, so there is nothing to detach", "drop --detach");
  if (opts.files.includes("-"))
    throw new UsageError(
      "a detached deploy cannot read the manifest from stdin",
      "pass the manifest's file with -f",
    );
  if (apps.length !== 1)
    throw new UsageError(
      `--detach deploys one app, and the manifests name ${apps.length}`,
      `pick one with --app (e.g. --app ${apps[0]?.name ?? "NAME"}), one detached deploy per app, or deploy without --detach`,
    );
  if (regions !== undefined)
    throw new UsageError(
      `--detach deploys one region, and ${apps[0]?.name ?? "the app"} names ${regions.join(", ")}`,
      "pass --region, or deploy without --detach to roll the regions out in waves",
    );
}

/** The same deploy, as arguments for the process that carries it out (every flag the user gave but --detach). */
export function detachedArgs(opts: DeployOptions): string[] {
  const args = ["deploy"];
  for (const file of opts.files) args.push("-f", file);
  for (const app of opts.only) args.push("--app", app);
  const values: Array<[string, string | undefined]> = [
    ["--context", opts.context],
    ["--master", opts.master],
    ["--region", opts.region],
    ["--timeout", opts.timeout],
    ["--failover-timeout", opts.failoverTimeout],
    ["--plan", opts.plan],
    ["--override-disruption", opts.overrideDisruption],
  ];
  for (const [flag, value] of values) if (value !== undefined) args.push(flag, value);
  if (opts.forceUnlock) args.push("--force-unlock");
  if (!opts.autoRollback) args.push("--no-auto-rollback");
  if (opts.adopt) args.push("--adopt");
  if (opts.json) args.push("--json");
  args.push("--yes");
  return args;
}

/**
 * Names the file through which the detached deploy tells the process that started it which release it carries out,
 * once it holds the app's lock and has recorded (or resumed) that release. Only the deploy itself knows: while it
 * takes over a lock whose holder died, the newest release is still the dead deploy's, pending, which it is about to
 * supersede with a release of its own.
 */
export const HANDOFF_VAR = "TITAN_DETACHED_HANDOFF";

/** What the detached deploy writes to the handoff file. */
interface Handoff {
  app: string;
  release: number;
  /** The deploy reached its end and is about to show its outcome: the process that started it waits for it. */
  ending?: true;
}

/** What the detached deploy tells the process that started it. */
export interface HandOff {
  /** The release it carries out (the first one said; a detached deploy deploys one app). */
  release(app: string, release: number): void;
  /**
   * Its rollout ended: said before the outcome is shown (the `done` event, the summary, an error), so that output
   * read before the process that started it sees this holds no outcome.
   */
  ending(): void;
}

/** In the detached deploy: its handoff. Undefined when this deploy was not started detached. */
export function handoffWriter(vars: Readonly<Record<string, string | undefined>>): HandOff | undefined {
  const file = vars[HANDOFF_VAR];
  if (file === undefined || file === "") return undefined;
  let told: Handoff | undefined;
  const write = (record: Handoff): void => {
    told = record;
    // Written whole, then renamed: the starting process never reads half a record.
    const partial = `${file}.partial`;
    try {
      writeFileSync(partial, JSON.stringify(record), { mode: 0o600 });
      renameSync(partial, file);
    } catch {
      // The starting process may be gone (and its directory with it): the deploy goes on, as it would attached.
    }
  };
  return {
    release(app, release) {
      if (told === undefined) write({ app, release });
    },
    ending() {
      if (told !== undefined && told.ending !== true) write({ ...told, ending: true });
    },
  };
}

/** What the detached deploy said so far: its release, and whether it is ending. */
export function readHandoff(file: string, app: string): { release: number; ending: boolean } | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  try {
    const record = JSON.parse(text) as Partial<Handoff> | null;
    if (record?.app !== app || !Number.isInteger(record.release)) return undefined;
    return { release: record.release as number, ending: record.ending === true };
  } catch {
    return undefined;
  }
}

/**
 * Starts the deploy in a process of its own (detached from this terminal, writing to a log file) and returns as
 * soon as that process says it holds the app's lock with its release recorded as pending (through the handoff
 * file, `HANDOFF_VAR`): what it printed so far (the plan) is shown, then how to follow it. A deploy that ends
 * before that (nothing to do, a plan that does not fit, a bad flag), or that says it is ending by the time it is
 * looked at (a small scale-down), is shown whole, with its exit code.
 */
export async function deployDetached(
  env: Env,
  opts: DeployOptions,
  app: string,
  target: Pick<ClusterTarget, "stateUrl" | "region">,
  start: typeof spawnDetached = spawnDetached,
): Promise<number> {
  // The detached deploy is titan itself, run again.
  const entry = installedFile(join("bin", "titan.js"));
  if (entry === undefined)
    throw new TitanError("titan's command (bin/titan.js) was not found beside its compiled files", {
      hint: "run titan from its installation (npm ci, or npm run build, in the titan checkout)",
    });
  const stamp = new Date(env.clock.now()).toISOString().replace(/[:.]/g, "-");
  const logFile = join(env.paths.stateDir, "deploys", `${app}-${stamp}.log`);
  mkdirSync(dirname(logFile), { recursive: true, mode: 0o700 });
  // What the deploy writes to stdout (the plan, the result, --json's documents) is kept apart from its progress
  // and diagnostics (stderr, the log), so that each can be shown on the stream an attached deploy uses for it.
  const outFile = join(dirname(logFile), `${app}-${stamp}.out`);
  const handoff = join(dirname(logFile), `${app}-${stamp}.release.json`);
  const runFile = runFileFor(logFile);
  const startedAt = env.clock.now();
  const child = start([entry, ...detachedArgs(opts)], logFile, {
    cwd: env.cwd,
    env: { ...env.vars, [HANDOFF_VAR]: handoff, [DETACHED_RUN_VAR]: runFile },
    outFile,
  });
  const pid = child.pid;
  if (pid === undefined)
    throw new TitanError("the detached deploy did not start", { hint: `see ${logFile}` });
  // Before it records its release, this is all that tells `titan status APP --wait` that it is on its way.
  recordDetachedRun(runFile, {
    app,
    pid,
    startedAt,
    log: logFile,
    output: outFile,
    stores: storePlaces(target.stateUrl),
    region: target.region,
  });
  let exitCode: number | undefined;
  child.once("exit", (code, signal) => {
    exitCode = code ?? (signal === null ? ExitCode.Runtime : ExitCode.Interrupted);
  });
  try {
    return await awaitHandoff(env, opts, { app, pid, logFile, outFile, handoff }, () => exitCode);
  } finally {
    rmSync(handoff, { force: true });
  }
}

function readIfThere(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/** Waits until the detached deploy says which release it carries out, or ends first; says which, or how it ended. */
async function awaitHandoff(
  env: Env,
  opts: DeployOptions,
  {
    app,
    pid,
    logFile,
    outFile,
    handoff,
  }: { app: string; pid: number; logFile: string; outFile: string; handoff: string },
  exited: () => number | undefined,
): Promise<number> {
  // Progress is passed on as it comes, whole lines only: a deploy may wait long before it records its release (for
  // a failed-over master's agents to re-register), and says so on stderr.
  let errShown = 0;
  const passOn = (log: string, whole: boolean): void => {
    const end = whole ? log.length : log.lastIndexOf("\n") + 1;
    if (end <= errShown) return;
    env.io.err.write(log.slice(errShown, end));
    errShown = end;
  };
  const replay = (): void => {
    env.io.out.write(readIfThere(outFile));
    passOn(readIfThere(logFile), true);
  };
  for (;;) {
    const exitCode = exited();
    if (exitCode !== undefined) {
      replay();
      // It got as far as its release (a deploy that was quick, a small scale-down): say nothing goes on.
      const started = readHandoff(handoff, app);
      if (started !== undefined && !opts.json)
        writeLine(
          env.io.err,
          `${app}: the deploy of release ${started.release} ended before titan returned (exit ${exitCode}); nothing goes on in the background\n  log:    ${logFile}`,
        );
      return exitCode;
    }
    const told = readHandoff(handoff, app);
    if (told !== undefined && !told.ending) {
      const out = readIfThere(outFile);
      const log = readIfThere(logFile);
      // The deploy says it is ending before it shows its outcome: read before that, the output holds none.
      if (readHandoff(handoff, app)?.ending !== true) {
        env.io.out.write(out);
        passOn(log, true);
        detached(env, opts, { app, release: told.release, pid, logFile, outFile });
        return ExitCode.Ok;
      }
    }
    passOn(readIfThere(logFile), false);
    if (!(await sleep(POLL_MS, env.signal)))
      throw new InterruptedError(
        `stopped waiting for the detached deploy of ${app} to start; it goes on (pid ${pid})`,
        `see ${logFile}, or \`titan status ${app} --wait\` (on this machine until it has recorded its release)`,
      );
  }
}

/** Says the deploy goes on in the background, and how to follow it. */
function detached(
  env: Env,
  opts: DeployOptions,
  {
    app,
    release,
    pid,
    logFile,
    outFile,
  }: { app: string; release: number; pid: number; logFile: string; outFile: string },
): void {
  const follow = `titan status ${app} --wait`;
  if (opts.json)
    writeEvent(
      env.io.out,
      { type: "detached", app, release, pid, log: logFile, output: outFile, follow },
      env.clock.now(),
    );
  else
    writeLine(
      env.io.err,
      `${app}: release ${release} is deploying in the background (pid ${pid})\n  follow: ${follow}\n  log:    ${logFile}\n  output: ${outFile}`,
    );
}
