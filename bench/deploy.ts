import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import type { Env } from "../src/cli/env.js";
import { systemClock, withTargets } from "../src/cli/env.js";
import { createIO } from "../src/cli/io.js";
import { platformPaths } from "../src/cli/paths.js";
import { runDeploy } from "../src/commands/deploy/run.js";
import { startBackgroundCluster } from "../src/local/background.js";
import { localPaths, stopProcess } from "../src/local/control.js";

/**
 * `titan deploy` of 200 instances on a 10-agent local cluster: wall time until every instance counts, and the CPU
 * time of titan itself. The cluster runs in its own process (as `titan local up` starts it), so this process's
 * CPU time is titan's alone: planning, the scheduler session, placement on offers, TaskInfos, the state store.
 */

const INSTANCES = 200;
const AGENTS = 10;

function manifest(version: string): string {
  return `name: bench
shell: "exec sleep 600"
instances: ${INSTANCES}
resources: { cpus: 0.05, mem: 8Mi }
env: { VERSION: "${version}" }
update:
  max_surge: 25%
  max_unavailable: 0
  min_healthy_time: 0s
  healthy_deadline: 2m
  progress_deadline: 3m
kill_grace: 1s
`;
}

function benchEnv(dir: string, masterless: Record<string, string>): Env {
  const stdin = new PassThrough();
  stdin.end("");
  const sink = (): PassThrough => {
    const s = new PassThrough();
    s.resume();
    return s;
  };
  const vars = { NO_COLOR: "1", ...masterless };
  return withTargets({
    io: createIO({ stdin, out: sink(), err: sink(), env: vars }),
    vars,
    cwd: dir,
    paths: platformPaths(vars),
    clock: systemClock,
    debug: false,
    signal: new AbortController().signal,
    prompter: () => {
      throw new Error("the benchmark never prompts");
    },
  });
}

async function timed(env: Env, file: string, master: string): Promise<{ wallMs: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const code = await runDeploy(env, {
    files: [file],
    master,
    yes: true,
    json: true,
    forceUnlock: false,
    autoRollback: true,
    dryRun: false,
    adopt: false,
    skipRegion: [],
    only: [],
    detach: false,
  });
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  if (code !== 0) throw new Error(`deploy exited ${code}`);
  return { wallMs, cpuMs: (used.user + used.system) / 1000 };
}

export async function run(): Promise<{ title: string; markdown: string }> {
  const dir = mkdtempSync(join(tmpdir(), "titan-bench-deploy-"));
  const paths = localPaths(join(dir, "cluster"));
  const state = await startBackgroundCluster(paths, {
    agents: AGENTS,
    agentResources: { cpus: 4, mem: 8192, disk: 20000, ports: [{ begin: 31000, end: 32000 }] },
    zones: ["a", "b", "c"],
    port: 0,
    workDir: paths.workDir,
    stateFile: paths.stateFile,
  });
  try {
    const env = benchEnv(dir, {
      HOME: dir,
      XDG_CONFIG_HOME: join(dir, "config"),
      XDG_DATA_HOME: join(dir, "data"),
      XDG_STATE_HOME: join(dir, "state"),
    });
    const file = join(dir, "bench.yaml");
    writeFileSync(file, manifest("1"));
    const first = await timed(env, file, state.url);
    writeFileSync(file, manifest("2"));
    const rolling = await timed(env, file, state.url);
    const row = (what: string, r: { wallMs: number; cpuMs: number }): string =>
      `| ${what} | ${(r.wallMs / 1000).toFixed(2)} s | ${r.cpuMs.toFixed(0)} ms | ${((r.cpuMs / INSTANCES) * 1000).toFixed(0)} µs |`;
    const markdown = [
      `\`titan deploy --yes --json\` of an app with ${INSTANCES} instances (\`sleep\` command tasks, no health check,`,
      "`min_healthy_time: 0s`) on a local cluster of",
      `${AGENTS} agents (4 cpus, 8 GiB each) running in its own process, as \`titan local up\` starts it. Wall time is`,
      "from the start of the command (manifest load, GET_STATE, plan) until every instance counts and the release is",
      "recorded; CPU time is titan's own process (user + system). The rolling update replaces all 200 instances with",
      "`max_surge: 25%` (50 at a time), each old one killed once its replacement runs.",
      "",
      `Machine: ${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, Node ${process.version}.`,
      "",
      "| deploy | wall time | titan CPU | titan CPU per instance |",
      "|---|---|---|---|",
      row(`first deploy, ${INSTANCES} launches`, first),
      row(`rolling update, ${INSTANCES} replacements`, rolling),
    ].join("\n");
    return { title: "titan deploy: 200 instances on 10 agents", markdown };
  } finally {
    await stopProcess(state.pid, 30_000);
    rmSync(dir, { recursive: true, force: true });
  }
}
