import { PassThrough, Writable } from "node:stream";
import { main } from "../src/main.js";

/**
 * Runs `titan <argv>` in this fresh process with cwd `dir`, as a user's `titan plan` would run, stdout counted
 * rather than kept; then prints what the parent measures on: exit code, bytes printed, peak RSS.
 * Usage: node plan-child.js DIR ARG…
 */
const [dir, ...argv] = process.argv.slice(2);
let bytes = 0;
const out = new Writable({
  write(chunk: Buffer | string, _encoding, done) {
    bytes += chunk.length;
    done();
  },
});
let stderr = "";
const err = new Writable({
  write(chunk: Buffer | string, _encoding, done) {
    stderr += chunk.toString();
    done();
  },
});
const stdin = new PassThrough();
stdin.end();
const code = await main(argv, { stdin, stdout: out, stderr: err, env: { NO_COLOR: "1" }, cwd: dir ?? "." });
const maxRssMb = process.resourceUsage().maxRSS / 1024;
process.stdout.write(`${JSON.stringify({ code, bytes, maxRssMb, stderr: stderr.slice(0, 400) })}\n`);
