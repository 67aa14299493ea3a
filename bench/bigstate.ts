import { fork } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { PassThrough, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { taskLabels } from "../src/cluster/labels.js";
import { runPs } from "../src/commands/ps/run.js";
import { main } from "../src/main.js";
import { benchEnv, countingSink, measureInChild } from "./bench-kit.js";
import { psOptions } from "./synthetic-state.js";

/**
 * `titan ps` and `titan plan` against a master whose GET_STATE is about 300 MB of JSON: 5,000 titan tasks among
 * 400,000 tasks of other frameworks, with their executors. The body is served from pre-built pieces (gzipped once when the client
 * accepts it, as libprocess does), and each measurement runs in a fresh child process so its peak RSS is its own.
 */
const TITAN_TASKS = 5_000;
const FOREIGN_TASKS = 400_000;
const AGENTS = 2_000;
const RUNS = 3;

type Kind = "gzip" | "plain";
type Command = "ps" | "plan";

interface Sample {
  wallMs: number;
  peakRssMb: number;
  startRssMb: number;
}

function taskJson(i: number, titan: boolean, now: number): string {
  const id = titan ? `app-${i % 50}.3.${Math.floor(i / 50)}.0` : `spark-${i}-executor`;
  const labels = titan
    ? taskLabels({ app: `app-${i % 50}`, instance: Math.floor(i / 50), release: 3, digest: "sha256:0123" })
    : [
        { key: "spark.app", value: `job-${i % 997}` },
        { key: "owner", value: "analytics" },
      ];
  return JSON.stringify({
    name: id,
    task_id: { value: id },
    framework_id: { value: titan ? `framework-app-${i % 50}` : `framework-spark-${i % 300}` },
    agent_id: { value: `agent-${i % AGENTS}` },
    executor_id: { value: `executor-${id}` },
    state: "TASK_RUNNING",
    resources: [
      { name: "cpus", type: "SCALAR", scalar: { value: 0.5 }, role: "*" },
      { name: "mem", type: "SCALAR", scalar: { value: 1024 }, role: "*" },
      {
        name: "ports",
        type: "RANGES",
        ranges: { range: [{ begin: 31000 + (i % 999), end: 31000 + (i % 999) }] },
      },
    ],
    statuses: [
      { task_id: { value: id }, state: "TASK_STARTING", timestamp: now - 3600, source: "SOURCE_EXECUTOR" },
      { task_id: { value: id }, state: "TASK_RUNNING", timestamp: now - 3500, source: "SOURCE_EXECUTOR" },
    ],
    labels: { labels },
  });
}

function executorJson(i: number): string {
  return JSON.stringify({
    executor_info: {
      executor_id: { value: `executor-spark-${i}` },
      command: {
        value: `/opt/spark/bin/executor --app job-${i % 997} --cores 2 --memory 4g --conf spark.x=${i}`,
      },
      resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 0.1 } }],
    },
    agent_id: { value: `agent-${i % AGENTS}` },
  });
}

/** The document as pieces (never one string): a few hundred thousand small buffers. */
function statePieces(): Buffer[] {
  const now = Date.now() / 1000;
  const pieces: Buffer[] = [Buffer.from('{"type":"GET_STATE","get_state":{"get_tasks":{"tasks":[')];
  const total = TITAN_TASKS + FOREIGN_TASKS;
  const every = Math.floor(total / TITAN_TASKS);
  for (let i = 0; i < total; i += 1) {
    pieces.push(Buffer.from(`${i === 0 ? "" : ","}${taskJson(i, i % every === 0, now)}`));
  }
  pieces.push(Buffer.from(']},"get_executors":{"executors":['));
  for (let i = 0; i < FOREIGN_TASKS; i += 1)
    pieces.push(Buffer.from(`${i === 0 ? "" : ","}${executorJson(i)}`));
  pieces.push(Buffer.from(']},"get_agents":{"agents":['));
  for (let a = 0; a < AGENTS; a += 1) {
    const agent = {
      agent_info: { hostname: `agent-${a}.example`, id: { value: `agent-${a}` } },
      active: true,
    };
    pieces.push(Buffer.from(`${a === 0 ? "" : ","}${JSON.stringify(agent)}`));
  }
  pieces.push(Buffer.from(']},"get_frameworks":{"frameworks":[]}}}'));
  return pieces;
}

/** A master without quota, as `titan plan` asks after GET_STATE. */
const NO_QUOTA = JSON.stringify({ type: "GET_QUOTA", get_quota: { status: {} } });

/**
 * Answers GET_QUOTA as a master without quota does, and every other request with the state; gzipped when the client
 * accepts it and `gzipped` is given.
 */
function serve(pieces: readonly Buffer[], gzipped: Buffer | undefined): Promise<Server> {
  const size = pieces.reduce((n, p) => n + p.length, 0);
  const server = createServer((request, response) => {
    const body: Buffer[] = [];
    request.on("data", (chunk: Buffer) => body.push(chunk));
    request.on("end", () => {
      if (Buffer.concat(body).toString().includes('"GET_QUOTA"')) {
        response.writeHead(200, { "Content-Type": "application/json" });
        response.end(NO_QUOTA);
        return;
      }
      if (gzipped !== undefined && (request.headers["accept-encoding"] ?? "").includes("gzip")) {
        response.writeHead(200, {
          "Content-Type": "application/json",
          "Content-Encoding": "gzip",
          "Content-Length": gzipped.length,
        });
        response.end(gzipped);
        return;
      }
      response.writeHead(200, { "Content-Type": "application/json", "Content-Length": size });
      let i = 0;
      const pump = (): void => {
        while (i < pieces.length) if (!response.write(pieces[i++])) return void response.once("drain", pump);
        response.end();
      };
      pump();
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/** One app of ten instances, planned against the whole cluster: every running task counts for placement. */
const MANIFEST = "name: web\ninstances: 10\nresources: { cpus: 0.5, mem: 256 }\nshell: sleep 1000\n";

/** `titan plan` as a user runs it (exit 0: a plan, 4: it does not fit); its output is counted, not kept. */
async function planOnce(home: string, url: string): Promise<number> {
  const file = join(home, "titan.yaml");
  writeFileSync(file, MANIFEST);
  const stdin = new PassThrough();
  stdin.end();
  const sink = (): Writable => new Writable({ write: (_c, _e, done) => done() });
  const env = { NO_COLOR: "1", XDG_CONFIG_HOME: join(home, "config"), XDG_DATA_HOME: join(home, "data") };
  const code = await main(["plan", "--master", url, "-f", file], {
    stdin,
    stdout: sink(),
    stderr: sink(),
    env,
    cwd: home,
  });
  if (code !== 0 && code !== 4) throw new Error(`titan plan exited ${code}`);
  return code;
}

async function measure(command: Command, url: string): Promise<Sample> {
  const home = mkdtempSync(join(tmpdir(), "titan-bench-bigstate-"));
  const startRss = process.memoryUsage().rss;
  const started = performance.now();
  try {
    if (command === "plan") await planOnce(home, url);
    else {
      const code = await runPs(benchEnv(countingSink().stream, home), psOptions(url));
      if (code !== 0) throw new Error(`titan ps exited ${code}`);
    }
    return {
      wallMs: performance.now() - started,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      startRssMb: startRss / (1024 * 1024),
    };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/**
 * The server runs in a child process of its own: Linux carries a parent's peak RSS over into the children it
 * forks (`getrusage` maxrss), so a parent holding the 400 MB document would inflate every measurement.
 */
function startServer(
  kind: Kind,
): Promise<{ port: number; jsonBytes: number; wireBytes: number; stop(): void }> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ["--serve", kind], { stdio: "inherit" });
    child.once("message", (message) => {
      const { port, jsonBytes, wireBytes } = message as {
        port: number;
        jsonBytes: number;
        wireBytes: number;
      };
      resolve({ port, jsonBytes, wireBytes, stop: () => child.kill() });
    });
    child.once("error", reject);
  });
}

export async function run(): Promise<{ title: string; markdown: string }> {
  const rows: string[] = [];
  let jsonBytes = 0;
  for (const kind of ["gzip", "plain"] as Kind[]) {
    // The plain server never compresses, as a proxy in front of a master might not.
    const server = await startServer(kind);
    jsonBytes = server.jsonBytes;
    try {
      for (const command of ["ps", "plan"] as Command[]) {
        const samples: Sample[] = [];
        for (let i = 0; i < RUNS; i += 1)
          samples.push(
            await measureInChild<Sample>(fileURLToPath(import.meta.url), [
              "--measure",
              command,
              `http://127.0.0.1:${server.port}`,
            ]),
          );
        const wall = median(samples.map((s) => s.wallMs));
        const peak = median(samples.map((s) => s.peakRssMb));
        const growth = median(samples.map((s) => s.peakRssMb - s.startRssMb));
        rows.push(
          `| \`titan ${command}\` | ${kind === "gzip" ? "gzip (the master compresses)" : "uncompressed"} | ${server.wireBytes.toLocaleString("en-US")} B | ${wall.toFixed(0)} ms | ${peak.toFixed(0)} MB | ${growth.toFixed(0)} MB |`,
        );
      }
    } finally {
      server.stop();
    }
  }
  const machine = `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, Node ${process.versions.node}`;
  const markdown = [
    `\`titan ps\` (\`runPs\`, in-process, table output) and \`titan plan\` (the whole command in-process: one app of ten instances placed on the cluster) against a synthetic GET_STATE of ${(jsonBytes / 1024 / 1024).toFixed(0)} MB of JSON: ${TITAN_TASKS.toLocaleString("en-US")} titan tasks among ${FOREIGN_TASKS.toLocaleString("en-US")} running tasks of other frameworks, their executors and ${AGENTS.toLocaleString("en-US")} agents, served by a loopback HTTP server in its own process. Both ask for gzip and read the answer as a stream (src/mesos/state-stream.ts), executors and completed tasks scanned past. \`ps\` keeps only tasks with a \`titan.app\` label (parsing the others only inside batches where titan's are at least half), so its memory follows titan's share of the cluster; \`plan\` (and \`deploy\`, which reads the same way: src/cluster/live-state.ts) must count every running task for placement, so it keeps each one cut down to its agent, framework, state and resources, and its memory follows the number of running tasks, not the size of the answer. Before, one GET_STATE was capped at 64 MiB and held whole (buffer, string and object tree: about 7x the JSON size in RSS, see the section above), so this state could not be read at all. Each measurement runs in its own child process (peak = its max RSS; growth = peak minus RSS after start-up); medians of ${RUNS} runs.`,
    "",
    `Machine: ${machine}.`,
    "",
    "| command | answer | bytes on the wire | wall | peak RSS | growth |",
    "|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
  return { title: "titan ps and titan plan on a master state of over 300 MB", markdown };
}

if (process.argv[2] === "--measure" && process.send !== undefined) {
  measure(process.argv[3] === "plan" ? "plan" : "ps", process.argv[4] ?? "").then(
    (sample) => process.send?.(sample, () => process.exit(0)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

if (process.argv[2] === "--serve" && process.send !== undefined) {
  const pieces = statePieces();
  const jsonBytes = pieces.reduce((n, p) => n + p.length, 0);
  const gzipped = process.argv[3] === "gzip" ? gzipSync(Buffer.concat(pieces)) : undefined;
  serve(pieces, gzipped).then((server) =>
    process.send?.({
      port: (server.address() as AddressInfo).port,
      jsonBytes,
      wireBytes: gzipped?.length ?? jsonBytes,
    }),
  );
}
