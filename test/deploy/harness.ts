import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { Command, CommanderError } from "commander";
import type { Env } from "../../src/cli/env.js";
import { systemClock, withTargets } from "../../src/cli/env.js";
import { TitanError } from "../../src/cli/errors.js";
import { createIO } from "../../src/cli/io.js";
import { platformPaths } from "../../src/cli/paths.js";
import { registerDeploy } from "../../src/commands/deploy/command.js";
import { registerPlan } from "../../src/commands/plan/command.js";
import { registerReleases } from "../../src/commands/releases/command.js";
import { registerRestart } from "../../src/commands/restart/command.js";
import { registerRollback } from "../../src/commands/rollback/command.js";
import { registerScale } from "../../src/commands/scale/command.js";
import { registerStop } from "../../src/commands/stop/command.js";
import type { CommandContext } from "../../src/commands/types.js";
import { scriptedPrompter } from "../support/env.js";
import type { TestClusterOptions } from "../support/local-cluster.js";
import { tempDir } from "../support/tmp.js";

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the deploy family of commands in-process as titan's main would (same Env, same error-to-exit-code rule),
 * with non-TTY streams and the environment given.
 */
export async function titan(
  argv: readonly string[],
  options: { vars: Record<string, string | undefined>; cwd: string; signal?: AbortSignal },
): Promise<Result> {
  const stdin = new PassThrough();
  stdin.end("");
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (c: Buffer) => {
    out += c.toString("utf8");
  });
  stderr.on("data", (c: Buffer) => {
    err += c.toString("utf8");
  });
  const vars = { NO_COLOR: "1", ...options.vars };
  const io = createIO({ stdin, out: stdout, err: stderr, env: vars });
  const env: Env = withTargets({
    io,
    vars,
    cwd: options.cwd,
    paths: platformPaths(vars),
    clock: systemClock,
    debug: false,
    signal: options.signal ?? new AbortController().signal,
    prompter: () => scriptedPrompter([]),
  });
  let code = 0;
  const ctx: CommandContext = { env: () => env, setExitCode: (c) => (code = c) };
  const program = new Command("titan").exitOverride().configureOutput({
    writeOut: (s) => stdout.write(s),
    writeErr: (s) => stderr.write(s),
    outputError: () => {},
  });
  registerDeploy(program, ctx);
  registerPlan(program, ctx);
  registerScale(program, ctx);
  registerRestart(program, ctx);
  registerReleases(program, ctx);
  registerRollback(program, ctx);
  registerStop(program, ctx);
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) code = 2;
    else if (error instanceof TitanError) {
      err += `error: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ""}`;
      code = error.exitCode;
    } else throw error;
  }
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout: out, stderr: err };
}

/** A home for one test: XDG directories in a temp dir. */
export function home(): { cwd: string; vars: Record<string, string> } {
  const dir = tempDir("titan-deploy-");
  return {
    cwd: dir,
    vars: {
      HOME: dir,
      XDG_CONFIG_HOME: join(dir, "config"),
      XDG_DATA_HOME: join(dir, "data"),
      XDG_STATE_HOME: join(dir, "state"),
      XDG_CACHE_HOME: join(dir, "cache"),
    },
  };
}

export interface WebApp {
  name?: string;
  instances?: number;
  version?: string;
  /** Health path; `/broken` answers 500. */
  healthPath?: string;
  maxSurge?: number;
  maxUnavailable?: number;
  autoRollback?: boolean;
  extraEnv?: string;
  /** Replaces the HTTP server, e.g. with a command that exits at once. */
  shell?: string;
  /** How long failing health checks are ignored after a task starts (default 1s). */
  healthGrace?: string;
  /** Shorter deadlines for releases that are meant to fail (defaults 3s and 4s). */
  healthyDeadline?: string;
  progressDeadline?: string;
  /** A YAML flow list, e.g. `[{ balance: zone }]`. */
  constraints?: string;
  /** Each instance's cpus (default 0.1). */
  cpus?: number;
  /** Each instance's disk, e.g. `64Mi` (default none). */
  disk?: string;
  /** A YAML flow mapping for `disruption`, e.g. `{ windows: [{ days: [sun], hours: "00:00-24:00" }] }`. */
  disruption?: string;
}

/** A tiny HTTP server per instance: answers 200 everywhere but /broken. */
export function writeWebApp(dir: string, app: WebApp = {}): string {
  const server =
    "require('http').createServer((q,s)=>{s.statusCode=q.url==='/broken'?500:200;s.end(process.env.VERSION)}).listen(process.env.PORT_HTTP)";
  const yaml = `name: ${app.name ?? "web"}
shell: ${app.shell === undefined ? `"exec node -e \\"${server}\\""` : JSON.stringify(app.shell)}
ports: [http]
instances: ${app.instances ?? 3}
${app.constraints === undefined ? "" : `constraints: ${app.constraints}\n`}resources: { cpus: ${app.cpus ?? 0.1}, mem: 32Mi${app.disk === undefined ? "" : `, disk: ${app.disk}`} }
env:
  VERSION: "${app.version ?? "1"}"
${app.extraEnv ?? ""}
health:
  http: { port: http, path: ${app.healthPath ?? "/"} }
  interval: 200ms
  timeout: 150ms
  grace: ${app.healthGrace ?? "1s"}
  failures: 2
update:
  max_surge: ${app.maxSurge ?? 1}
  max_unavailable: ${app.maxUnavailable ?? 0}
  min_healthy_time: 200ms
  healthy_deadline: ${app.healthyDeadline ?? "3s"}
  progress_deadline: ${app.progressDeadline ?? "4s"}
  auto_rollback: ${app.autoRollback ?? true}
restart: { backoff: 100ms, factor: 2, max_delay: 1s }
kill_grace: 500ms
${app.disruption === undefined ? "" : `disruption: ${app.disruption}\n`}`;
  const file = join(dir, `${app.name ?? "web"}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

export type Event = Record<string, unknown> & { type: string };

export function events(stdout: string): Event[] {
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Event);
}

/** The most tasks of the app alive at once, counted from the event stream (existing + launched − terminal). */
export function peakLive(list: readonly Event[], app = "web"): number {
  const live = new Set<string>();
  let peak = 0;
  for (const e of list) {
    if (e.app !== app) continue;
    const task = String(e.task ?? "");
    if (e.type === "existing" || e.type === "launch") live.add(task);
    if (["killed", "finished", "failed", "lost"].includes(e.type)) live.delete(task);
    peak = Math.max(peak, live.size);
  }
  return peak;
}

/** A local cluster that allocates every 100 ms, so offers come back quickly. */
export const FAST: TestClusterOptions = { master: { allocationIntervalMs: 100 } };

/** The app's non-terminal tasks as the master reports them. */
export async function liveTasks(url: string, app = "web"): Promise<Array<{ id: string; state: string }>> {
  const res = await fetch(`${url}/master/tasks`);
  const body = (await res.json()) as { tasks: Array<{ id: string; state: string }> };
  const terminal = /FINISHED|FAILED|KILLED|ERROR|LOST|DROPPED|GONE/;
  return body.tasks.filter((t) => t.id.startsWith(`${app}.`) && !terminal.test(t.state));
}

/** The ids of the app's live tasks, sorted. */
export async function liveTaskIds(url: string, app = "web"): Promise<string[]> {
  return (await liveTasks(url, app)).map((t) => t.id).sort();
}

export function releaseOf(taskId: string): number {
  return Number(taskId.split(".")[1]);
}

export function dataHome(h: { vars: Record<string, string> }): string {
  return h.vars.XDG_DATA_HOME ?? "";
}

/** The deploy lock of app `web` in the home's file state store of the `local` context. */
export function lockFile(h: { vars: Record<string, string> }): string {
  return join(dataHome(h), "titan", "state", "local", "apps", "web", "lock.json");
}
