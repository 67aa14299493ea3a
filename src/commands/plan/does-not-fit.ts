import type { Env } from "../../cli/env.js";
import { writeLine } from "../../cli/io.js";
import { notFittingHint, notFittingSummary } from "../../plan/not-fitting.js";
import type { Plan } from "../../plan/types.js";

/**
 * Exit 4 with one `error:` line on stderr naming what does not fit, as every failing exit has (stdout keeps the plan
 * alone, so `titan plan --json | jq` still reads one document).
 */
export function sayDoesNotFit(env: Env, plans: readonly Plan[], json: boolean): void {
  writeLine(env.io.err, `${env.io.errColor.red("error:")} ${notFittingSummary(plans)}`);
  writeLine(env.io.err, `${env.io.errColor.dim("hint:")} ${notFittingHint(json)}`);
}
