/**
 * The multi-region rollout, decided without I/O: which regions a deploy goes through in which waves, what the
 * next step is after each wave (the next wave, a soak, rolling back the regions already done, or stopping), and
 * what the whole deploy ended with. The command runs the steps; this module only decides them.
 */
import { canonicalJson, sha256Hex } from "../cluster/canonical.js";
import type { AppSpec, FailurePolicy, RolloutPolicy } from "../manifest/types.js";
import type { FailureCause } from "./failure.js";

/** What one region ended with in this run. */
export type RegionOutcome =
  /** The region now runs the release (it changed something, or resumed a pending one). */
  | "deployed"
  /** The region already ran the release: nothing to do. */
  | "unchanged"
  /** The region failed and titan rolled it back to its previous release. */
  | "rolled_back"
  /** The region failed and was left where it stood. */
  | "failed"
  /** --timeout passed while the region deployed. */
  | "timed_out"
  /** Ctrl-C while the region deployed. */
  | "interrupted"
  /** Deployed, then rolled back because another region failed (on_failure: rollback_all). */
  | "reverted"
  /**
   * Another deploy took the region over: it recorded a newer release there after this rollout deployed it, or held
   * the app's lock there when this rollout's wave came. The rollout stopped there, rolling nothing back.
   */
  | "superseded"
  /** --skip-region: left out of this deploy; it lags the release. */
  | "skipped"
  /** Never started: an earlier wave failed (abort, rollback_all) or the deploy was interrupted. */
  | "not_started";

export interface RegionResult {
  region: string;
  outcome: RegionOutcome;
  /** When the region's release finished (epoch ms), for the soak: a resumed wave soaks from then, not from now. */
  finishedAt?: number;
  /** Why it failed, for the summary. */
  reason?: string;
  /** Of what its release failed (health gates, room, launches), for the hint. */
  cause?: FailureCause;
  /** The commands that finish what the region left unfinished (an interrupted rollback of rollback_all). */
  finish?: readonly string[];
  /** Unchanged because an earlier run of this same rollout deployed it (a re-run resumes): rollback_all undoes it. */
  deployedEarlier?: boolean;
}

export interface WavePlan {
  waves: string[][];
  soakMs: number;
  onFailure: FailurePolicy;
  /** Regions left out with --skip-region. */
  skipped: string[];
}

export type WaveProblem = { problem: string; hint: string };

/**
 * The deploy's waves over `regions` (the regions the apps span). Apps that set a rollout must agree on it; an
 * app without one follows theirs. Without any rollout every region is its own wave, in the order named.
 */
export function planWaves(
  apps: readonly AppSpec[],
  regions: readonly string[],
  skip: readonly string[] = [],
): WavePlan | WaveProblem {
  const unknown = skip.find((r) => !regions.includes(r));
  if (unknown !== undefined)
    return {
      problem: `--skip-region ${unknown}: no app in the manifests runs in region ${unknown}`,
      hint: `the apps' regions are: ${regions.join(", ")}`,
    };
  if (regions.length > 0 && regions.every((r) => skip.includes(r)))
    return {
      problem: `--skip-region names every region the apps run in (${regions.join(", ")}): nothing would be deployed`,
      hint: "leave at least one region out of --skip-region, or pass --region R to deploy to one",
    };
  const withPolicy = apps.filter((a) => a.rollout !== undefined);
  const first = withPolicy[0];
  const disagreeing = withPolicy.find((a) => !samePolicy(a.rollout, first?.rollout));
  if (first !== undefined && disagreeing !== undefined)
    return {
      problem: `apps ${first.name} and ${disagreeing.name} set different rollouts, and one deploy follows one rollout`,
      hint: "give them the same `rollout`, or deploy them separately (-f one manifest at a time)",
    };
  const policy: RolloutPolicy = first?.rollout ?? {
    waves: regions.map((r) => [r]),
    soakMs: 0,
    onFailure: "abort",
  };
  const inWaves = new Set(policy.waves.flat());
  const outside = regions.find((r) => !inWaves.has(r));
  if (outside !== undefined)
    return {
      problem: `region ${outside} is in no wave of the rollout of ${first?.name ?? "the apps"}`,
      hint: "add it to a wave in `rollout.waves`",
    };
  const waves = policy.waves
    .map((wave) => wave.filter((r) => regions.includes(r) && !skip.includes(r)))
    .filter((wave) => wave.length > 0);
  return { waves, soakMs: policy.soakMs, onFailure: policy.onFailure, skipped: [...skip] };
}

function samePolicy(a: RolloutPolicy | undefined, b: RolloutPolicy | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const FAILED: ReadonlySet<RegionOutcome> = new Set(["rolled_back", "failed", "timed_out"]);
const DONE: ReadonlySet<RegionOutcome> = new Set(["deployed", "unchanged"]);

export type WaveStep =
  | { kind: "wave"; index: number; regions: string[] }
  /** Wait until `until` (epoch ms) before the next wave; `afterWave` is the wave that soaks. */
  | { kind: "soak"; afterWave: number; until: number }
  /** Roll these regions (already deployed in this rollout) back to the release they ran before. */
  | { kind: "rollback"; regions: string[] }
  | { kind: "stop"; reason: "done" | "failed" | "interrupted" | "timed_out" | "superseded" };

export interface WaveState {
  /** The results of the waves run so far, in order. */
  ran: RegionResult[][];
  /** The index of the last wave whose soak is over. */
  soaked: number;
  /** The rollback of on_failure: rollback_all has run. */
  rolledBack: boolean;
  /** The deploy was interrupted (Ctrl-C). */
  interrupted: boolean;
  /** --timeout passed between waves (during a soak). */
  timedOut: boolean;
  /**
   * Regions this rollout deployed in which another deploy has recorded a newer release since: what the soak
   * vouched for no longer runs there, so no further wave starts.
   */
  superseded: RegionResult[];
}

export const initialWaveState = (): WaveState => ({
  ran: [],
  soaked: -1,
  rolledBack: false,
  interrupted: false,
  timedOut: false,
  superseded: [],
});

/** The next step of the rollout. Pure: `now` is only compared with the soak's end. */
export function nextWaveStep(plan: WavePlan, state: WaveState, now: number): WaveStep {
  const last = state.ran.at(-1);
  const index = state.ran.length;
  if (state.interrupted || last?.some((r) => r.outcome === "interrupted"))
    return { kind: "stop", reason: "interrupted" };
  if (state.timedOut) return { kind: "stop", reason: "timed_out" };
  // Another titan acts on the app: nothing more is deployed, and nothing rolled back over its work.
  if (state.superseded.length > 0 || state.ran.some((wave) => wave.some((r) => r.outcome === "superseded")))
    return { kind: "stop", reason: "superseded" };
  const anyFailed = state.ran.some((wave) => wave.some((r) => FAILED.has(r.outcome)));
  if (anyFailed && plan.onFailure !== "continue") {
    if (plan.onFailure === "rollback_all" && !state.rolledBack) {
      const done = state.ran.flat().filter((r) => r.outcome === "deployed" || r.deployedEarlier === true);
      if (done.length > 0) return { kind: "rollback", regions: done.map((r) => r.region) };
    }
    return { kind: "stop", reason: "failed" };
  }
  if (last !== undefined && index < plan.waves.length && state.soaked < index - 1) {
    const finished = last.filter((r) => DONE.has(r.outcome)).map((r) => r.finishedAt ?? 0);
    const until = finished.length === 0 ? 0 : Math.max(...finished) + plan.soakMs;
    if (plan.soakMs > 0 && until > now) return { kind: "soak", afterWave: index - 1, until };
  }
  const regions = plan.waves[index];
  if (regions !== undefined) return { kind: "wave", index, regions };
  return { kind: "stop", reason: anyFailed ? "failed" : "done" };
}

/**
 * Every region's outcome after the rollout stopped: what ran, the skipped ones, and `not_started` for the rest
 * (in wave order), with the rollback of rollback_all applied.
 */
export function finalOutcomes(
  plan: WavePlan,
  state: WaveState,
  reverts: readonly RegionResult[],
): RegionResult[] {
  const ran = new Map(state.ran.flat().map((r) => [r.region, r]));
  for (const changed of [...state.superseded, ...reverts]) ran.set(changed.region, changed);
  const results: RegionResult[] = [];
  for (const region of plan.waves.flat())
    results.push(ran.get(region) ?? { region, outcome: "not_started" as const });
  for (const region of plan.skipped) results.push({ region, outcome: "skipped" });
  return results;
}

/**
 * The one verdict of a multi-region deploy, worst first: interrupted, timed out, failed, superseded (stopped
 * because another deploy changed a region it had done), rolled back, ok.
 */
export type RolloutVerdict = "interrupted" | "timed_out" | "failed" | "superseded" | "rolled_back" | "ok";

export function rolloutVerdict(
  results: readonly RegionResult[],
  between: { interrupted?: boolean; timedOut?: boolean } = {},
): RolloutVerdict {
  const has = (outcome: RegionOutcome) => results.some((r) => r.outcome === outcome);
  // Stopped between regions (during a soak) leaves no region interrupted or timed out, yet it is unfinished.
  if (between.interrupted === true || has("interrupted")) return "interrupted";
  if (between.timedOut === true || has("timed_out")) return "timed_out";
  if (has("failed")) return "failed";
  if (has("superseded")) return "superseded";
  if (has("rolled_back") || has("reverted")) return "rolled_back";
  return "ok";
}

/**
 * What identifies a rollout: the spec of every app in every region it deploys (their digests), not how it goes
 * (waves, soak), so running the same deploy again, to resume it, gives the same digest, and changing any region's
 * spec gives another.
 */
export function rolloutDigest(
  regions: ReadonlyArray<{ region: string; apps: ReadonlyArray<{ app: string; digest: string }> }>,
): string {
  const entries = regions
    .flatMap((r) => r.apps.map((a) => [r.region, a.app, a.digest]))
    .sort((a, b) => (a.join("\n") < b.join("\n") ? -1 : 1));
  return `sha256:${sha256Hex(canonicalJson(entries))}`;
}
