import { describe, expect, it } from "vitest";
import { appDigest } from "../../src/cluster/digest.js";
import type { AppSpec } from "../../src/manifest/types.js";
import { hourlyReplacements } from "../../src/manifest/types.js";
import { buildPlan } from "../../src/plan/build.js";
import { closedWindows, pacedReplacements, withDisruptionWarnings } from "../../src/plan/disruption.js";
import { agent, appSpec, scalars, snapshotOf, titanTask } from "./builders.js";

const source = "snapshot test.json";
// Saturday 2026-12-05 12:00 UTC; the window opens on Monday at 09:00 UTC.
const saturday = Date.parse("2026-12-05T12:00:00Z");
const weekdays = {
  windows: [
    {
      days: ["mon", "tue", "wed", "thu", "fri"] as const,
      startMinute: 540,
      endMinute: 1020,
      timeZone: "UTC",
    },
  ],
};

function planOf(running: AppSpec, wanted: AppSpec, draining?: ReadonlySet<string>) {
  const agents = [0, 1, 2].map((n) => agent(n, scalars(4, 8192)));
  const digest = appDigest(running);
  const tasks = [0, 1, 2].map((i) => titanTask("api", i, digest, i, running.resources));
  return buildPlan({
    apps: [wanted],
    snapshot: snapshotOf(agents, tasks),
    source,
    seed: 1,
    ...(draining === undefined ? {} : { draining }),
  });
}

describe("disruption windows in a plan", () => {
  const app = appSpec({ instances: 3, disruption: weekdays });

  it("count instances replaced or moved, not those started or stopped, and only while closed", () => {
    const changed = appSpec({ ...app, env: { LOG_LEVEL: { kind: "plain", value: "debug" } } });
    expect(closedWindows(planOf(app, changed).apps, saturday)).toEqual([
      {
        app: "api",
        region: null,
        replacing: 3,
        windows: weekdays.windows,
        opensAt: Date.parse("2026-12-07T09:00:00Z"),
      },
    ]);
    expect(closedWindows(planOf(app, changed).apps, Date.parse("2026-12-07T10:00:00Z"))).toEqual([]);
    // Moving off a draining agent takes the instance down too.
    const drained = planOf(app, app, new Set(["agent-1"]));
    expect(closedWindows(drained.apps, saturday).map((c) => c.replacing)).toEqual([1]);
    // Scaling out or in replaces nothing.
    expect(closedWindows(planOf(app, { ...app, instances: 5 }).apps, saturday)).toEqual([]);
    expect(closedWindows(planOf(app, { ...app, instances: 1 }).apps, saturday)).toEqual([]);
    // Without windows, any time.
    const { disruption, ...unbounded } = changed;
    void disruption;
    expect(closedWindows(planOf(app, unbounded).apps, saturday)).toEqual([]);
  });

  it("do not change the digest: adding a window replaces no instance", () => {
    const { disruption, ...without } = app;
    void disruption;
    expect(appDigest(without)).toBe(appDigest(app));
  });

  it("warn in the plan with when the next window opens", () => {
    const changed = appSpec({ ...app, env: { LOG_LEVEL: { kind: "plain", value: "debug" } } });
    const plan = withDisruptionWarnings(planOf(app, changed), saturday);
    expect(plan.warnings).toContain(
      "api replaces 3 running instances outside its disruption window (mon-fri 09:00-17:00 UTC); the next opens Mon 09:00 UTC, in 45h: `titan deploy` refuses it until then without --override-disruption",
    );
  });

  it("say how long max_per_hour spreads a rollout, rounding a percentage down to at least 1", () => {
    const paced = appSpec({ instances: 3, disruption: { maxPerHour: { kind: "percent", value: 25 } } });
    expect(hourlyReplacements(paced, 3)).toBe(1);
    expect(hourlyReplacements(paced, 8)).toBe(2);
    expect(hourlyReplacements(appSpec(), 8)).toBeUndefined();
    const changed = appSpec({ ...paced, env: { LOG_LEVEL: { kind: "plain", value: "debug" } } });
    const plan = planOf(paced, changed);
    expect(pacedReplacements(plan.apps)).toEqual([{ app: "api", region: null, replacing: 3, perHour: 1 }]);
    expect(withDisruptionWarnings(plan, saturday).warnings).toContain(
      "api: 3 running instances replaced at max_per_hour 1: the rollout waits for the budget and takes at least 2h (more if replacements of the last hour count)",
    );
    // Within the hour's allowance, nothing to say.
    const loose = appSpec({ ...paced, disruption: { maxPerHour: { kind: "count", value: 3 } } });
    expect(
      withDisruptionWarnings(planOf(loose, { ...changed, disruption: loose.disruption }), saturday).warnings,
    ).toEqual([]);
  });
});
