import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { main } from "../../src/main.js";

/** A running `titan supervise` in-process: its stdout so far, and how to stop it. */
export interface RunningSupervisor {
  lines(): string[];
  /** Parsed JSON log lines. */
  records(): Array<Record<string, unknown>>;
  /** Resolves with the first record the predicate accepts (polls the output). */
  waitFor(
    predicate: (record: Record<string, unknown>) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** The /healthz and /metrics base URL, once it is known. */
  url(): Promise<string>;
  stop(): Promise<{ code: number; stderr: string }>;
}

const running: RunningSupervisor[] = [];

export async function stopAll(): Promise<void> {
  await Promise.all(running.splice(0).map((s) => s.stop()));
}

/** Short timings for tests: the supervisor looks at locks and writes reports often, leases are short. */
export const QUICK = {
  TITAN_SUPERVISE_REPORT_MS: "300",
  TITAN_SUPERVISE_LOCK_POLL_MS: "100",
  TITAN_SUPERVISE_TICK_MS: "50",
  TITAN_SUPERVISE_LEASE_MS: "1500",
};

export function startSupervisor(
  argv: readonly string[],
  options: { vars: Record<string, string | undefined>; cwd: string },
): RunningSupervisor {
  const abort = new AbortController();
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
  const done = main(["supervise", "--json", "--listen", "127.0.0.1:0", ...argv], {
    stdin,
    stdout,
    stderr,
    env: { NO_COLOR: "1", ...QUICK, ...options.vars },
    cwd: options.cwd,
    signal: abort.signal,
  });
  let finished = false;
  void done.finally(() => {
    finished = true;
  });
  const records = (): Array<Record<string, unknown>> =>
    out
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const waitFor: RunningSupervisor["waitFor"] = async (predicate, what, timeoutMs = 30_000) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = records().find(predicate);
      if (found) return found;
      if (finished) throw new Error(`titan supervise ended before ${what}:\n${out}\n${err}`);
      if (Date.now() > until) throw new Error(`no ${what} in the supervisor's log:\n${out}\n${err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const supervisor: RunningSupervisor = {
    lines: () => out.split("\n").filter((l) => l !== ""),
    records,
    waitFor,
    url: async () => String((await waitFor((r) => r.listen !== undefined, "listen address")).listen),
    stop: async () => {
      abort.abort();
      const code = await done;
      const index = running.indexOf(supervisor);
      if (index >= 0) running.splice(index, 1);
      return { code, stderr: err };
    },
  };
  running.push(supervisor);
  return supervisor;
}

/** An app whose instances serve HTTP and exit with code 3 on GET /exit. */
export function writeCrashableApp(
  dir: string,
  options: { instances: number; constraints?: string; crashFile?: string; restart?: string },
): string {
  // With crashFile: an instance that starts while that file exists exits at once (a crash loop on demand).
  const guard =
    options.crashFile === undefined
      ? ""
      : `if(require('fs').existsSync('${options.crashFile}'))process.exit(3);`;
  const server = `${guard}require('http').createServer((q,s)=>{if(q.url==='/exit'){s.end('bye');setTimeout(()=>process.exit(3),10);return}s.end('ok')}).listen(process.env.PORT_HTTP)`;
  const yaml = `name: web
shell: "exec node -e \\"${server}\\""
ports: [http]
instances: ${options.instances}
${options.constraints === undefined ? "" : `constraints: ${options.constraints}\n`}resources: { cpus: 0.1, mem: 32Mi }
health:
  http: { port: http, path: / }
  interval: 200ms
  timeout: 150ms
  grace: 1s
  failures: 2
update:
  max_surge: 1
  max_unavailable: 0
  min_healthy_time: 200ms
  healthy_deadline: 5s
  progress_deadline: 6s
restart: ${options.restart ?? "{ backoff: 200ms, factor: 2, max_delay: 2s }"}
kill_grace: 500ms
`;
  const file = join(dir, "web.yaml");
  writeFileSync(file, yaml);
  return file;
}

interface MasterTask {
  id: string;
  state: string;
  slave_id: string;
  resources?: { ports?: string };
}

/** The app's tasks the master lists (live ones), with the first host port of each. */
export async function masterTasks(url: string): Promise<Array<MasterTask & { port?: number }>> {
  const res = await fetch(`${url}/master/tasks`);
  const body = (await res.json()) as { tasks: MasterTask[] };
  return body.tasks.map((t) => {
    const match = /\[(\d+)-/.exec(t.resources?.ports ?? "");
    return match ? { ...t, port: Number(match[1]) } : t;
  });
}

/** Polls until `check` holds; fails with `what` after the timeout. */
export async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
