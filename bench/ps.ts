import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { tuneV8For } from "../src/cli/v8-tuning.js";
import { readTitanTasks } from "../src/cluster/live-source.js";
import { runPs } from "../src/commands/ps/run.js";
import type { Task, TaskState } from "../src/mesos/types/mesos.js";
import type { GetAgentsAgent } from "../src/mesos/types/operator.js";
import { groupByApp } from "../src/observe/group.js";
import { benchEnv, countingSink, measureRounds, median } from "./bench-kit.js";
import { psOptions, syntheticAgent, syntheticTask } from "./synthetic-state.js";

/**
 * `titan ps` on a 50,000-task cluster: the in-process command (GET_STATE over loopback HTTP, parse, group,
 * render) against the bare cost of fetching and JSON.parse-ing the same document. Each measurement runs in a
 * fresh child process so that its peak RSS is its own.
 */

const TASKS = 50_000;
const AGENTS = 500;
const APPS = 100;
const RUNS = 9;

/** "ps-defaults": the table, in a process with V8's defaults instead of the settings bin/titan.js sets. */
type Kind = "baseline" | "ps" | "ps-json" | "core" | "ps-defaults";

interface Sample {
  wallMs: number;
  peakRssMb: number;
  startRssMb: number;
  outputBytes: number;
}

function stateOf(i: number): TaskState {
  if (i % 97 === 0) return "TASK_UNREACHABLE";
  if (i % 89 === 0) return "TASK_STAGING";
  return "TASK_RUNNING";
}

/** A GET_STATE response shaped like a real master's: agents with attributes, labelled tasks with statuses. */
export function syntheticState(): string {
  const now = Date.now() / 1000;
  const agents: GetAgentsAgent[] = [];
  for (let a = 0; a < AGENTS; a += 1)
    agents.push(syntheticAgent(a, 5051, `slave(1)@10.0.${Math.floor(a / 250)}.${a % 250}:5051`));
  const tasks: Task[] = [];
  const unreachable: Task[] = [];
  const completed: Task[] = [];
  for (let i = 0; i < TASKS; i += 1) {
    const app = `app-${i % APPS}`;
    const instance = Math.floor(i / APPS);
    const state = stateOf(i);
    const task = syntheticTask({
      app,
      instance,
      agent: i % AGENTS,
      state,
      port: 31000 + (i % 1000),
      statuses: [
        { state: "TASK_STARTING", timestamp: now - 3600 },
        { state, timestamp: now - 3500, healthy: true },
      ],
    });
    if (state === "TASK_UNREACHABLE") unreachable.push(task);
    else tasks.push(task);
    // A completed predecessor for every tenth instance, as a rolling deploy leaves behind.
    if (i % 10 === 0) {
      completed.push({ ...task, task_id: { value: `${app}.2.${instance}.0` }, state: "TASK_KILLED" });
    }
  }
  return JSON.stringify({
    type: "GET_STATE",
    get_state: {
      get_tasks: { tasks, unreachable_tasks: unreachable, completed_tasks: completed },
      get_agents: { agents },
      get_frameworks: { frameworks: [] },
      get_executors: { executors: [] },
    },
  });
}

export function serve(body: string): Promise<Server> {
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      response.writeHead(200, {
        "Content-Type": "application/json",
        "Content-Length": Buffer.byteLength(body),
      });
      response.end(body);
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/** One measurement, in this (child) process. */
async function measure(kind: Kind, url: string): Promise<Sample> {
  const home = mkdtempSync(join(tmpdir(), "titan-bench-ps-"));
  const sink = countingSink();
  const startRss = process.memoryUsage().rss;
  const started = performance.now();
  try {
    if (kind === "baseline" || kind === "core") {
      const response = await fetch(`${url}/api/v1`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ type: "GET_STATE" }),
      });
      const document = JSON.parse(await response.text()) as {
        get_state: Parameters<typeof readTitanTasks>[0];
      };
      if (kind === "core") {
        const groups = groupByApp(readTitanTasks(document.get_state, url).tasks);
        sink.stream.write(String(groups.length));
      } else {
        sink.stream.write(String(document.get_state.get_tasks?.tasks?.length ?? 0));
      }
    } else {
      const code = await runPs(benchEnv(sink.stream, home), psOptions(url, kind === "ps-json"));
      if (code !== 0) throw new Error(`titan ps exited ${code}`);
    }
    const wallMs = performance.now() - started;
    return {
      wallMs,
      // maxRSS is in kilobytes and covers this process's whole life, which is this one measurement.
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      startRssMb: startRss / (1024 * 1024),
      outputBytes: sink.bytes(),
    };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

export async function run(): Promise<{ title: string; markdown: string }> {
  const body = syntheticState();
  const server = await serve(body);
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const kinds: Kind[] = ["baseline", "core", "ps", "ps-json", "ps-defaults"];
    const samples = await measureRounds<Kind, Sample>(fileURLToPath(import.meta.url), kinds, RUNS, [url]);
    const wall = (k: Kind) => median((samples.get(k) ?? []).map((s) => s.wallMs));
    // Each round's wall against the baseline of the same round: the machine's drift between rounds cancels out.
    const paired = (k: Kind) => {
      const base = samples.get("baseline") ?? [];
      const ratios = (samples.get(k) ?? []).map((s, i) => s.wallMs / (base[i]?.wallMs ?? Number.NaN));
      const sorted = [...ratios].sort((a, b) => a - b);
      return `${median(ratios).toFixed(2)}x (${(sorted[0] ?? 0).toFixed(2)}–${(sorted[sorted.length - 1] ?? 0).toFixed(2)})`;
    };
    const peak = (k: Kind) => median((samples.get(k) ?? []).map((s) => s.peakRssMb));
    const growth = (k: Kind) => median((samples.get(k) ?? []).map((s) => s.peakRssMb - s.startRssMb));
    const out = (k: Kind) => samples.get(k)?.[0]?.outputBytes ?? 0;
    const machine = `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, Node ${process.versions.node}`;
    const row = (name: string, k: Kind) =>
      `| ${name} | ${wall(k).toFixed(0)} ms | ${(wall(k) / wall("baseline")).toFixed(2)}x | ${paired(k)} | ${peak(k).toFixed(0)} MB | ${growth(k).toFixed(0)} MB | ${(peak(k) / peak("baseline")).toFixed(2)}x | ${out(k).toLocaleString("en-US")} B |`;
    const markdown = [
      `\`titan ps\` against a synthetic GET_STATE of ${TASKS.toLocaleString("en-US")} titan-labelled tasks (${APPS} apps, ${AGENTS} agents, about 1% unreachable, one completed predecessor per ten instances; ${(Buffer.byteLength(body) / 1024 / 1024).toFixed(1)} MB of JSON) served by a loopback HTTP server. "titan ps" is the command's in-process code path (\`runPs\`: leader lookup, GET_STATE through titan's Mesos client with its size cap, flattening the labelled tasks, grouping per app and instance, rendering the table or the JSON document into a byte-counting sink). The baseline only fetches the same document and \`JSON.parse\`s it. "parse + group" adds titan's flattening and grouping to the baseline, without the client, the state store look-up or rendering. Each measurement runs in its own child process (peak = that process's max RSS; growth = peak minus RSS after start-up); medians of ${RUNS} rounds, each round measuring every kind once, starting with another kind each time. "vs baseline" divides the medians; "round by round" is the median of each round's wall divided by the same round's baseline, with the lowest and highest of those ratios. Every child process, the baseline's too, has the V8 settings bin/titan.js sets for \`titan ps\` (src/cli/v8-tuning.ts); the last row is the table in a process with V8's defaults.`,
      "",
      `Machine: ${machine}.`,
      "",
      "| measure | wall | vs baseline | vs baseline, round by round (range) | peak RSS | growth | peak vs baseline | stdout |",
      "|---|---|---|---|---|---|---|---|",
      row("baseline: fetch + JSON.parse", "baseline"),
      row("parse + group (readTitanTasks, groupByApp)", "core"),
      row("titan ps (table)", "ps"),
      row("titan ps --json", "ps-json"),
      row("titan ps (table), V8's defaults", "ps-defaults"),
    ].join("\n");
    return { title: `titan ps on ${TASKS.toLocaleString("en-US")} tasks`, markdown };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

if (process.argv[2] === "--measure" && process.send !== undefined) {
  const kind = process.argv[3] as Kind;
  const url = process.argv[4] ?? "";
  // Every measurement, the baseline's too, in a process with the V8 settings bin/titan.js sets for `titan ps`.
  if (kind !== "ps-defaults") tuneV8For(["ps"]);
  measure(kind, url).then(
    (sample) => process.send?.(sample, () => process.exit(0)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
