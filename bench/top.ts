import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { tuneV8For } from "../src/cli/v8-tuning.js";
import { runPs } from "../src/commands/ps/run.js";
import { runTop } from "../src/commands/top/run.js";
import type { Task } from "../src/mesos/types/mesos.js";
import type { AgentContainer, GetAgentsAgent } from "../src/mesos/types/operator.js";
import { benchEnv, countingSink, measureRounds, median } from "./bench-kit.js";
import { psOptions, syntheticAgent, syntheticTask, syntheticTaskId } from "./synthetic-state.js";

/**
 * `titan top` on a cluster of 500 agents running 50,000 titan tasks: the master's GET_STATE and every agent's
 * GET_CONTAINERS (twice, 100 containers each) served on loopback, beside `titan ps` on the same master in the
 * same run. Each measurement runs in a fresh child process.
 */

const AGENTS = 500;
const PER_AGENT = 100;
const APPS = 100;
const RUNS = 7;
const INTERVAL_MS = 100;

type Kind = "ps" | "top";

interface Sample {
  wallMs: number;
  peakRssMb: number;
  outputBytes: number;
}

function taskId(agent: number, slot: number): { app: string; instance: number; id: string } {
  const n = agent * PER_AGENT + slot;
  const app = `app-${n % APPS}`;
  const instance = Math.floor(n / APPS);
  return { app, instance, id: syntheticTaskId(app, instance) };
}

function masterState(ports: readonly number[]): string {
  const now = Date.now() / 1000;
  const agents: GetAgentsAgent[] = [];
  const tasks: Task[] = [];
  ports.forEach((port, a) => {
    agents.push(syntheticAgent(a, port, `slave(1)@127.0.0.1:${port}`));
    for (let slot = 0; slot < PER_AGENT; slot += 1) {
      const { app, instance } = taskId(a, slot);
      tasks.push(
        syntheticTask({
          app,
          instance,
          agent: a,
          state: "TASK_RUNNING",
          statuses: [{ state: "TASK_RUNNING", timestamp: now - 3500 }],
        }),
      );
    }
  });
  return JSON.stringify({
    type: "GET_STATE",
    get_state: {
      get_tasks: { tasks },
      get_agents: { agents },
      get_frameworks: { frameworks: [] },
      get_executors: { executors: [] },
    },
  });
}

/** An agent's GET_CONTAINERS: its containers' cpu times grow with every answer, so rates are not zero. */
function containersOf(agent: number, calls: number): string {
  const containers: AgentContainer[] = [];
  for (let slot = 0; slot < PER_AGENT; slot += 1) {
    const { app, id } = taskId(agent, slot);
    containers.push({
      framework_id: { value: `framework-${app}` },
      executor_id: { value: id },
      executor_name: `Command Executor (Task: ${id}) (Command: sh -c 'exec ./server')`,
      container_id: { value: `c-${agent}-${slot}` },
      resource_statistics: {
        timestamp: Date.now() / 1000,
        cpus_user_time_secs: 10 + calls * 0.02 + slot / 1000,
        cpus_system_time_secs: 1 + calls * 0.005,
        cpus_soft_limit: 0.2,
        mem_rss_bytes: 40 * 1024 * 1024 + slot * 4096,
        mem_limit_bytes: 160 * 1024 * 1024,
        mem_soft_limit_bytes: 160 * 1024 * 1024,
      },
    });
  }
  return JSON.stringify({ type: "GET_CONTAINERS", get_containers: { containers } });
}

function listen(answer: () => string): Promise<Server> {
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      const body = answer();
      response.writeHead(200, {
        "Content-Type": "application/json",
        "Content-Length": Buffer.byteLength(body),
      });
      response.end(body);
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}

async function measure(kind: Kind, url: string): Promise<Sample> {
  const home = mkdtempSync(join(tmpdir(), "titan-bench-top-"));
  const sink = countingSink();
  const started = performance.now();
  try {
    const env = benchEnv(sink.stream, home);
    const code =
      kind === "ps"
        ? await runPs(env, psOptions(url))
        : await runTop(env, {
            apps: [],
            allRegions: false,
            json: false,
            watch: false,
            interval: `${INTERVAL_MS}ms`,
            master: url,
          });
    if (code !== 0) throw new Error(`titan ${kind} exited ${code}`);
    return {
      wallMs: performance.now() - started,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      outputBytes: sink.bytes(),
    };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

export async function run(): Promise<{ title: string; markdown: string }> {
  const calls = new Array<number>(AGENTS).fill(0);
  const agents = await Promise.all(
    calls.map((_, a) =>
      listen(() => {
        calls[a] = (calls[a] ?? 0) + 1;
        return containersOf(a, calls[a] ?? 0);
      }),
    ),
  );
  const state = masterState(agents.map(portOf));
  const master = await listen(() => state);
  try {
    const url = `http://127.0.0.1:${portOf(master)}`;
    const kinds: Kind[] = ["ps", "top"];
    const samples = await measureRounds<Kind, Sample>(fileURLToPath(import.meta.url), kinds, RUNS, [url]);
    const wall = (k: Kind) => median((samples.get(k) ?? []).map((s) => s.wallMs));
    const peak = (k: Kind) => median((samples.get(k) ?? []).map((s) => s.peakRssMb));
    const rounds = (samples.get("top") ?? []).map(
      (s, i) => s.wallMs - INTERVAL_MS - (samples.get("ps")?.[i]?.wallMs ?? Number.NaN),
    );
    const machine = `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, Node ${process.versions.node}`;
    const tasks = AGENTS * PER_AGENT;
    const markdown = [
      `\`titan top\` against a loopback master whose GET_STATE lists ${tasks.toLocaleString("en-US")} running titan tasks (${APPS} apps) on ${AGENTS} agents, each agent a loopback server of its own answering GET_CONTAINERS with its ${PER_AGENT} containers (about ${(Buffer.byteLength(containersOf(0, 1)) / 1024).toFixed(0)} KB), beside \`titan ps\` against the same master in the same run. \`top\` samples every agent twice, --interval ${INTERVAL_MS}ms apart, at most 32 agents at once; "agent rounds" is top's wall less the interval less ps's wall of the same round (what the two rounds of ${AGENTS * 2} agent calls and the usage table add to reading the master). Each measurement runs in its own child process with the V8 settings of bin/titan.js; medians of ${RUNS} rounds, each measuring both, starting with the other each time.`,
      "",
      `Machine: ${machine}.`,
      "",
      "| measure | wall | peak RSS | stdout |",
      "|---|---|---|---|",
      `| titan ps (table) | ${wall("ps").toFixed(0)} ms | ${peak("ps").toFixed(0)} MB | ${(samples.get("ps")?.[0]?.outputBytes ?? 0).toLocaleString("en-US")} B |`,
      `| titan top --interval ${INTERVAL_MS}ms | ${wall("top").toFixed(0)} ms | ${peak("top").toFixed(0)} MB | ${(samples.get("top")?.[0]?.outputBytes ?? 0).toLocaleString("en-US")} B |`,
      `| agent rounds (top − interval − ps, per round) | ${median(rounds).toFixed(0)} ms | | |`,
    ].join("\n");
    return { title: `titan top on ${AGENTS} agents`, markdown };
  } finally {
    await Promise.all([master, ...agents].map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

if (process.argv[2] === "--measure" && process.send !== undefined) {
  const kind = process.argv[3] as Kind;
  const url = process.argv[4] ?? "";
  tuneV8For([kind]);
  measure(kind, url).then(
    (sample) => process.send?.(sample, () => process.exit(0)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
