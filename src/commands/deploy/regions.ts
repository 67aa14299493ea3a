/**
 * `titan deploy` over several regions: every region is reached and planned first (an unreachable one refuses the
 * deploy unless --skip-region names it), the plans are shown and confirmed once, then the waves run in order, the
 * regions of a wave in parallel, each region with its own lock and framework. The pure wave decisions are in
 * src/deploy/waves.ts; this module carries them out.
 */

import type { Env } from "../../cli/env.js";
import { InterruptedError, TimeoutError, TitanError, UsageError } from "../../cli/errors.js";
import { ExitCode } from "../../cli/exit-codes.js";
import { writeLine } from "../../cli/io.js";
import { appDigest } from "../../cluster/digest.js";
import { type CommandEvent, writeEvent } from "../../deploy/event-line.js";
import type { ProgressView } from "../../deploy/progress.js";
import {
  finalOutcomes,
  initialWaveState,
  nextWaveStep,
  planWaves,
  type RegionResult,
  rolloutDigest,
  rolloutVerdict,
  type WavePlan,
  type WaveState,
} from "../../deploy/waves.js";
import type { AppSpec } from "../../manifest/types.js";
import { sleep } from "../../observe/sleep.js";
import { planToJson } from "../../plan/json.js";
import { renderRegionTotals } from "../../plan/region-totals.js";
import { desiredInstances, specForRegion } from "../../plan/regions.js";
import { renderPlan } from "../../plan/render.js";
import { imageLines, imagesToJson } from "../../registry/apps.js";
import {
  checkSecretsReadable,
  confirm,
  doesNotFitError,
  endDryRun,
  progressView,
} from "../../release/apply.js";
import { type DisruptionOverride, passDisruption } from "../../release/disruption.js";
import { leftBehindNotes } from "../regions/left-behind.js";
import { checkRegionSecrets, reachRegions } from "../regions/span.js";
import type { DeployOptions } from "./command.js";
import {
  checkUnlocked,
  type DeployedRelease,
  deployRegion,
  type PreparedRegion,
  planRegion,
  type RegionRun,
  reachRegion,
  revertRegion,
  supersededSince,
} from "./region-deploy.js";

export interface RegionalDeploy {
  apps: readonly AppSpec[];
  regions: readonly string[];
  timeoutMs: number | undefined;
  resume: string;
  overrideDisruption?: string;
}

export async function deployRegions(env: Env, opts: DeployOptions, input: RegionalDeploy): Promise<number> {
  if (opts.plan !== undefined)
    throw new UsageError(
      "--plan applies to one region's plan",
      "pass --region with the region the plan was made for",
    );
  const waves = planWaves(input.apps, input.regions, opts.skipRegion);
  if ("problem" in waves) throw new UsageError(waves.problem, waves.hint);
  const flags = { ...opts, apps: input.apps.map((a) => a.name), startLocal: true };
  const live = waves.waves.flat();
  // --timeout bounds the wait for a failed-over master's agents too: what it took is taken from the rollout's time.
  const waitStarted = env.clock.now();
  const wait = input.timeoutMs === undefined ? {} : { deadline: waitStarted + input.timeoutMs };
  const reached = await reachRegions(env, opts, live, (_target, region) =>
    reachRegion(env, flags, region, wait),
  );
  const timeoutMs =
    input.timeoutMs === undefined ? undefined : input.timeoutMs - (env.clock.now() - waitStarted);
  const prepared: PreparedRegion[] = [];
  try {
    checkRegionSecrets(reached);
    const down = reached.filter((r) => !r.ok);
    if (down.length > 0) throw unreachableError(down, input.resume);
    for (const r of reached)
      if (r.ok)
        prepared.push(
          await planRegion(env, r.value, r.region, input.apps, opts.json, {
            adopt: opts.adopt,
            dryRun: opts.dryRun,
          }),
        );
    showPlans(env, opts.json, prepared, waves);
    for (const note of await leftBehindNotes(env, opts, input.apps, input.regions))
      writeLine(env.io.err, `note: ${note}`);
    if (prepared.some((p) => !p.plan.fits))
      throw doesNotFitError(
        prepared.map((p) => p.plan),
        opts.json,
      );
    // Checked once, before the first wave: a rollout that was allowed to start is carried out as confirmed.
    const disruptionOverride = passDisruption(
      env,
      prepared.flatMap((p) => p.changing),
      input.overrideDisruption,
    );
    if (prepared.every((p) => p.changing.length === 0) && waves.skipped.length === 0) {
      if (!opts.dryRun) for (const p of prepared) await p.recordAdoptions();
      if (opts.json) writeEvent(env.io.out, { type: "nothing_to_do" }, env.clock.now());
      else writeLine(env.io.err, "Nothing to do: every region already runs what the manifest says.");
      return ExitCode.Ok;
    }
    await checkSecretsReadable(
      env,
      prepared.flatMap((p) => p.changing),
    );
    const names = input.apps.map((a) => a.name).join(", ");
    const where = `${names} to ${live.join(", ")} in ${waves.waves.length} wave${waves.waves.length === 1 ? "" : "s"}`;
    if (opts.dryRun)
      return endDryRun(
        env,
        { json: opts.json, verb: "deploy" },
        input.apps.map((a) => a.name),
        where,
      );
    await checkUnlocked(env, prepared, opts.forceUnlock);
    if (!(await confirm(env, { yes: opts.yes, verb: "deploy" }, [where]))) {
      if (opts.json) writeEvent(env.io.out, { type: "declined" }, env.clock.now());
      writeLine(env.io.err, `Nothing changed: the deploy of ${where} was declined.`);
      return ExitCode.Ok;
    }
    for (const p of prepared) await p.recordAdoptions();
    const view = await progressView(env, opts.json);
    let ran: RolloutRun;
    try {
      ran = await runWaves(env, opts, waves, prepared, view, { ...input, timeoutMs, disruptionOverride });
    } finally {
      view.stop();
    }
    return report(env, opts.json, ran, input.resume);
  } finally {
    await Promise.all(reached.map((r) => (r.ok ? r.value.conn.close() : r.target.close())));
  }
}

function unreachableError(
  down: ReadonlyArray<{ region: string; error?: string }>,
  resume: string,
): TitanError {
  const names = down.map((d) => d.region);
  const skip = names.map((n) => `--skip-region ${n}`).join(" ");
  const [first] = down;
  return new TitanError(
    `region ${names.join(", ")} cannot be reached${first?.error === undefined ? "" : ` (${first.error})`}; nothing was deployed`,
    {
      exitCode: ExitCode.RegionUnreachable,
      hint: `deploy the other regions with \`${resume} ${skip}\`; the release records that ${names.join(", ")} lag${names.length === 1 ? "s" : ""} it`,
    },
  );
}

function showPlans(env: Env, json: boolean, prepared: readonly PreparedRegion[], waves: WavePlan): void {
  for (const p of prepared) {
    for (const warning of p.plan.warnings)
      writeLine(env.io.err, `${env.io.errColor.yellow("warning:")} ${p.region}: ${warning}`);
    if (json) {
      const plan = { ...planToJson(p.plan), images: imagesToJson(p.images) };
      writeEvent(env.io.out, { type: "plan", region: p.region, plan }, env.clock.now());
      continue;
    }
    for (const line of imageLines(p.images)) writeLine(env.io.out, line);
    for (const line of renderPlan(p.plan, env.io.color)) writeLine(env.io.out, line);
    writeLine(env.io.out, "");
  }
  const regions = prepared.map((p) => ({
    region: p.region,
    cluster: p.conn.target.cluster.name,
    plan: p.plan,
  }));
  if (json) {
    writeEvent(
      env.io.out,
      {
        type: "rollout",
        waves: waves.waves,
        soak_ms: waves.soakMs,
        on_failure: waves.onFailure,
        skipped: waves.skipped,
      },
      env.clock.now(),
    );
    return;
  }
  for (const line of renderRegionTotals(regions)) writeLine(env.io.out, line);
  const order = waves.waves.map((w, i) => `${i + 1}: ${w.join(" + ")}`).join(" → ");
  const soak = waves.soakMs > 0 ? `, soak ${waves.soakMs / 1000}s between waves` : "";
  writeLine(env.io.out, `Waves ${order}${soak}; on failure: ${waves.onFailure}`);
  if (waves.skipped.length > 0)
    writeLine(env.io.out, `Skipped (will lag this release): ${waves.skipped.join(", ")}`);
}

/** Emits a rollout-level event: NDJSON with --json, else a line on stderr. */
/** `at`: when the event happened, if earlier than now (a region's finish, which the soak counts from). */
function announce(env: Env, json: boolean, event: CommandEvent, text: string, at?: number): void {
  if (json) writeEvent(env.io.out, event, at ?? env.clock.now());
  else writeLine(env.io.err, env.io.errColor.bold(text));
}

/** How the rollout ended: every region's outcome, and whether it stopped between regions (a soak, a wave's end). */
interface RolloutRun {
  results: RegionResult[];
  timedOut: boolean;
  /** Ctrl-C stopped it with work left: what was done by then is reported as it ended. */
  interrupted: boolean;
}

async function runWaves(
  env: Env,
  opts: DeployOptions,
  waves: WavePlan,
  prepared: readonly PreparedRegion[],
  view: ProgressView,
  {
    apps,
    timeoutMs,
    disruptionOverride,
    resume,
  }: {
    apps: readonly AppSpec[];
    timeoutMs: number | undefined;
    disruptionOverride: DisruptionOverride | undefined;
    resume: string;
  },
): Promise<RolloutRun> {
  const byRegion = new Map(prepared.map((p) => [p.region, p]));
  const deployedApps = new Map<string, DeployedRelease[]>();
  // --timeout bounds the whole rollout, its soaks included, not each region's deploy.
  const deadline = timeoutMs === undefined ? undefined : env.clock.now() + timeoutMs;
  const run: RegionRun = {
    verb: "deploy",
    resume,
    rollout: rolloutDigest(manifestRegions(apps, [...waves.waves.flat(), ...waves.skipped])),
    ...(opts.context === undefined ? {} : { context: opts.context }),
    forceUnlock: opts.forceUnlock,
    autoRollback: opts.autoRollback,
    ...(deadline === undefined ? {} : { deadline }),
    lagging: waves.skipped,
    ...(disruptionOverride === undefined ? {} : { disruptionOverride }),
    emit: (event, region) => view.event(event, region),
  };
  const state: WaveState = initialWaveState();
  let reverts: RegionResult[] = [];
  for (;;) {
    const step = nextWaveStep(waves, state, env.clock.now());
    if (step.kind === "stop") {
      // The last wave's regions are checked too: a teammate's release there during it is not reported deployed.
      if (step.reason === "done") await noteSuperseded(env, opts.json, state, byRegion, deployedApps);
      break;
    }
    if (step.kind === "soak") {
      const until = new Date(step.until).toISOString();
      announce(
        env,
        opts.json,
        { type: "soak", wave: step.afterWave + 1, until },
        `Soaking wave ${step.afterWave + 1} until ${until.slice(11, 19)} UTC`,
      );
      const end = deadline === undefined ? step.until : Math.min(step.until, deadline);
      if (!(await sleep(Math.max(0, end - env.clock.now()), env.signal))) state.interrupted = true;
      else if (end < step.until) state.timedOut = true;
      state.soaked = step.afterWave;
      continue;
    }
    if (step.kind === "rollback") {
      // Past --timeout no rollback starts (revertRegion says so per region): none is announced.
      if (deadline === undefined || env.clock.now() < deadline)
        announce(
          env,
          opts.json,
          { type: "rollback_regions", regions: step.regions },
          `Rolling back ${step.regions.join(", ")} (on_failure: rollback_all)`,
        );
      reverts = await Promise.all(
        step.regions.map((region) => {
          const p = byRegion.get(region) as PreparedRegion;
          return revertRegion(env, p, deployedApps.get(region) ?? [], run);
        }),
      );
      state.rolledBack = true;
      continue;
    }
    if (step.index > 0 && (await noteSuperseded(env, opts.json, state, byRegion, deployedApps))) continue;
    const outcomes = await runWave(env, opts.json, step, byRegion, deployedApps, run);
    state.ran.push(outcomes);
    if (env.signal.aborted) state.interrupted = true;
  }
  return {
    results: finalOutcomes(waves, state, reverts),
    timedOut: state.timedOut,
    interrupted: state.interrupted,
  };
}

/**
 * What identifies the rollout: each app's spec as the manifests write it (before images are pinned) and its count,
 * in every region the deploy names, skipped and unreachable ones included. A re-run of the same manifests is the
 * same rollout whichever regions each run could reach or skipped; a region whose spec changed makes another.
 */
function manifestRegions(apps: readonly AppSpec[], regions: readonly string[]) {
  return regions.map((region) => ({
    region,
    apps: apps
      .filter((app) => app.regions?.[region] !== undefined)
      .map((app) => ({
        app: app.name,
        digest: `${appDigest(specForRegion(app, region))}#${desiredInstances(app, region)}`,
      })),
  }));
}

/** Records and announces the regions another deploy changed since this rollout did them; true when there are some. */
async function noteSuperseded(
  env: Env,
  json: boolean,
  state: WaveState,
  byRegion: ReadonlyMap<string, PreparedRegion>,
  deployedApps: ReadonlyMap<string, readonly DeployedRelease[]>,
): Promise<boolean> {
  state.superseded = await supersededRegions(byRegion, deployedApps);
  for (const { region, reason } of state.superseded)
    announce(
      env,
      json,
      { type: "superseded", region, reason },
      `${region}: superseded (${reason}); no further wave starts`,
    );
  return state.superseded.length > 0;
}

/** The regions done so far where another deploy has changed an app since this rollout deployed it. */
async function supersededRegions(
  byRegion: ReadonlyMap<string, PreparedRegion>,
  deployedApps: ReadonlyMap<string, readonly DeployedRelease[]>,
): Promise<RegionResult[]> {
  const found: RegionResult[] = [];
  for (const [region, deployed] of deployedApps) {
    const changed = await supersededSince(byRegion.get(region) as PreparedRegion, deployed);
    if (changed !== undefined) found.push(changed);
  }
  return found;
}

/** The regions of one wave in parallel; each region's deployed apps are kept for a later rollback_all. */
async function runWave(
  env: Env,
  json: boolean,
  step: { index: number; regions: readonly string[] },
  byRegion: ReadonlyMap<string, PreparedRegion>,
  deployedApps: Map<string, DeployedRelease[]>,
  run: RegionRun,
): Promise<RegionResult[]> {
  const wave = step.index + 1;
  announce(
    env,
    json,
    { type: "wave", wave, regions: step.regions },
    `Wave ${wave}: ${step.regions.join(", ")}`,
  );
  return Promise.all(
    step.regions.map(async (region) => {
      const { result, deployed } = await deployRegion(env, byRegion.get(region) as PreparedRegion, run);
      deployedApps.set(region, deployed);
      const reason = result.reason === undefined ? {} : { reason: result.reason };
      const text = `${region}: ${result.outcome.replace("_", " ")}${result.reason === undefined ? "" : ` (${result.reason})`}`;
      const event = { type: "region_done" as const, region, outcome: result.outcome, ...reason };
      announce(env, json, event, text, result.finishedAt);
      return result;
    }),
  );
}

function report(
  env: Env,
  json: boolean,
  { results, timedOut, interrupted }: RolloutRun,
  resume: string,
): number {
  if (json) {
    const regions = results.map((r) => ({
      region: r.region,
      outcome: r.outcome,
      ...(r.reason === undefined ? {} : { reason: r.reason }),
      ...(r.finish === undefined ? {} : { finish: r.finish }),
    }));
    writeEvent(env.io.out, { type: "rollout_done", regions }, env.clock.now());
  } else {
    for (const r of results) {
      const text = `${r.region}: ${r.outcome.replace("_", " ")}${r.reason === undefined ? "" : ` (${r.reason})`}`;
      const c = env.io.color;
      writeLine(
        env.io.out,
        r.outcome === "deployed" || r.outcome === "unchanged"
          ? c.green(text)
          : r.outcome === "skipped" || r.outcome === "not_started"
            ? c.yellow(text)
            : c.red(text),
      );
    }
  }
  const summary = results
    .map((r) => {
      const why =
        r.finish !== undefined ? ` ${r.reason}` : r.outcome === "superseded" ? ` (${r.reason})` : "";
      return `${r.region} ${r.outcome.replace("_", " ")}${why}`;
    })
    .join(", ");
  // A rollback of rollback_all left unfinished is finished by its own commands: re-running the deploy would
  // deploy the failed release again instead.
  const finish = results.flatMap((r) => r.finish ?? []).map((command) => `\`${command}\``);
  const finishHint =
    finish.length === 0
      ? undefined
      : `finish the rollback with ${finish.join(" and ")}; re-running \`${resume}\` deploys the release again`;
  switch (rolloutVerdict(results, { interrupted, timedOut })) {
    case "interrupted":
      throw new InterruptedError(
        `deploy interrupted: ${summary}`,
        finishHint ?? `re-run \`${resume}\` to resume region by region`,
      );
    case "timed_out":
      throw new TimeoutError(
        `deploy did not finish before --timeout: ${summary}`,
        finishHint ?? `re-run \`${resume}\` to continue`,
      );
    case "failed":
      throw new TitanError(`deploy failed: ${summary}`, {
        exitCode: ExitCode.DeployFailed,
        hint: "see `titan releases APP --region R` for each failed region",
      });
    case "superseded":
      throw new TitanError(`deploy stopped: ${summary}`, {
        exitCode: ExitCode.Runtime,
        hint: `another deploy changed a region this rollout had done; agree on the release, then re-run \`${resume}\` to plan again from what runs (its plan shows what it changes back)`,
      });
    case "rolled_back":
      throw new TitanError(`deploy failed and was rolled back: ${summary}`, {
        exitCode: ExitCode.RolledBack,
        hint: rolledBackHint(results),
      });
    case "ok":
      return ExitCode.Ok;
  }
}

/** What to look at once a region failed and was rolled back: the app's logs only when its tasks ran there. */
export function rolledBackHint(results: readonly RegionResult[]): string {
  const causes = new Set(
    results.filter((r) => r.outcome === "rolled_back").map((r) => r.cause ?? "unhealthy"),
  );
  const [only, ...more] = causes;
  if (more.length > 0 || only === undefined || only === "unhealthy")
    return "check the failed region's logs (titan logs APP --region R), fix it and deploy again";
  if (only === "no_room")
    return "the region's cluster has less room than its plan saw: `titan plan --region R` shows where the app fits now";
  if (only === "not_started")
    return "no agent of the region ran the release's tasks, so they left no logs: check that its master answers and its agents are up and registered, then deploy again (`titan status APP --region R` shows what runs)";
  return "the reason is the master's or the agent's word on the launches, before anything ran: fix what it names and deploy again";
}
