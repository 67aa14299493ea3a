import { describe, expect, it } from "vitest";
import {
  finalOutcomes,
  initialWaveState,
  nextWaveStep,
  planWaves,
  type RegionResult,
  rolloutDigest,
  rolloutVerdict,
  type WavePlan,
  type WaveState,
} from "../../src/deploy/waves.js";
import { parseManifests } from "../../src/manifest/index.js";

const apps = (text: string) => parseManifests([{ file: "t.yaml", text }]).apps;
const APP = (name: string, rollout = "") =>
  `name: ${name}\nimage: nginx:1.27\nregions: { us-east: 1, eu-west: 1, ap-south: 1 }\n${rollout}`;
const ROLLOUT = "rollout: { waves: [[us-east], [eu-west, ap-south]], soak: 10s, on_failure: abort }\n";

function plan(onFailure: WavePlan["onFailure"], soakMs = 10_000): WavePlan {
  return { waves: [["us-east"], ["eu-west", "ap-south"]], soakMs, onFailure, skipped: [] };
}

const ok = (region: string, finishedAt = 1_000): RegionResult => ({
  region,
  outcome: "deployed",
  finishedAt,
});

describe("planWaves", () => {
  it("follows the apps' rollout, and an app without one follows it too", () => {
    const spec = apps(
      `apps:\n  - ${APP("a", ROLLOUT).replaceAll("\n", "\n    ")}\n  - ${APP("b").replaceAll("\n", "\n    ")}`,
    );
    expect(planWaves(spec, ["us-east", "eu-west", "ap-south"])).toEqual({
      waves: [["us-east"], ["eu-west", "ap-south"]],
      soakMs: 10_000,
      onFailure: "abort",
      skipped: [],
    });
  });

  it("defaults to one region per wave and leaves skipped regions out", () => {
    expect(planWaves(apps(APP("a")), ["us-east", "eu-west", "ap-south"], ["eu-west"])).toEqual({
      waves: [["us-east"], ["ap-south"]],
      soakMs: 0,
      onFailure: "abort",
      skipped: ["eu-west"],
    });
  });

  it("refuses apps that disagree and a skipped region no app runs in", () => {
    const other = ROLLOUT.replace("abort", "continue");
    const two = apps(
      `apps:\n  - ${APP("a", ROLLOUT).replaceAll("\n", "\n    ")}\n  - ${APP("b", other).replaceAll("\n", "\n    ")}`,
    );
    expect(planWaves(two, ["us-east"])).toMatchObject({
      problem: expect.stringContaining("a and b set different rollouts"),
    });
    expect(planWaves(apps(APP("a")), ["us-east"], ["mars"])).toMatchObject({
      problem: "--skip-region mars: no app in the manifests runs in region mars",
    });
  });

  it("refuses to skip every region: a deploy of nothing is a mistake, not a success", () => {
    expect(planWaves(apps(APP("a")), ["us-east", "eu-west"], ["eu-west", "us-east"])).toEqual({
      problem:
        "--skip-region names every region the apps run in (us-east, eu-west): nothing would be deployed",
      hint: "leave at least one region out of --skip-region, or pass --region R to deploy to one",
    });
  });
});

describe("nextWaveStep", () => {
  const state = (ran: RegionResult[][], extra: Partial<WaveState> = {}): WaveState => ({
    ...initialWaveState(),
    ran,
    ...extra,
  });

  it("runs the first wave, soaks from when the wave finished, then runs the next", () => {
    const p = plan("abort");
    expect(nextWaveStep(p, initialWaveState(), 0)).toEqual({ kind: "wave", index: 0, regions: ["us-east"] });
    expect(nextWaveStep(p, state([[ok("us-east", 5_000)]]), 6_000)).toEqual({
      kind: "soak",
      afterWave: 0,
      until: 15_000,
    });
    // A resumed wave that finished long ago has soaked already.
    expect(nextWaveStep(p, state([[ok("us-east", 5_000)]]), 20_000)).toMatchObject({
      kind: "wave",
      index: 1,
    });
    expect(nextWaveStep(p, state([[ok("us-east")]], { soaked: 0 }), 6_000)).toEqual({
      kind: "wave",
      index: 1,
      regions: ["eu-west", "ap-south"],
    });
    expect(
      nextWaveStep(p, state([[ok("us-east")], [ok("eu-west"), ok("ap-south")]], { soaked: 0 }), 0),
    ).toEqual({ kind: "stop", reason: "done" });
  });

  it("applies on_failure to a failure in wave 2", () => {
    const ran = [[ok("us-east")], [ok("eu-west"), { region: "ap-south", outcome: "rolled_back" as const }]];
    expect(nextWaveStep(plan("abort"), state(ran, { soaked: 0 }), 0)).toEqual({
      kind: "stop",
      reason: "failed",
    });
    expect(nextWaveStep(plan("rollback_all"), state(ran, { soaked: 0 }), 0)).toEqual({
      kind: "rollback",
      regions: ["us-east", "eu-west"],
    });
    expect(nextWaveStep(plan("rollback_all"), state(ran, { soaked: 0, rolledBack: true }), 0)).toEqual({
      kind: "stop",
      reason: "failed",
    });
    expect(nextWaveStep(plan("continue"), state(ran, { soaked: 0 }), 0)).toEqual({
      kind: "stop",
      reason: "failed",
    });
  });

  it("rolls back a region an earlier run of the same rollout deployed, not one that was unchanged anyway", () => {
    const unchanged = (region: string, deployedEarlier: boolean): RegionResult => ({
      region,
      outcome: "unchanged",
      finishedAt: 1_000,
      ...(deployedEarlier ? { deployedEarlier } : {}),
    });
    const failed = { region: "ap-south", outcome: "rolled_back" as const };
    const earlier = [[unchanged("us-east", true)], [ok("eu-west"), failed]];
    expect(nextWaveStep(plan("rollback_all"), state(earlier, { soaked: 0 }), 0)).toEqual({
      kind: "rollback",
      regions: ["us-east", "eu-west"],
    });
    const anyway = [[unchanged("us-east", false)], [unchanged("eu-west", false), failed]];
    expect(nextWaveStep(plan("rollback_all"), state(anyway, { soaked: 0 }), 0)).toEqual({
      kind: "stop",
      reason: "failed",
    });
  });

  it("keeps going after a failure in wave 1 only with continue, and stops at once when interrupted", () => {
    const ran = [[{ region: "us-east", outcome: "failed" as const }]];
    expect(nextWaveStep(plan("continue", 0), state(ran), 0)).toMatchObject({ kind: "wave", index: 1 });
    expect(nextWaveStep(plan("abort", 0), state(ran), 0)).toEqual({ kind: "stop", reason: "failed" });
    expect(nextWaveStep(plan("rollback_all", 0), state(ran), 0)).toEqual({ kind: "stop", reason: "failed" });
    expect(nextWaveStep(plan("abort"), state([[ok("us-east")]], { interrupted: true }), 0)).toEqual({
      kind: "stop",
      reason: "interrupted",
    });
    expect(nextWaveStep(plan("abort"), state([[ok("us-east")]], { soaked: 0, timedOut: true }), 0)).toEqual({
      kind: "stop",
      reason: "timed_out",
    });
  });
});

describe("a region this rollout deployed, changed by another deploy before the next wave", () => {
  it("stops the rollout: the region is superseded, the waves after it not started", () => {
    const changed: RegionResult = { region: "us-east", outcome: "superseded", reason: "web changed" };
    const s: WaveState = { ...initialWaveState(), ran: [[ok("us-east")]], soaked: 0, superseded: [changed] };
    expect(nextWaveStep(plan("rollback_all"), s, 0)).toEqual({ kind: "stop", reason: "superseded" });
    const results = finalOutcomes(plan("rollback_all"), s, []);
    expect(results.map((r) => [r.region, r.outcome])).toEqual([
      ["us-east", "superseded"],
      ["eu-west", "not_started"],
      ["ap-south", "not_started"],
    ]);
    expect(rolloutVerdict(results)).toBe("superseded");
    expect(rolloutVerdict([...results, { region: "sa-east", outcome: "failed" }])).toBe("failed");
  });

  it("stops there too, without rolling back, when another deploy held the app's lock in a region of the wave", () => {
    const locked: RegionResult = { region: "ap-south", outcome: "superseded", reason: "app web is locked" };
    const failed: RegionResult = { region: "eu-west", outcome: "failed", reason: "unhealthy" };
    const s: WaveState = { ...initialWaveState(), ran: [[ok("us-east")], [failed, locked]], soaked: 0 };
    expect(nextWaveStep(plan("rollback_all"), s, 0)).toEqual({ kind: "stop", reason: "superseded" });
  });
});

describe("the outcome of a rollout", () => {
  it("names every region: ran, reverted, not started and skipped, and gives the worst verdict", () => {
    const p = { ...plan("rollback_all"), skipped: ["sa-east"] };
    const s: WaveState = {
      ...initialWaveState(),
      ran: [[ok("us-east")], [{ region: "eu-west", outcome: "rolled_back" }]],
    };
    const results = finalOutcomes(p, s, [{ region: "us-east", outcome: "reverted" }]);
    expect(results.map((r) => [r.region, r.outcome])).toEqual([
      ["us-east", "reverted"],
      ["eu-west", "rolled_back"],
      ["ap-south", "not_started"],
      ["sa-east", "skipped"],
    ]);
    expect(rolloutVerdict(results)).toBe("rolled_back");
    expect(rolloutVerdict([ok("a"), { region: "b", outcome: "skipped" }])).toBe("ok");
    const notStarted = [ok("a"), { region: "b", outcome: "not_started" as const }];
    expect(rolloutVerdict(notStarted, { interrupted: true })).toBe("interrupted");
    expect(rolloutVerdict(notStarted, { timedOut: true })).toBe("timed_out");
    expect(
      rolloutVerdict([
        { region: "a", outcome: "failed" },
        { region: "b", outcome: "interrupted" },
      ]),
    ).toBe("interrupted");
  });
});

describe("rolloutDigest", () => {
  const east = { region: "us-east", apps: [{ app: "web", digest: "sha256:a" }] };
  const west = { region: "eu-west", apps: [{ app: "web", digest: "sha256:b" }] };

  it("is the same for the same specs in any order, and differs when any region's spec does", () => {
    expect(rolloutDigest([east, west])).toBe(rolloutDigest([west, east]));
    expect(rolloutDigest([east, west])).toMatch(/^sha256:[0-9a-f]{64}$/);
    const changedWest = { region: "eu-west", apps: [{ app: "web", digest: "sha256:c" }] };
    expect(rolloutDigest([east, changedWest])).not.toBe(rolloutDigest([east, west]));
    expect(rolloutDigest([east])).not.toBe(rolloutDigest([east, west]));
    const swapped = [
      { region: "us-east", apps: [{ app: "web", digest: "sha256:b" }] },
      { region: "eu-west", apps: [{ app: "web", digest: "sha256:a" }] },
    ];
    expect(rolloutDigest(swapped)).not.toBe(rolloutDigest([east, west]));
  });
});
