import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { main } from "../src/main.js";
import type { PlacementInput } from "../src/placement/types.js";
import { type Deployed, toScenario } from "./placement-scenario.js";

export interface PlanRun {
  ms: number;
  code: number;
  /** What the run printed on stdout (kept only when asked for). */
  stdout: string;
  bytes: number;
  stderr: string;
}

/**
 * Another titan command run in a measured process before the command measured (bench/plan-child.ts, which reads it
 * from TITAN_BENCH_WARM_UP), so that V8 has compiled and optimised titan's code first.
 */
export interface WarmUp {
  dir: string;
  argv: readonly string[];
  runs: number;
}

/** A scenario written to a temp dir: the snapshot and the manifests, as a user would have them. */
export interface ScenarioFiles {
  dir: string;
  argv: string[];
  apps: number;
  snapshotBytes: number;
  remove(): void;
}

export function writeScenario(
  input: PlacementInput,
  deployed: readonly Deployed[] = [],
  appsPerFile?: number,
): ScenarioFiles {
  const dir = mkdtempSync(join(tmpdir(), "titan-bench-plan-"));
  try {
    const scenario = toScenario(input, deployed, appsPerFile);
    writeFileSync(join(dir, "state.json"), scenario.masterState);
    const argv = ["plan", "--snapshot", "state.json"];
    scenario.manifests.forEach((text, k) => {
      writeFileSync(join(dir, `apps-${k}.yaml`), text);
      argv.push("-f", `apps-${k}.yaml`);
    });
    return {
      dir,
      argv,
      apps: scenario.apps,
      snapshotBytes: Buffer.byteLength(scenario.masterState),
      remove: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Runs the whole CLI in-process, as `titan <argv>` in `cwd`, with stdout and stderr captured off a TTY. */
export async function runTitan(argv: readonly string[], cwd: string, keepStdout: boolean): Promise<PlanRun> {
  let stdout = "";
  let bytes = 0;
  let stderr = "";
  const out = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      bytes += chunk.length;
      if (keepStdout) stdout += chunk.toString();
      done();
    },
  });
  const err = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      stderr += chunk.toString();
      done();
    },
  });
  const stdin = new PassThrough();
  stdin.end();
  const started = performance.now();
  const code = await main(argv, { stdin, stdout: out, stderr: err, env: { NO_COLOR: "1" }, cwd });
  const ms = performance.now() - started;
  return { ms, code, stdout, bytes, stderr };
}
