#!/usr/bin/env node
let main;
try {
  ({ main } = await import("../dist/main.js"));
} catch (error) {
  if (error?.code !== "ERR_MODULE_NOT_FOUND" || !String(error.message).includes("dist")) throw error;
  process.stderr.write(
    "error: titan is not built\nhint: run `npm ci` (or `npm run build`) in the titan checkout\n",
  );
  process.exit(1);
}

// A reader that goes away (`titan ps | head`) is not an error.
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

const controller = new AbortController();
let interrupts = 0;
const onSignal = (signal) => {
  interrupts += 1;
  if (interrupts > 1) process.exit(130);
  controller.abort(signal);
};
process.once("SIGTERM", onSignal);
process.on("SIGINT", onSignal);

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
