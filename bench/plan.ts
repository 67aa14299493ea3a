import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseManifests } from "../src/manifest/parse.js";
import { parseWithLibrary } from "../src/manifest/yaml.js";
import { place } from "../src/placement/index.js";
import type { PlacementInput } from "../src/placement/types.js";
import { type WarmUp, writeScenario } from "./placement-plan.js";
import { deployedAsPlaced, manifestOfApp } from "./placement-scenario.js";
import { manyApps } from "./placement-workload.js";
import { type ProfilePart, summariseProfileFile } from "./profile-summary.js";

const here = dirname(fileURLToPath(import.meta.url));
const CHILD = join(here, "plan-child.js");
/** Runs per measurement (the median is reported); TITAN_BENCH_RUNS overrides. */
const RUNS = Number(process.env.TITAN_BENCH_RUNS ?? 3);
const SCALES: ReadonlyArray<{ agents: number; tasks: number; apps: number }> = [
  { agents: 5_000, tasks: 50_000, apps: 500 },
  { agents: 5_000, tasks: 50_000, apps: 5_000 },
  { agents: 5_000, tasks: 50_000, apps: 20_000 },
  { agents: 10_000, tasks: 100_000, apps: 10_000 },
];
/** The scales measured a release later too: every instance runs already, from an older spec. */
const RELEASE_SCALES = SCALES.filter((scale) => scale.apps === scale.agents);
/** One titan.yaml holds up to this many apps (5,000 apps come to about 0.9 MB, under the 1 MiB limit). */
const APPS_PER_FILE = 5_000;

interface CommandRun {
  ms: number;
  rssMb: number;
  code: number;
  bytes: number;
  /** The command's own wall inside its process: without node's start-up and the loading of titan's modules. */
  commandMs: number;
}

/** Another plan run this many times in the process before the warm measurement (bench/plan-child.ts). */
const WARM_UP_RUNS = 10;

interface RunOptions {
  nodeFlags?: readonly string[];
  warmUp?: WarmUp;
  /** V8's own defaults instead of the settings bin/titan.js sets (src/cli/v8-tuning.ts). */
  v8Defaults?: boolean;
}

/** `titan <argv>` in a fresh node process: wall from spawn to exit (start-up included), its peak RSS. */
function runCommand(dir: string, argv: readonly string[], options: RunOptions = {}): CommandRun {
  const started = performance.now();
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (options.warmUp !== undefined) env.TITAN_BENCH_WARM_UP = JSON.stringify(options.warmUp);
  if (options.v8Defaults) env.TITAN_BENCH_V8_DEFAULTS = "1";
  const child = spawnSync(process.execPath, [...(options.nodeFlags ?? []), CHILD, dir, ...argv], {
    encoding: "utf8",
    maxBuffer: 1 << 24,
    env,
  });
  const ms = performance.now() - started;
  const last = child.stdout.trim().split("\n").pop() ?? "";
  if (child.status !== 0 || !last.startsWith("{"))
    throw new Error(`titan ${argv.join(" ")} failed: ${child.stderr.slice(0, 400)}`);
  const report = JSON.parse(last) as {
    code: number;
    bytes: number;
    maxRssMb: number;
    commandMs: number;
    stderr: string;
  };
  if (report.code !== 0 && report.code !== 4)
    throw new Error(`titan plan exited ${report.code}: ${report.stderr}`);
  return {
    ms,
    rssMb: report.maxRssMb,
    code: report.code,
    bytes: report.bytes,
    commandMs: report.commandMs,
  };
}

function medianRun(runs: readonly CommandRun[]): CommandRun {
  return [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(runs.length / 2)] as CommandRun;
}

/** The median of RUNS runs of the command. */
function medianOf(dir: string, argv: readonly string[], options: RunOptions = {}): CommandRun {
  return medianRun(Array.from({ length: RUNS }, () => runCommand(dir, argv, options)));
}

function placementAlone(input: PlacementInput): { ms: number; agents: number; placed: number } {
  const times: number[] = [];
  let agents = 0;
  let placed = 0;
  for (let k = 0; k < RUNS; k++) {
    const started = performance.now();
    const result = place(input);
    times.push(performance.now() - started);
    agents = new Set(result.placements.map((p) => p.agentId)).size;
    placed = result.placements.length;
  }
  return { ms: times.sort((a, b) => a - b)[Math.floor(times.length / 2)] as number, agents, placed };
}

interface LoadingRun {
  fast: number;
  library: number;
  bytes: number;
  lines: number;
}

/**
 * Loading one manifest file (YAML to a validated app list), with the fast reader and with the YAML library's parse
 * for every text, alternately in this process: medians of 7 each, after a warm-up of both.
 */
function manifestLoading(dir: string): LoadingRun {
  const text = readFileSync(join(dir, "apps-0.yaml"), "utf8");
  const sources = [{ file: "apps-0.yaml", text, baseDir: dir }];
  parseManifests(sources);
  parseManifests(sources, parseWithLibrary);
  const fast: number[] = [];
  const library: number[] = [];
  for (let k = 0; k < 7; k++) {
    let started = performance.now();
    parseManifests(sources);
    fast.push(performance.now() - started);
    started = performance.now();
    parseManifests(sources, parseWithLibrary);
    library.push(performance.now() - started);
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  return {
    fast: median(fast),
    library: median(library),
    bytes: Buffer.byteLength(text),
    lines: text.split("\n").length,
  };
}

function profiled(dir: string, argv: readonly string[]): ProfilePart[] {
  const out = mkdtempSync(join(dir, "profile-"));
  try {
    runCommand(dir, argv, { nodeFlags: ["--cpu-prof", `--cpu-prof-dir=${out}`] });
    const [file] = readdirSync(out);
    return file ? summariseProfileFile(join(out, file)) : [];
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** A profile summary as a markdown table: each part's CPU time and share. */
function profileTable(profile: readonly ProfilePart[]): string[] {
  const total = profile.reduce((sum, p) => sum + p.ms, 0);
  return [
    "| part | CPU time | share |",
    "|---|---|---|",
    ...profile.map((p) => `| ${p.part} | ${ms(p.ms)} | ${((100 * p.ms) / Math.max(1, total)).toFixed(0)}% |`),
  ];
}

/** Each release scale with every instance deployed where placement puts it, from an older spec. */
function releaseRun(): { rows: string[]; profile: ProfilePart[]; oneAppProfile: ProfilePart[] } {
  const rows: string[] = [];
  let profile: ProfilePart[] = [];
  let oneAppProfile: ProfilePart[] = [];
  for (const scale of RELEASE_SCALES) {
    const input = manyApps(scale.agents, scale.tasks, scale.apps);
    const deployed = deployedAsPlaced(input);
    const files = writeScenario(input, deployed, APPS_PER_FILE);
    /** A row of the release table: the plan as it is and with --json, medians of RUNS. */
    const row = (apps: string, replaced: number, argv: readonly string[]): string => {
      const human = medianOf(files.dir, argv);
      const json = medianOf(files.dir, [...argv, "--json"]);
      return `| ${scale.agents} × ${scale.tasks} | ${apps} | ${replaced} | ${ms(human.ms)} / ${mb(human.rssMb)} | ${ms(human.commandMs)} | ${ms(json.ms)} / ${mb(json.rssMb)} | ${human.code} |`;
    };
    try {
      rows.push(row(String(scale.apps), deployed.length, files.argv));
      // The everyday release on a busy cluster: one app's titan.yaml, every other app running beside it.
      const app = input.requests[0]?.app as string;
      writeFileSync(join(files.dir, "one-app.yaml"), manifestOfApp(input.requests, app));
      const oneArgv = ["plan", "--snapshot", "state.json", "-f", "one-app.yaml"];
      const replaced = deployed.filter((d) => d.app === app).length;
      rows.push(row(`1 (of ${scale.apps} running)`, replaced, oneArgv));
      if (profile.length === 0) {
        profile = profiled(files.dir, files.argv);
        oneAppProfile = profiled(files.dir, oneArgv);
      }
    } finally {
      files.remove();
    }
  }
  return { rows, profile, oneAppProfile };
}

const ms = (x: number): string => `${Math.round(x)} ms`;
const mb = (x: number): string => `${Math.round(x)} MB`;

export async function run(): Promise<{ title: string; markdown: string }> {
  const rows: string[] = [];
  let profile: ProfilePart[] = [];
  let defaultProfile: ProfilePart[] = [];
  let loading: LoadingRun | undefined;
  const loadBefore = loadavg()[0] ?? 0;
  place(manyApps(500, 5_000, 500, 7));
  // A smaller plan of other apps on another cluster: it warms titan's code up, not the measured plan's data.
  const warmUpFiles = writeScenario(manyApps(500, 5_000, 500, 11), [], APPS_PER_FILE);
  const warmUp = { dir: warmUpFiles.dir, argv: warmUpFiles.argv, runs: WARM_UP_RUNS };
  for (const scale of SCALES) {
    const input = manyApps(scale.agents, scale.tasks, scale.apps);
    const files = writeScenario(input, [], APPS_PER_FILE);
    try {
      const alone = placementAlone(input);
      // The command as bin/titan.js runs it and with V8's defaults, alternately.
      const pairs = Array.from({ length: RUNS }, () => ({
        tuned: runCommand(files.dir, files.argv),
        defaults: runCommand(files.dir, files.argv, { v8Defaults: true }),
      }));
      const human = medianRun(pairs.map((pair) => pair.tuned));
      const defaults = medianRun(pairs.map((pair) => pair.defaults));
      const json = medianOf(files.dir, [...files.argv, "--json"]);
      const withScaleIn = runCommand(files.dir, [...files.argv, "--scale-in"]);
      const warm = medianOf(files.dir, files.argv, { warmUp });
      rows.push(
        `| ${scale.agents} × ${scale.tasks} | ${scale.apps} | ${ms(alone.ms)} | ${alone.placed} | ${alone.agents} | ${ms(human.ms)} / ${mb(human.rssMb)} | ${ms(defaults.ms)} (${(human.ms / defaults.ms).toFixed(2)}) | ${ms(human.commandMs)} | ${ms(warm.commandMs)} | ${ms(json.ms)} / ${mb(json.rssMb)} | ${ms(withScaleIn.ms)} / ${mb(withScaleIn.rssMb)} | ${(human.ms / alone.ms).toFixed(1)} | ${human.code} |`,
      );
      if (scale.apps === 5_000 && scale.agents === 5_000) {
        profile = profiled(files.dir, [...files.argv, "--json", "--scale-in"]);
        defaultProfile = profiled(files.dir, files.argv);
        loading = manifestLoading(files.dir);
      }
    } finally {
      files.remove();
    }
  }
  warmUpFiles.remove();
  const release = releaseRun();
  const loadAfter = loadavg()[0] ?? 0;
  const markdown = [
    `Machine: ${cpus()[0]?.model ?? "unknown cpu"}, ${cpus().length} cores, Node ${process.versions.node}; load average ${loadBefore.toFixed(1)} at the start of this section, ${loadAfter.toFixed(1)} at its end.`,
    "",
    "The many-apps workload (bench/placement-workload.ts `manyApps`): the placement bench's cluster (four agent shapes",
    "over three zones, about 30% partly used by other frameworks) and a fixed number of tasks spread over many apps of",
    "varied sizes, host ports and constraints (pinned to an instance type, unique per host, max per rack, zone balance",
    "soft or hard), 1 to about twice the mean instances each, demand about 70% of the free cpu. The apps are written as",
    "titan.yaml files of up to 5,000 apps each (5,000 apps: one file of about 0.9 MB) beside the cluster's",
    "`/master/state` JSON. **Whole command** is `titan plan --snapshot state.json -f apps-0.yaml …` in a fresh node",
    "process, wall from spawn to exit (start-up included) and its peak RSS, stdout counted, not kept; by default scale-in",
    "advice is skipped on clusters above 1,000 agents, so the `--scale-in` column shows what it costs.",
    `**Placement alone** is \`place()\` on the same input, in-process after a warm-up. Medians of ${RUNS} runs (the`,
    "`--scale-in` column: one run). **In-process, cold** is the whole command's own wall inside that fresh process,",
    "without node's start-up and the loading of titan's modules. **In-process, warmed up** is the same, in a process",
    `that first ran another plan (500 agents, 500 other apps) ${WARM_UP_RUNS} times: the command once V8 has compiled`,
    "and optimised titan's code, with none of this plan's data seen before; the difference from the cold figure is",
    "what a fresh process pays for running titan's code before V8 has optimised it. **With V8's defaults** is the",
    "whole command without the settings bin/titan.js gives V8 (src/cli/v8-tuning.ts), run alternately with it, and",
    "in brackets the whole command's wall divided by this one's.",
    "",
    "| agents × tasks | apps | placement alone | placed | agents used | whole `titan plan` (wall / peak RSS) | with V8's defaults (ratio) | in-process, cold | in-process, warmed up | with --json | with --scale-in | whole / placement | exit |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ...rows,
    "",
    "Where the time goes: a CPU profile (`node --cpu-prof`) of `titan plan --json --scale-in` on 5,000 agents, 5,000",
    "apps and 50,000 tasks, each sample attributed to the part of titan its stack runs in (bench/profile-summary.ts:",
    "scale-in advice before placement, which it calls; placement before the rollout check and the digest before",
    "reading the snapshot, as they call the same helpers; garbage collection as V8 reports it):",
    "",
    ...profileTable(profile),
    "",
    "And of the default `titan plan` on the same workload (no flags: scale-in advice skipped, the plan for people):",
    "",
    ...profileTable(defaultProfile),
    "",
    "**A release later**: the same workload with every instance already running, labelled by titan with the digest",
    "of an older spec (where placement put it), so the plan replaces every instance and simulates every step of every",
    'app\'s rolling update, each step placed on the cluster as the steps before it left it. The row "1 (of … running)"',
    "is the release a team makes every day on such a cluster: the titan.yaml of one app, replaced while every other",
    `app runs beside it. Same measures, medians of ${RUNS} runs:`,
    "",
    "| agents × tasks | apps | instances replaced | whole `titan plan` (wall / peak RSS) | in-process, cold | with --json | exit |",
    "|---|---|---|---|---|---|---|",
    ...release.rows,
    "",
    "Where the time goes in the first of these (5,000 apps), as above (`titan plan`, no flags):",
    "",
    ...profileTable(release.profile),
    "",
    "And in the release of one app among the 5,000 running:",
    "",
    ...profileTable(release.oneAppProfile),
    "",
    ...(loading
      ? [
          `Manifest loading on its own: the 5,000-app titan.yaml (${(loading.bytes / 1024).toFixed(0)} KB, ${loading.lines} lines) read and`,
          "validated in-process, with titan's reader of plain YAML and with the YAML library's parse (with positions) for",
          "the whole text, alternately, medians of 7:",
          "",
          "| YAML to a tree | loading (tree + validation) | ratio |",
          "|---|---|---|",
          `| YAML library | ${ms(loading.library)} | 1.00 |`,
          `| titan's reader of plain YAML | ${ms(loading.fast)} | ${(loading.library / loading.fast).toFixed(2)}× faster |`,
        ]
      : []),
  ].join("\n");
  return { title: "titan plan at cluster scale", markdown };
}
