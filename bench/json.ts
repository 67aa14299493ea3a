import { performance } from "node:perf_hooks";
import { parseMesosJson } from "../src/mesos/json.js";

/**
 * Reading Mesos JSON on the 50,000-task path: a GET_STATE-sized document through `parseMesosJson` against bare
 * `JSON.parse`, without non-finite doubles (every task limited, the fast path) and with `"limits"` of `Infinity` on
 * every task (the rewrite path, as a real master writes an unlimited limit).
 */

const TASKS = 50_000;
const RUNS = 7;

function document(unlimited: boolean): string {
  const tasks: string[] = [];
  for (let i = 0; i < TASKS; i += 1) {
    const limits = unlimited ? ',"limits":{"cpus":{"value":Infinity},"mem":{"value":Infinity}}' : "";
    tasks.push(
      `{"name":"app-${i % 100}","task_id":{"value":"app-${i % 100}.3.${i}.0"},"framework_id":{"value":"fw-${i % 100}"},` +
        `"agent_id":{"value":"agent-${i % 500}"},"state":"TASK_RUNNING","resources":[{"name":"cpus","type":"SCALAR",` +
        `"scalar":{"value":0.1},"role":"*"},{"name":"mem","type":"SCALAR","scalar":{"value":128},"role":"*"}],` +
        `"statuses":[{"task_id":{"value":"app.${i}"},"state":"TASK_RUNNING","timestamp":1717000000.5,` +
        `"labels":{"labels":[{"key":"titan.app","value":"app-${i % 100}"},{"key":"note","value":"NaN and Infinity in text"}]}}]${limits}}`,
    );
  }
  return `{"type":"GET_STATE","get_state":{"get_tasks":{"tasks":[${tasks.join(",")}]}}}`;
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function time(parse: () => unknown): number {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const start = performance.now();
    parse();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

export async function run(): Promise<{ title: string; markdown: string }> {
  const finite = document(false);
  const unlimited = document(true);
  const ideal = unlimited.replaceAll(":Infinity", ":1e999");
  const rows: Array<[string, number, number]> = [
    ["JSON.parse, no non-finite doubles (baseline)", finite.length, time(() => JSON.parse(finite))],
    ["parseMesosJson, no non-finite doubles", finite.length, time(() => parseMesosJson(finite))],
    [
      "JSON.parse of the same with 1e999 for Infinity (baseline)",
      ideal.length,
      time(() => JSON.parse(ideal)),
    ],
    [
      "parseMesosJson, `Infinity` limits on every task",
      unlimited.length,
      time(() => parseMesosJson(unlimited)),
    ],
  ];
  const mb = (n: number) => (n / (1024 * 1024)).toFixed(1);
  const markdown = [
    `Median of ${RUNS} parses of a ${TASKS.toLocaleString("en")}-task GET_STATE body, in one process.`,
    "",
    "| case | body | time |",
    "|---|---|---|",
    ...rows.map(([name, bytes, ms]) => `| ${name} | ${mb(bytes)} MB | ${ms.toFixed(0)} ms |`),
  ].join("\n");
  return { title: "Reading Mesos JSON (Infinity, NaN)", markdown };
}
