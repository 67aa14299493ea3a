import { commandLine, targetWords } from "../cli/command-line.js";
import type { Env } from "../cli/env.js";
import { ExitCode } from "../cli/exit-codes.js";
import { writeLine } from "../cli/io.js";
import { writeEvent } from "../deploy/event-line.js";
import type { StateStore } from "../state/types.js";
import type { DerivedSpec } from "./app-release.js";
import { applyApps } from "./apply.js";
import { type Connection, connect } from "./connect.js";
import { overrideReason } from "./disruption.js";
import type { ApplyFlags } from "./flags.js";
import { namingRegion } from "./region-errors.js";
import { parseTimeout } from "./timeout.js";

/**
 * What a command's records show it has nothing to change, before any plan (a restart of a stopped app): said as
 * every change that changes nothing says so, with why and what to do instead.
 */
export class NothingToChange {
  constructor(
    /** The human's line: why, and the command that does what was likely meant. */
    readonly message: string,
    /** The `--json` stream's word for why (`nothing_to_do`'s `reason`). */
    readonly reason: "stopped",
  ) {}
}

/**
 * The spec to deploy, previewed: lines that say what the change is, shown above its plan when it changes
 * something, and the image it replaces (`command` for none), shown on the left of its images line.
 */
export class Previewed {
  constructor(
    readonly derived: DerivedSpec,
    readonly preface: readonly string[],
    readonly replacesImage?: string,
  ) {}
}

/**
 * Picks the spec (or the specs of several apps) a command deploys, from titan's records and the cluster, each with
 * the newest release it was derived from.
 */
type AppChange = (
  store: StateStore,
  conn: Connection,
) => Promise<DerivedSpec | readonly DerivedSpec[] | Previewed | NothingToChange>;

/**
 * Runs a change to one app through the same plan, confirmation and rollout as `titan deploy`: `change` picks the
 * spec (or, for several apps at once, the specs) to deploy from titan's records. The plan is carried out only while
 * each app's newest release is still the one its spec was derived from: a teammate's change recorded meanwhile
 * (while this one read the cluster or waited at its prompt) is not undone.
 */
export async function applyToApp(
  env: Env,
  flags: ApplyFlags,
  verb: string,
  /** The command that resumes the change (`titan stop web`), without its target flags: they are added. */
  resume: readonly string[],
  change: AppChange,
): Promise<number> {
  const timeoutMs = flags.timeout === undefined ? undefined : parseTimeout(flags.timeout);
  const overrideDisruption = overrideReason(flags.overrideDisruption);
  const { region } = await env.target(flags);
  return namingRegion(region, () =>
    applyOnce(env, flags, verb, resume, change, { timeoutMs, overrideDisruption }),
  );
}

async function applyOnce(
  env: Env,
  flags: ApplyFlags,
  verb: string,
  resume: readonly string[],
  change: AppChange,
  {
    timeoutMs,
    overrideDisruption,
  }: { timeoutMs: number | undefined; overrideDisruption: string | undefined },
): Promise<number> {
  const conn = await connect(env, flags);
  try {
    const specs = await change(conn.store, conn);
    if (specs instanceof NothingToChange) {
      if (flags.json === true)
        writeEvent(env.io.out, { type: "nothing_to_do", reason: specs.reason }, env.clock.now());
      else writeLine(env.io.err, specs.message);
      return ExitCode.Ok;
    }
    const preview = specs instanceof Previewed ? specs : undefined;
    const derived: readonly DerivedSpec[] =
      specs instanceof Previewed ? [specs.derived] : "spec" in specs ? [specs] : specs;
    const apps = derived.map((d) => d.spec);
    return await applyApps(env, conn, apps, {
      plannedFrom: new Map(derived.map((d) => [d.spec.name, d.from])),
      ...(preview === undefined ? {} : { preface: preview.preface }),
      ...(preview?.replacesImage === undefined
        ? {}
        : { replacingImages: new Map([[preview.derived.spec.name, preview.replacesImage]]) }),
      yes: flags.yes === true,
      json: flags.json === true,
      forceUnlock: flags.forceUnlock === true,
      autoRollback: flags.autoRollback !== false,
      verb,
      resume: commandLine([...resume, ...targetWords(flags)]),
      target: targetWords(flags),
      ...(flags.region === undefined ? {} : { region: flags.region }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(overrideDisruption === undefined ? {} : { overrideDisruption }),
      ...(flags.dryRun === true ? { dryRun: true } : {}),
    });
  } finally {
    await conn.close();
  }
}
