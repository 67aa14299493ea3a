import { tuneV8For } from "../src/cli/v8-tuning.js";
import { runTitan, type WarmUp } from "./placement-plan.js";

/**
 * Runs `titan <argv>` in this fresh process with cwd `dir`, as a user's `titan plan` would run (with the V8
 * settings bin/titan.js sets for it, or V8's defaults when TITAN_BENCH_V8_DEFAULTS is set), stdout counted rather
 * than kept; then prints what the parent measures on: exit code, bytes printed, peak RSS and the command's own wall
 * inside the process. TITAN_BENCH_WARM_UP (`{"dir", "argv", "runs"}`) first runs another command that many times
 * in this process, so that V8 has compiled and optimised titan's code before the measured command.
 * Usage: node plan-child.js DIR ARG…
 */
const [dir, ...argv] = process.argv.slice(2);
if (process.env.TITAN_BENCH_V8_DEFAULTS === undefined) tuneV8For(argv);

const warmUp = process.env.TITAN_BENCH_WARM_UP;
if (warmUp !== undefined) {
  const spec = JSON.parse(warmUp) as WarmUp;
  for (let run = 0; run < spec.runs; run++) await runTitan(spec.argv, spec.dir, false);
}
const { code, bytes, stderr, ms } = await runTitan(argv, dir ?? ".", false);
const maxRssMb = process.resourceUsage().maxRSS / 1024;
process.stdout.write(
  `${JSON.stringify({ code, bytes, maxRssMb, commandMs: ms, stderr: stderr.slice(0, 400) })}\n`,
);
