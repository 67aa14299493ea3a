import { PassThrough, Writable } from "node:stream";
import { tuneV8For } from "../src/cli/v8-tuning.js";
import { main } from "../src/main.js";

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

interface WarmUp {
  dir: string;
  argv: string[];
  runs: number;
}

async function runTitan(cwd: string, args: readonly string[]) {
  let bytes = 0;
  let stderr = "";
  const out = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      bytes += chunk.length;
      done();
    },
  });
  const err = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      stderr += chunk.toString();
      done();
    },
  });
  const stdin = new PassThrough();
  stdin.end();
  const started = performance.now();
  const code = await main(args, { stdin, stdout: out, stderr: err, env: { NO_COLOR: "1" }, cwd });
  return { code, bytes, stderr, ms: performance.now() - started };
}

const warmUp = process.env.TITAN_BENCH_WARM_UP;
if (warmUp !== undefined) {
  const spec = JSON.parse(warmUp) as WarmUp;
  for (let run = 0; run < spec.runs; run++) await runTitan(spec.dir, spec.argv);
}
const { code, bytes, stderr, ms } = await runTitan(dir ?? ".", argv);
const maxRssMb = process.resourceUsage().maxRSS / 1024;
process.stdout.write(
  `${JSON.stringify({ code, bytes, maxRssMb, commandMs: ms, stderr: stderr.slice(0, 400) })}\n`,
);
