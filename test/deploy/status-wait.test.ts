import { describe, expect, it } from "vitest";
import { deployWait } from "../../src/observe/deploy-wait.js";
import type { DeployProgress, LockRecord, Release } from "../../src/state/types.js";

const release = (number: number, outcome: Release["outcome"]): Release => ({
  app: "web",
  number,
  manifestDigest: "sha256:0123456789abcdef",
  spec: { name: "web", instances: 3 } as Release["spec"],
  createdAt: 0,
  user: "me",
  outcome,
});

const lock = (over: Partial<LockRecord> = {}): LockRecord => ({
  user: "ana",
  host: "laptop",
  pid: 42,
  purpose: "deploy web release 2",
  token: "t",
  acquiredAt: 0,
  expiresAt: 10_000,
  ...over,
});

const progress = (over: Partial<DeployProgress> = {}): DeployProgress => ({
  release: 2,
  phase: "deploying",
  launched: [],
  updatedAt: 0,
  ...over,
});

const live = { now: 5_000, hostname: "ci-box", isAlive: () => true };

describe("where the newest release stands for status --wait", () => {
  it("runs while a deploy holds the lock, with what it last said it waits for", () => {
    const waiting = { for: "offers to place instance(s) 2", at: 4_000 };
    expect(
      deployWait(
        {
          releases: [release(1, "deployed"), release(2, "pending")],
          progress: progress({ waiting }),
          lock: lock(),
        },
        live,
      ),
    ).toEqual({ kind: "running", release: 2, by: "ana@laptop, pid 42", waiting });
    // A re-run resuming an interrupted release holds the lock before it writes progress: it runs.
    expect(
      deployWait(
        { releases: [release(2, "pending")], progress: progress({ phase: "interrupted" }), lock: lock() },
        live,
      ),
    ).toEqual({ kind: "running", release: 2, by: "ana@laptop, pid 42" });
  });

  it("has ended once the release has any other outcome, and knows no release of an app it never deployed", () => {
    const ended = deployWait(
      { releases: [release(2, "rolled_back")], progress: undefined, lock: undefined },
      live,
    );
    expect(ended).toMatchObject({ kind: "ended", release: { number: 2, outcome: "rolled_back" } });
    expect(deployWait({ releases: [], progress: undefined, lock: undefined }, live)).toEqual({
      kind: "none",
    });
  });

  it("sees a deploy on its way before it recorded a release: a first deploy's lock, or a detached one started here", () => {
    // A first deploy holds the lock a moment before its release is recorded.
    expect(deployWait({ releases: [], progress: undefined, lock: lock() }, live)).toEqual({
      kind: "starting",
      by: "ana@laptop, pid 42",
    });
    expect(deployWait({ releases: [], progress: undefined, lock: lock({ expiresAt: 4_999 }) }, live)).toEqual(
      {
        kind: "none",
      },
    );
    const run = { pid: 77, startedAt: 1_000, log: "/s/deploys/web-1.log", said: "waiting for the master: …" };
    expect(deployWait({ releases: [], progress: undefined, lock: undefined, detached: run }, live)).toEqual({
      kind: "starting",
      by: "detached, pid 77",
      said: "waiting for the master: …",
    });
    // Started after the newest release was recorded: that release is not its own.
    const older = { ...release(1, "deployed"), createdAt: 500 };
    expect(
      deployWait({ releases: [older], progress: undefined, lock: undefined, detached: run }, live),
    ).toMatchObject({ kind: "starting" });
    // Once it recorded its release, the store says where it stands.
    const own = { ...release(2, "pending"), createdAt: 1_500 };
    expect(
      deployWait({ releases: [older, own], progress: undefined, lock: lock(), detached: run }, live),
    ).toMatchObject({ kind: "running", release: 2 });
    // It ended (or is gone) without recording one.
    const gone = { ...live, isAlive: () => false };
    expect(deployWait({ releases: [], progress: undefined, lock: undefined, detached: run }, gone)).toEqual({
      kind: "unstarted",
      pid: 77,
      log: "/s/deploys/web-1.log",
    });
    expect(
      deployWait(
        { releases: [], progress: undefined, lock: undefined, detached: { ...run, exitCode: 4 } },
        live,
      ),
    ).toMatchObject({ kind: "unstarted", exitCode: 4 });
  });

  it("is abandoned when nothing holds the lock, the lock expired, or its holder on this machine is gone", () => {
    const pending = [release(2, "pending")];
    expect(
      deployWait({ releases: pending, progress: progress({ phase: "interrupted" }), lock: undefined }, live),
    ).toEqual({
      kind: "abandoned",
      release: 2,
      why: "its deploy was interrupted",
      // A release recorded without its command is resumed by a deploy of its manifest.
      resume: "titan deploy",
    });
    const stopped = [{ ...release(2, "pending"), command: "titan stop web --context prod" }];
    expect(deployWait({ releases: stopped, progress: undefined, lock: undefined }, live)).toMatchObject({
      kind: "abandoned",
      resume: "titan stop web --context prod",
    });
    expect(deployWait({ releases: pending, progress: undefined, lock: undefined }, live)).toMatchObject({
      kind: "abandoned",
      why: "no deploy holds the app's lock",
    });
    expect(
      deployWait({ releases: pending, progress: progress(), lock: lock({ expiresAt: 4_999 }) }, live),
    ).toMatchObject({
      kind: "abandoned",
      why: "the lock of ana@laptop (pid 42) expired: that deploy stopped",
    });
    const here = { ...live, hostname: "laptop", isAlive: (pid: number) => pid !== 42 };
    expect(deployWait({ releases: pending, progress: progress(), lock: lock() }, here)).toMatchObject({
      kind: "abandoned",
      why: "the deploy that held the lock (pid 42 on this machine) is gone",
    });
    // Another machine's process cannot be looked at: its unexpired lock is held.
    expect(
      deployWait(
        { releases: pending, progress: progress(), lock: lock() },
        { ...live, isAlive: () => false },
      ),
    ).toMatchObject({
      kind: "running",
    });
  });
});
