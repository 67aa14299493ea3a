#!/usr/bin/env node
import { main } from "../dist/main.js";

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
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
});
process.off("SIGINT", onSignal);
process.off("SIGTERM", onSignal);
