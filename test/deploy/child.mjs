// A `titan deploy` in a process of its own, from the built files, so a test can SIGKILL it mid-deploy.
// Usage: node child.mjs '<JSON of DeployOptions>' (cwd and environment as given by the parent).
import { systemClock, withTargets } from "../../dist/cli/env.js";
import { createIO } from "../../dist/cli/io.js";
import { platformPaths } from "../../dist/cli/paths.js";
import { runDeploy } from "../../dist/commands/deploy/run.js";

const io = createIO({ stdin: process.stdin, out: process.stdout, err: process.stderr, env: process.env });
const env = withTargets({
  io,
  vars: process.env,
  cwd: process.cwd(),
  paths: platformPaths(process.env),
  clock: systemClock,
  debug: false,
  signal: new AbortController().signal,
  prompter: () => {
    throw new Error("no prompts here");
  },
});
const code = await runDeploy(env, JSON.parse(process.argv[2] ?? "{}"));
process.exit(code);
