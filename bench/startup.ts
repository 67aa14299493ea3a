import { spawnSync } from "node:child_process";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const RUNS = 20;
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const titan = join(root, "bin", "titan.js");

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 0 ? ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2 : (sorted[mid] ?? 0);
}

/**
 * Runs every case once per round, round after round, so that a slow spell of this shared machine hits all cases
 * alike instead of whichever case happened to be measured during it.
 */
function timeInterleaved(cases: ReadonlyArray<readonly [string, string[]]>): number[][] {
  const samples = cases.map(() => [] as number[]);
  for (const [, args] of cases) spawnSync(process.execPath, args, { stdio: "ignore" });
  for (let round = 0; round < RUNS; round++) {
    cases.forEach(([label, args], i) => {
      const start = performance.now();
      const result = spawnSync(process.execPath, args, {
        stdio: "ignore",
        env: { ...process.env, NO_COLOR: "1" },
      });
      samples[i]?.push(performance.now() - start);
      if (result.status !== 0) throw new Error(`${label} exited ${result.status}`);
    });
  }
  return samples;
}

/** `titan --help` and `titan version` start-up against bare `node -e 0`, each a fresh process, median of 10. */
export async function run(): Promise<{ title: string; markdown: string }> {
  const cases: Array<[string, string[]]> = [
    ["node -e 0 (baseline)", ["-e", "0"]],
    ["titan --help", [titan, "--help"]],
    ["titan version", [titan, "version"]],
    ["titan plan --help", [titan, "plan", "--help"]],
  ];
  const rows: string[] = [];
  let baseline = 0;
  const all = timeInterleaved(cases);
  for (const [i, [label]] of cases.entries()) {
    const samples = all[i] ?? [];
    const m = median(samples);
    if (baseline === 0) baseline = m;
    const over = baseline === m ? "—" : `+${(m - baseline).toFixed(1)} ms`;
    rows.push(`| ${label} | ${m.toFixed(1)} ms | ${Math.min(...samples).toFixed(1)} ms | ${over} |`);
  }
  const markdown = [
    `Each command runs ${RUNS} times as a fresh \`node\` process (after one warm-up run), the cases interleaved round by round; the figure is the median wall time.`,
    `Target: \`titan --help\` at most 40 ms above bare \`node -e 0\`.`,
    "",
    `Machine: ${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, Node ${process.versions.node}.`,
    "",
    "| command | median | min | over baseline |",
    "|---|---|---|---|",
    ...rows,
  ].join("\n");
  return { title: "CLI start-up", markdown };
}
