import type { Env } from "../../cli/env.js";
import { TitanError, UsageError } from "../../cli/errors.js";
import { ExitCode, watchEndCode } from "../../cli/exit-codes.js";
import { loadUserConfig } from "../../config/index.js";
import { spannedRegions } from "../../config/resolve.js";
import type { ClusterTarget } from "../../config/target.js";
import { parseDuration } from "../../manifest/units.js";
import type { LogStream } from "../../observe/log-format.js";
import { parseLogTarget } from "../../observe/log-selection.js";
import { instancesIn } from "../../plan/regions.js";
import { inRegion } from "../../release/region-errors.js";
import { unknownAppError } from "../../release/unknown-app.js";
import { noInstanceReason, targetRelease } from "../ps/target.js";
import type { LogsOptions } from "./command.js";
import { DEFAULT_FOLLOW_TIMINGS, type FollowTimings, follow } from "./follow.js";
import { flushSource, LogPrinter, readInitial } from "./reader.js";
import { RegionsFinder } from "./regions.js";
import { SourceFinder } from "./sources.js";

const FOLLOW_DEFAULT_TAIL = 10;

/** Both streams unless exactly one is picked: an app's request log is often on stderr (Python, nginx, Go's log). */
function streamsOf(opts: LogsOptions): LogStream[] {
  if (opts.stdout && !opts.stderr) return ["stdout"];
  if (opts.stderr && !opts.stdout) return ["stderr"];
  return ["stdout", "stderr"];
}

function tailOf(opts: LogsOptions): number | undefined {
  if (opts.tail === undefined) return opts.follow ? FOLLOW_DEFAULT_TAIL : undefined;
  if (!/^\d{1,9}$/.test(opts.tail.trim())) {
    throw new UsageError(`--tail ${JSON.stringify(opts.tail)} is not a number of lines`, "e.g. --tail 100");
  }
  return Number(opts.tail.trim());
}

function releaseOf(opts: LogsOptions): number | undefined {
  if (opts.release === undefined) return undefined;
  if (!/^\d{1,9}$/.test(opts.release.trim()) || Number(opts.release) < 1)
    throw new UsageError(
      `--release ${JSON.stringify(opts.release)} is not a release number`,
      "e.g. --release 7 (see `titan releases APP`)",
    );
  return Number(opts.release.trim());
}

function grepOf(opts: LogsOptions): RegExp | undefined {
  if (opts.grep === undefined) return undefined;
  try {
    return new RegExp(opts.grep);
  } catch (error) {
    throw new UsageError(
      `--grep ${JSON.stringify(opts.grep)} is not a regular expression: ${(error as Error).message}`,
      "JavaScript syntax, e.g. --grep 'ERROR|WARN' or --grep '[Tt]imeout'",
    );
  }
}

function sinceOf(opts: LogsOptions): number | undefined {
  if (opts.since === undefined) return undefined;
  const parsed = parseDuration(opts.since);
  if (!parsed.ok) throw new UsageError(`--since: ${parsed.message}`, parsed.hint ?? "e.g. --since 10m");
  return parsed.value;
}

/**
 * Why an app with no task has no instance, from its releases in each target's state store and the agents a
 * failed-over master waits for (each region's reason
 * after its name, over several); empty when no store has a release of it: titan knows nothing of the app.
 */
async function noInstanceReasons(
  targets: readonly ClusterTarget[],
  app: string,
  recoveringAgents: number,
): Promise<string[]> {
  const reasons: string[] = [];
  for (const target of targets) {
    const releases = await (await target.observedStore()).releases(app);
    const why = noInstanceReason(app, releases, target.region, recoveringAgents);
    if (why === undefined) continue;
    reasons.push(targets.length > 1 && target.region !== undefined ? `${target.region}: ${why}` : why);
  }
  return reasons;
}

/**
 * For `logs APP/N` with no task found: an error naming the app's instances when N is past every count its releases
 * ever asked for (a run of it cannot have ended long ago); undefined when N was an instance once, or titan has no
 * release of the app to tell.
 */
async function neverAnInstance(
  targets: readonly ClusterTarget[],
  app: string,
  instance: number,
): Promise<UsageError | undefined> {
  let everRan = 0;
  let runs: number | undefined;
  for (const target of targets) {
    const releases = await (await target.observedStore()).releases(app);
    for (const release of releases) everRan = Math.max(everRan, instancesIn(release.spec, target.region));
    const wanted = targetRelease(releases) ?? releases.at(-1);
    if (wanted !== undefined) runs = Math.max(runs ?? 0, instancesIn(wanted.spec, target.region));
  }
  if (runs === undefined || instance < everRan) return undefined;
  const has = runs === 0 ? "no instance" : runs === 1 ? "instance 0 only" : `instances 0–${runs - 1}`;
  return new UsageError(
    `${app} has no instance ${instance}: it has ${has}`,
    runs === 0
      ? `\`titan releases ${app}\` shows what it ran`
      : `\`titan logs ${app}\` reads every instance; \`titan ps ${app}\` lists them`,
  );
}

/**
 * For `logs --release N` with no task found: an error naming the app's releases when its state stores hold none
 * numbered N (titan never deployed it, so no run of it will start); undefined when one does, or no store holds a
 * release of the app to tell.
 */
async function neverARelease(
  targets: readonly ClusterTarget[],
  app: string,
  release: number,
): Promise<UsageError | undefined> {
  const numbers = new Set<number>();
  for (const target of targets)
    for (const known of await (await target.observedStore()).releases(app)) numbers.add(known.number);
  if (numbers.size === 0 || numbers.has(release)) return undefined;
  const sorted = [...numbers].sort((a, b) => a - b);
  const first = sorted[0];
  const last = sorted.at(-1);
  const has =
    sorted.length === 1
      ? `release ${first} only`
      : last !== undefined && first !== undefined && last - first + 1 === sorted.length
        ? `releases ${first}–${last}`
        : `releases ${sorted.join(", ")}`;
  return new UsageError(
    `${app} has no release ${release}: it has ${has}`,
    `\`titan releases ${app}\` lists them`,
  );
}

export async function runLogs(
  env: Env,
  opts: LogsOptions,
  timings: Partial<FollowTimings> = {},
): Promise<number> {
  const parsed = parseLogTarget(opts.target);
  if (typeof parsed === "string") throw new UsageError(parsed, "e.g. `titan logs api` or `titan logs api/2`");
  const release = releaseOf(opts);
  const logTarget = release === undefined ? parsed : { ...parsed, release };
  const match = grepOf(opts);
  const streams = streamsOf(opts);
  const tail = tailOf(opts);
  const sinceMs = sinceOf(opts);
  const printer = new LogPrinter(env, {
    json: opts.json,
    raw: opts.raw,
    showStream: streams.length > 1,
    ...(match === undefined ? {} : { match }),
  });
  const targets = await logTargets(env, opts);
  const note = (line: string) => printer.note(line);
  const [target] = targets;
  const finder =
    targets.length === 1 && target !== undefined
      ? new SourceFinder(env, await target.client(), target, logTarget, { streams, sinceMs, note })
      : RegionsFinder.open(env, targets, logTarget, { streams, sinceMs, note, following: opts.follow });
  const where =
    targets.length === 1 && target !== undefined
      ? `cluster ${target.cluster.name}`
      : `regions ${targets.map((t) => t.region).join(", ")}`;
  const what = `${logTarget.instance === undefined ? logTarget.app : `${logTarget.app}/${logTarget.instance}`}${release === undefined ? "" : ` (release ${release})`}`;
  try {
    const first = await finder.discover();
    if (first.selected === 0) {
      // A master that failed over lists no task of the agents it waits for (one cluster: over several regions the
      // agents cannot be told apart by region here).
      const recovering = targets.length === 1 ? first.recovering.size : 0;
      const reasons = first.appKnown
        ? undefined
        : await noInstanceReasons(targets, logTarget.app, recovering);
      // No task and no release anywhere: the same error every command gives for an app titan does not know.
      if (reasons !== undefined && reasons.length === 0) throw unknownAppError(logTarget.app);
      // An instance or a release the app never had will not start by waiting: the same error with -f as without.
      const never =
        (logTarget.instance === undefined
          ? undefined
          : await neverAnInstance(targets, logTarget.app, logTarget.instance)) ??
        (release === undefined ? undefined : await neverARelease(targets, logTarget.app, release));
      if (never !== undefined) throw never;
      if (reasons !== undefined) {
        // Known by its releases alone (its releases failed before any task ran, or it was stopped): no output,
        // and why, as `ps` and `top` say it.
        const why = reasons.join("; ");
        if (!opts.follow) {
          printer.note(`${what} has no instance to read: ${why}`);
          return ExitCode.Runtime;
        }
        printer.note(`no instance of ${what} yet (${why}); waiting for one (Ctrl-C to stop)`);
      } else if (opts.follow) printer.note(`no instance of ${what} yet; waiting for one (Ctrl-C to stop)`);
      else
        throw new TitanError(`no task of ${what} was found on ${where}`, {
          hint: "check the name with `titan ps`; runs that ended long ago are gone from the master (try --since)",
        });
    }
    if (opts.follow) {
      // Each run is read and followed in a loop of its own, so one agent that does not answer holds up no other.
      await follow(env, finder, first.added, tail, printer, { ...DEFAULT_FOLLOW_TIMINGS, ...timings });
      // Ending a follow with Ctrl-C is how it is meant to end: not an interruption of unfinished work.
      return watchEndCode(env.signal);
    }
    // A run whose agent is missing or does not answer was only noted: its output could not be read.
    let failed = first.unreadable > 0;
    for (const source of first.added) {
      const outcome = await readInitial(env, source, tail, printer);
      if (outcome === "failed") failed = true;
      // The file is read to its end: its last partial line belongs here, before the next file's output.
      if (outcome !== "gone") flushSource(source, printer);
    }
    return failed ? ExitCode.Runtime : ExitCode.Ok;
  } catch (error) {
    if (opts.follow && env.signal.aborted) return watchEndCode(env.signal);
    // One region's cluster (--region R): a master it cannot reach is named with the region.
    throw inRegion(targets.length === 1 ? target?.region : undefined, error);
  } finally {
    await Promise.all(targets.map((t) => t.close()));
  }
}

/** The target's cluster, or every region of a context that spans regions (unless --region picks one). */
async function logTargets(env: Env, opts: LogsOptions): Promise<ClusterTarget[]> {
  const { config } = await loadUserConfig(env);
  const regions = spannedRegions(config, opts, env.vars);
  if (regions.length === 0) return [await env.target(opts)];
  return Promise.all(regions.map((region) => env.target({ ...opts, region })));
}
