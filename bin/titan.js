#!/usr/bin/env node
let main;
let tuneV8For;
let guardOutput;
let secondSignalNote;
try {
  ({ main, tuneV8For, guardOutput, secondSignalNote } = await import("../dist/main.js"));
} catch (error) {
  if (error?.code !== "ERR_MODULE_NOT_FOUND" || !String(error.message).includes("dist")) throw error;
  process.stderr.write(
    "error: titan is not built\nhint: run `npm ci` (or `npm run build`) in the titan checkout\n",
  );
  process.exit(1);
}

// Process-wide V8 settings, before the command's code runs (src/cli/v8-tuning.ts says why).
tuneV8For(process.argv.slice(2));

const controller = new AbortController();

// A reader that goes away (`titan ps | head`, `titan logs api 2>&1 | head -1`) is not an error, yet it must never
// pass for success of a command whose output it did not get: the stream goes quiet, and the command stops as an
// interruption does (a deploy releases its lock, records its progress and exits non-zero). A stdout that cannot be
// written (a full disk) stops it too, with one error line. main() waits for stdout to be delivered before it
// decides the exit code; a failure the command reached keeps its own code (src/cli/output-guard.ts says more).
guardOutput(process.stdout, process.stderr, controller);

// The first SIGINT/SIGTERM/SIGHUP stops the command cleanly (a deploy releases its lock and records where it
// stands); a second one gives that cleanup a few seconds more, saying what it waits for; a third exits at once.
let interrupts = 0;
const onSignal = (signal) => {
  interrupts += 1;
  if (interrupts === 1) return controller.abort(signal);
  if (interrupts === 2) {
    process.stderr.write(`${secondSignalNote()}\n`);
    setTimeout(() => process.exit(130), 5000).unref();
    return;
  }
  process.exit(130);
};
process.on("SIGTERM", onSignal);
process.on("SIGINT", onSignal);
process.on("SIGHUP", onSignal);

process.exitCode = await main(process.argv.slice(2), {
  // process.stdin sets up a stream (tty or socket) when first touched: only commands that read it pay for that.
  get stdin() {
    return process.stdin;
  },
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
});
process.off("SIGINT", onSignal);
process.off("SIGTERM", onSignal);
process.off("SIGHUP", onSignal);
