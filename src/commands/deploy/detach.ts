import { mkdirSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { installedFile, spawnDetached } from "../../cli/detached.js";
import type { Env } from "../../cli/env.js";
import { InterruptedError, TitanError, UsageError } from "../../cli/errors.js";
import { ExitCode } from "../../cli/exit-codes.js";
import { writeLine } from "../../cli/io.js";
import type { ClusterTarget } from "../../config/target.js";
import type { AppSpec } from "../../manifest/index.js";
import { sleep } from "../../observe/sleep.js";
import type { StateStore } from "../../state/types.js";
import type { DeployOptions } from "./command.js";

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

/** The release the detached process deploys, once it holds the app's lock with a pending release of it. */
async function releaseUnderway(store: StateStore, app: string, pid: number): Promise<number | undefined> {
  const lock = await store.currentLock(app).catch(() => undefined);
  if (lock === undefined || lock.pid !== pid || lock.host !== hostname()) return undefined;
  const newest = (await store.releases(app)).at(-1);
  return newest?.outcome === "pending" ? newest.number : undefined;
}

/**
 * Starts the deploy in a process of its own (detached from this terminal, writing to a log file) and returns as
 * soon as it holds the app's lock with its release recorded as pending: what it printed so far (the plan) is
 * shown, then how to follow it. A deploy that ends before that (nothing to do, a plan that does not fit, a bad
 * flag) is shown whole, with its exit code.
 */
export async function deployDetached(
  env: Env,
  opts: DeployOptions,
  app: string,
  target: ClusterTarget,
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
  const child = spawnDetached([entry, ...detachedArgs(opts)], logFile, { cwd: env.cwd, env: env.vars });
  const pid = child.pid;
  if (pid === undefined)
    throw new TitanError("the detached deploy did not start", { hint: `see ${logFile}` });
  let exitCode: number | undefined;
  child.once("exit", (code, signal) => {
    exitCode = code ?? (signal === null ? ExitCode.Runtime : ExitCode.Interrupted);
  });
  const store = await target.store();
  for (;;) {
    if (exitCode !== undefined) {
      env.io.out.write(readFileSync(logFile, "utf8"));
      return exitCode;
    }
    const release = await releaseUnderway(store, app, pid);
    if (release !== undefined) {
      env.io.out.write(readFileSync(logFile, "utf8"));
      const follow = `titan status ${app} --wait`;
      if (opts.json)
        writeLine(env.io.out, JSON.stringify({ type: "detached", app, release, pid, log: logFile, follow }));
      else
        writeLine(
          env.io.err,
          `${app}: release ${release} is deploying in the background (pid ${pid})\n  follow: ${follow}\n  log:    ${logFile}`,
        );
      return ExitCode.Ok;
    }
    if (!(await sleep(POLL_MS, env.signal)))
      throw new InterruptedError(
        `stopped waiting for the detached deploy of ${app} to start; it goes on (pid ${pid})`,
        `see ${logFile}, or \`titan status ${app} --wait\``,
      );
  }
}
