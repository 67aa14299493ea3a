import { hostname } from "node:os";
import type { Env } from "../../cli/env.js";
import { InterruptedError, TimeoutError, TitanError } from "../../cli/errors.js";
import { ExitCode } from "../../cli/exit-codes.js";
import { writeLine } from "../../cli/io.js";
import { escapeTerminal } from "../../cli/terminal-text.js";
import { type DeployWait, type DetachedRun, deployWait } from "../../observe/deploy-wait.js";
import { sleep } from "../../observe/sleep.js";
import { unknownAppError } from "../../release/unknown-app.js";
import { processAlive } from "../../state/file-store.js";
import { storePlaces } from "../../state/store-identity.js";
import type { Release, StateStore } from "../../state/types.js";
import { newestDetachedRun } from "../deploy/detached-run.js";
import type { StatusOptions } from "./command.js";

const WAIT_POLL_MS = 1000;

/** How a waited-for deploy ended in one target (a region, or the one cluster). */
export type End = { where: string; state: DeployWait };

/**
 * Polls each target's state store until none of the apps' newest releases is being deployed any more: each ended
 * (any outcome) or abandoned (pending, but no deploy holds the lock). What the deploys say they wait for goes to
 * stderr as it changes. Ctrl-C stops the waiting, not the deploys. Returns, per app, how it ended where. It reads
 * the stores as an observing command does (their first connection given OBSERVE_CONNECT_MS) and, when it returns,
 * leaves them open for status's final reading, which closes them: one connection per store for the command.
 */
export async function waitForDeploys(
  env: Env,
  apps: readonly string[],
  opts: StatusOptions,
  regions: readonly string[],
  timeoutMs: number | undefined,
): Promise<Map<string, End[]>> {
  const targets = await Promise.all(
    (regions.length > 0 ? regions : [undefined]).map(async (region) => ({
      where: region === undefined ? "" : `${region}: `,
      target: await env.target(region === undefined ? opts : { ...opts, region }),
    })),
  );
  const started = env.clock.now();
  const said = new Map<string, string>();
  /** Where an app's detached deploy was seen on its way: its end before it recorded a release is then its answer. */
  const seenStarting = new Set<string>();
  const again = `\`titan status ${apps.join(" ")} --wait\` waits again`;
  try {
    const stores = await Promise.all(
      targets.map(async ({ where, target }) => ({
        where,
        store: await target.observedStore(),
        place: { stores: storePlaces(target.stateUrl), region: target.region },
      })),
    );
    for (;;) {
      const now = env.clock.now();
      const byApp = new Map<string, End[]>();
      for (const app of apps) {
        const ends = await Promise.all(
          stores.map(async ({ where, store, place }) => {
            const releases = await store.releases(app);
            const run = newestDetachedRun(env.paths.stateDir, app, place);
            let state = await readDeployWait(store, app, releases, now, run);
            // A detached deploy that ended before this wait began is no part of it.
            if (state.kind === "unstarted" && !seenStarting.has(where + app))
              state = await readDeployWait(store, app, releases, now);
            if (state.kind === "starting") seenStarting.add(where + app);
            return { where, state };
          }),
        );
        if (ends.every((e) => e.state.kind === "none")) throw unknownAppError(app);
        byApp.set(app, ends);
      }
      const running = [...byApp].flatMap(([app, ends]) =>
        ends.flatMap((e) =>
          e.state.kind === "running" || e.state.kind === "starting"
            ? [{ app, where: e.where, state: e.state }]
            : [],
        ),
      );
      if (running.length === 0) return byApp;
      for (const { app, where, state } of running) {
        const line = `${where}${app}: ${goingOn(state)}`;
        if (said.get(where + app) !== line) writeLine(env.io.err, escapeTerminal(line));
        said.set(where + app, line);
      }
      const [first] = running;
      if (timeoutMs !== undefined && now - started >= timeoutMs && first !== undefined)
        throw new TimeoutError(
          first.state.kind === "running"
            ? `${first.app}: release ${first.state.release} is still deploying after --timeout ${opts.timeout}`
            : `${first.app}: its deploy has still not recorded its release after --timeout ${opts.timeout}`,
          `the deploy goes on; ${again}`,
        );
      if (!(await sleep(WAIT_POLL_MS, env.signal)))
        throw new InterruptedError("stopped waiting; the deploy goes on", again);
    }
  } catch (error) {
    await Promise.all(targets.map(({ target }) => target.close()));
    throw error;
  }
}

/** What a deploy under way says while the wait lasts. */
function goingOn(state: Extract<DeployWait, { kind: "running" | "starting" }>): string {
  if (state.kind === "starting")
    return `deploy starting (${state.by}), no release recorded yet${state.said === undefined ? "" : `: ${state.said}`}`;
  return `release ${state.release} deploying (${state.by})${state.waiting === undefined ? "" : `: waiting for ${state.waiting.for}`}`;
}

/**
 * Where the app's newest release stands, from its releases (already read), its progress record, its lock and the
 * newest detached deploy of it started here, judged on this machine; a progress record or lock that cannot be read
 * says nothing.
 */
export async function readDeployWait(
  store: StateStore,
  app: string,
  releases: readonly Release[],
  now: number,
  detached?: DetachedRun,
): Promise<DeployWait> {
  const [progress, lock] = await Promise.all([
    store.progress(app).catch(() => undefined),
    store.currentLock(app).catch(() => undefined),
  ]);
  return deployWait(
    { releases, progress, lock, ...(detached === undefined ? {} : { detached }) },
    { now, hostname: hostname(), isAlive: processAlive },
  );
}

/**
 * Before anything is shown: an app whose detached deploy ended, while it was waited for, before it recorded a
 * release (its plan did not fit, it timed out waiting for the master, it was stopped) exits as that deploy did.
 */
export function throwForUnstarted(app: string, ends: readonly End[]): void {
  for (const { where, state } of ends) {
    if (state.kind !== "unstarted" || state.exitCode === ExitCode.Ok) continue;
    const how = state.exitCode === undefined ? "is gone" : `ended (exit ${state.exitCode})`;
    throw new TitanError(
      `${where}the detached deploy of ${app} (pid ${state.pid}) ${how} before it recorded a release`,
      { exitCode: exitCodeOf(state.exitCode), hint: `its log says why: ${state.log}` },
    );
  }
}

/** The deploy's own exit code when it is one titan gives (a record could say anything), else a runtime error. */
function exitCodeOf(code: number | undefined): ExitCode {
  const known: readonly number[] = Object.values(ExitCode);
  return code !== undefined && known.includes(code) ? (code as ExitCode) : ExitCode.Runtime;
}

/** After the answer: a deploy that did not end well exits as that deploy did. */
export function throwForEnds(app: string, ends: readonly End[]): void {
  for (const { where, state } of ends) {
    if (state.kind === "abandoned")
      throw new TitanError(
        `${where}release ${state.release} of ${app} is pending, but no deploy carries it out: ${state.why}`,
        {
          exitCode: ExitCode.Interrupted,
          hint:
            state.rollingBack === true
              ? `finish the rollback with \`${state.resume}\``
              : `re-run \`${state.resume}\` to resume it`,
        },
      );
  }
  for (const { where, state } of ends) {
    if (state.kind !== "ended") continue;
    const { number, outcome, detail } = state.release;
    const why = detail === undefined ? "" : `: ${detail}`;
    if (outcome === "failed")
      throw new TitanError(`${where}release ${number} of ${app} failed${why}`, {
        exitCode: ExitCode.DeployFailed,
        hint: `see \`titan releases ${app}\``,
      });
    if (outcome === "rolled_back")
      throw new TitanError(`${where}release ${number} of ${app} was rolled back${why}`, {
        exitCode: ExitCode.RolledBack,
        hint: `see \`titan releases ${app}\``,
      });
  }
}
