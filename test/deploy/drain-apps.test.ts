import { describe, expect, it } from "vitest";
import {
  drainApp,
  drainRefusal,
  lockedRefusal,
  movedSpec,
  runningSpec,
} from "../../src/commands/drain/apps.js";
import type { AppSpec } from "../../src/manifest/types.js";
import type { LockRecord, Release } from "../../src/state/types.js";

const spec = (version: string, instances = 2) =>
  ({ name: "fresh", instances, env: { V: version } }) as unknown as AppSpec;
const release = (number: number, outcome: Release["outcome"], version: string, instances = 2): Release => ({
  app: "fresh",
  number,
  manifestDigest: `sha256:${version}`,
  spec: spec(version, instances),
  createdAt: number,
  user: "me",
  outcome,
  command: "titan deploy -f fresh.yaml --context prod",
});
const on = { hosts: ["agent-9.local"], target: ["--context", "prod"] };

describe("what titan drain does with an app whose instances run on the agents", () => {
  it("moves the newest deployed release's instances, and resumes its own interrupted move of it", () => {
    const v1 = release(1, "deployed", "v1");
    expect(drainApp("fresh", [v1, release(2, "failed", "v2")])).toEqual({
      app: "fresh",
      kind: "moves",
      spec: v1.spec,
    });
    const moving = drainApp("fresh", [v1, release(2, "pending", "v1")]);
    expect(moving).toEqual({ app: "fresh", kind: "resumes", spec: v1.spec });
    expect(movedSpec(moving)).toBe(v1.spec);
    expect(drainRefusal(moving, on)).toBeUndefined();
  });

  it("refuses an app whose first release is pending, interrupted: no deployed release to move it with", () => {
    const first = drainApp("fresh", [release(1, "pending", "v1")]);
    expect(first.kind).toBe("unfinished");
    expect(movedSpec(first)).toBeUndefined();
    expect(runningSpec(first)).toBeUndefined();
    const refusal = drainRefusal(first, on);
    expect(refusal?.exitCode).toBe(2);
    expect(refusal?.message).toBe(
      "fresh has a release still unfinished (release 1, its first; its deploy was interrupted): no release of it was deployed, so titan has none to move its instances on agent-9.local with, and bringing the agents down would lose them",
    );
    expect(refusal?.hint).toBe(
      "finish it first: re-run `titan deploy -f fresh.yaml --context prod` (`titan status fresh --context prod` says where it stands), or take it down on purpose with `titan stop fresh --context prod`; then drain",
    );
  });

  it("refuses an app whose pending release is another spec or count than the deployed one", () => {
    const app = drainApp("fresh", [release(1, "deployed", "v1"), release(2, "pending", "v1", 5)]);
    // Not moved, but what runs is release 1: scale-in advice (--advised) keeps its constraints.
    expect(movedSpec(app)).toBeUndefined();
    expect(runningSpec(app)).toEqual(spec("v1"));
    expect(drainRefusal(app, on)?.message).toBe(
      "fresh has a release still unfinished (release 2, of another spec or count than release 1; its deploy was interrupted): draining would supersede it with release 1's spec",
    );
    expect(drainRefusal(app, on)?.hint).toContain("finish it first: re-run `titan deploy -f fresh.yaml");
  });

  it("refuses an app none of whose releases was deployed, rather than lose its instances with the agents", () => {
    const app = drainApp("fresh", [release(1, "failed", "v1")]);
    expect(app).toMatchObject({ kind: "undeployed", release: { number: 1 } });
    const refusal = drainRefusal(app, on);
    expect(refusal?.exitCode).toBe(2);
    expect(refusal?.message).toBe(
      "no release of fresh was deployed (release 1 failed), yet its instances run on agent-9.local: titan has no deployed release to move them with, and bringing the agents down would lose them",
    );
    expect(refusal?.hint).toBe(
      "deploy a release of it that works (`titan releases fresh --context prod` says why release 1 did not), or take it down on purpose with `titan stop fresh --context prod`; then drain",
    );
  });

  it("leaves an app with no release in this state store to the plan, which names it", () => {
    const app = drainApp("fresh", []);
    expect(app).toEqual({ app: "fresh", kind: "unknown" });
    expect(drainRefusal(app, on)).toBeUndefined();
  });
});

describe("a drain while a deploy of an app holds its lock", () => {
  it("is refused whatever agents the app runs on, naming the holder and how to wait for it", () => {
    const lock: LockRecord = {
      user: "ana",
      host: "box",
      pid: 4242,
      purpose: "deploy web",
      token: "t",
      acquiredAt: 1,
      expiresAt: 2,
    };
    const refusal = lockedRefusal("web", lock, {
      hosts: ["agent-7", "agent-8"],
      target: ["--context", "prod"],
    });
    expect(refusal.exitCode).toBe(2);
    expect(refusal.message).toBe(
      "a deploy of web is running (ana@box, pid 4242, deploy web): it may still launch instances on agent-7, agent-8, which draining would bring down with the machines",
    );
    expect(refusal.hint).toBe(
      "wait for that deploy to end (`titan status web --wait --context prod`), then drain",
    );
  });
});
