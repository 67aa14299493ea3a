import type { Env } from "../../cli/env.js";
import { InterruptedError, TitanError } from "../../cli/errors.js";
import { ExitCode, watchEndCode } from "../../cli/exit-codes.js";
import { writeLine } from "../../cli/io.js";
import { escapeTerminal } from "../../cli/terminal-text.js";
import { isoTime } from "../../observe/iso-time.js";
import { sleep } from "../../observe/sleep.js";
import { renderUsage, type UsageSection, usageToJson } from "../../observe/usage.js";
import { unknownAppError } from "../../release/unknown-app.js";
import { parseInterval } from "../ps/interval.js";
import { resolveTargets } from "../ps/target.js";
import type { TopOptions } from "./command.js";
import { TargetUsage } from "./sample.js";

const DEFAULT_INTERVAL_MS = 1000;

/** `titan top`: two rounds of samples an interval apart and their figures, or rounds until Ctrl-C (`--watch`). */
export async function runTop(env: Env, opts: TopOptions): Promise<number> {
  const interval = parseInterval(opts.interval, DEFAULT_INTERVAL_MS, "5s");
  const targets = await resolveTargets(env, opts, opts.allRegions);
  try {
    const followed = targets.map((target) => new TargetUsage(env, target, opts.apps, targets.length === 1));
    // The first answers only start the measurement: a rate needs two samples.
    const first = await Promise.all(followed.map((f) => f.round(true, interval)));
    const unknown = opts.apps.find((app) => !followed.some((f) => f.known.has(app)));
    if (unknown !== undefined && first.every((s) => s.error === undefined)) throw unknownAppError(unknown);
    if (opts.watch) return await watch(env, followed, opts, interval);
    if (!(await sleep(interval, env.signal))) throw new InterruptedError();
    const sections = await Promise.all(followed.map((f) => f.round(false, interval)));
    if (opts.json) writeLine(env.io.out, JSON.stringify(usageToJson(sections), null, 2));
    else writeLine(env.io.out, renderUsage(sections, env.io.color).join("\n"));
    return sections.some((s) => s.error !== undefined) ? ExitCode.Runtime : ExitCode.Ok;
  } finally {
    await Promise.all(targets.map((target) => target.close()));
  }
}

const CLEAR_SCREEN = "\x1b[H\x1b[2J";

/**
 * Every interval, the task list read again and every agent asked again, each figure measured since the round
 * before, until Ctrl-C (exit 0): a terminal gets the view redrawn, JSON one document per round, anything else the
 * view under the round's time. A round that fails is reported and the next one tried.
 */
async function watch(
  env: Env,
  followed: readonly TargetUsage[],
  opts: TopOptions,
  interval: number,
): Promise<number> {
  while (await sleep(interval, env.signal)) {
    let sections: UsageSection[];
    try {
      sections = await Promise.all(followed.map((f) => f.round(true, interval)));
    } catch (error) {
      if (env.signal.aborted) break;
      if (!(error instanceof TitanError)) throw error;
      writeLine(
        env.io.err,
        `${env.io.errColor.yellow("warning:")} ${escapeTerminal(error.message)}; retrying`,
      );
      continue;
    }
    if (opts.json) writeLine(env.io.out, JSON.stringify(usageToJson(sections)));
    else if (env.io.isStdoutTTY)
      env.io.out.write(`${CLEAR_SCREEN}${renderUsage(sections, env.io.color).join("\n")}\n`);
    else
      writeLine(
        env.io.out,
        [isoTime(env.clock.now()), ...renderUsage(sections, env.io.color), ""].join("\n"),
      );
  }
  return watchEndCode(env.signal);
}
