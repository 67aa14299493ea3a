import { Chalk } from "chalk";
import { describe, expect, it } from "vitest";
import { appDigest, shortDigest } from "../../src/cluster/digest.js";
import { buildPlan } from "../../src/plan/build.js";
import { planToJson } from "../../src/plan/json.js";
import { renderPlan } from "../../src/plan/render.js";
import { agent, appSpec, scalars, snapshotOf, titanTask } from "./builders.js";

const plain = new Chalk({ level: 0 });

/** The app's plan while the first agent is being drained. */
function planDrainingFirst(
  app: ReturnType<typeof appSpec>,
  agents: ReturnType<typeof agent>[],
  running: ReturnType<typeof titanTask>[],
) {
  return buildPlan({
    apps: [app],
    snapshot: snapshotOf(agents, running),
    source: "s",
    seed: 1,
    draining: new Set([agents[0]?.id ?? ""]),
  });
}
describe("renderPlan", () => {
  it("says when the end state fits but a rollout step does not", () => {
    const app = appSpec({ instances: 2, resources: scalars(1, 256) });
    const old = [
      titanTask("api", 0, "sha256:old", 0, app.resources),
      titanTask("api", 1, "sha256:old", 0, app.resources),
    ];
    const plan = buildPlan({
      apps: [app],
      snapshot: snapshotOf([agent(0, scalars(2, 4096))], old),
      source: "snapshot s.json",
      seed: 9,
    });
    const text = renderPlan(plan, plain).join("\n");
    expect(text).toContain("~ app api: +0 launch  ~2 replace  -0 stop  =0 keep  → 2 instances");
    expect(text).toContain("rollout: 2 steps (max_surge 1, max_unavailable 0) — step 1 does not fit");
    // Each step names the agent its new task lands on, which the deploy carries out.
    expect(text).toContain(
      "    ✗ 1. replace api[0] → host-0.example.com\n    · 2. replace api[1] → host-0.example.com",
    );
    expect(text).toContain(
      "app api: the end state fits, but rollout step 1 of 2 does not — the old tasks still hold their resources while the new ones start",
    );
    expect(text).toMatch(/ {4}api\[0\] \(1 cpu, 256 MiB each\):\n {6}\* /);
    expect(text).toContain("seed 9 — replay with --seed 9");
    expect(text).not.toContain("\u001b[");
  });

  it("shows the user each app runs as: its own, else the cluster's, else nobody", () => {
    const snapshot = snapshotOf([agent(0, scalars(8, 8192))], []);
    const plan = (apps: Parameters<typeof buildPlan>[0]["apps"], taskUser?: string) =>
      buildPlan({ apps, snapshot, source: "s", seed: 1, ...(taskUser ? { taskUser } : {}) });
    const web = appSpec({ name: "web", instances: 1, resources: scalars(1, 64) });
    const own = { ...appSpec({ name: "api", instances: 1, resources: scalars(1, 64) }), user: "www-data" };
    expect(renderPlan(plan([web]), plain).join("\n")).toContain("→ 1 instance as nobody");
    const text = renderPlan(plan([web, own], "svc"), plain).join("\n");
    expect(text).toContain("+ app web: +1 launch  ~0 replace  -0 stop  =0 keep  → 1 instance as svc");
    expect(text).toContain("→ 1 instance as www-data");
    expect(plan([own], "svc").apps[0]?.user).toBe("www-data");
  });

  it("names the first ten apps it leaves alone on a shared cluster, and counts the rest", () => {
    const app = appSpec({ instances: 1 });
    const others = (count: number) =>
      Array.from({ length: count }, (_, k) =>
        titanTask(`other-${String(k).padStart(2, "0")}`, 0, "sha256:x", 1, scalars(0.1, 16)),
      );
    const line = (count: number) => {
      const plan = buildPlan({
        apps: [app],
        snapshot: snapshotOf([agent(0, scalars(8, 8192)), agent(1, scalars(8, 8192))], others(count)),
        source: "s",
        seed: 1,
      });
      expect(plan.otherApps).toHaveLength(count);
      return renderPlan(plan, plain).find((l) => l.startsWith("Also running"));
    };
    expect(line(0)).toBeUndefined();
    expect(line(2)).toBe("Also running, not in these manifests (left alone): other-00, other-01");
    expect(line(10)).toBe(
      `Also running, not in these manifests (left alone): ${others(10)
        .map((t) => t.app)
        .join(", ")}`,
    );
    expect(line(12)).toBe(
      `Also running, not in these manifests (left alone): ${others(10)
        .map((t) => t.app)
        .join(", ")} and 2 more (--json lists them all)`,
    );
  });

  it("words a drain's plan for the agents it drains: what it leaves there and why, apart from the rest", () => {
    const agents = [agent(0, scalars(8, 8192)), agent(1, scalars(8, 8192))];
    const running = [
      titanTask("ghost", 0, "sha256:x", 0, scalars(0.1, 16)),
      titanTask("other", 0, "sha256:y", 1, scalars(0.1, 16)),
    ];
    const plan = buildPlan({
      apps: [],
      snapshot: snapshotOf(agents, running),
      source: "s",
      seed: 1,
      draining: new Set(["agent-0"]),
      drain: true,
    });
    expect(plan.leftOnDraining).toEqual(["ghost"]);
    expect(planToJson(plan).left_on_draining).toEqual(["ghost"]);
    const text = renderPlan(plan, plain);
    expect(text).toContain(
      "Nothing for titan to move: none of the apps it deployed runs on the agents being drained.",
    );
    expect(text).toContain(
      "Not moved: ghost on the agents being drained, with no release in this state store to move them with; their instances there end when the machines go down.",
    );
    expect(text).toContain("Also running, not on the agents being drained (left alone): other");
    expect(text.join("\n")).not.toContain("manifests");
    // A deploy's plan (agents under maintenance drain too) keeps the manifests' wording.
    const deploy = buildPlan({
      apps: [],
      snapshot: snapshotOf(agents, running),
      source: "s",
      seed: 1,
      draining: new Set(["agent-0"]),
    });
    expect(renderPlan(deploy, plain)).toContain(
      "Also running, not in these manifests (left alone): ghost, other",
    );
  });

  it("names the agents nothing new is placed on: a plan short of room says why those are not used", () => {
    // Two agents, one scheduled for maintenance (as a drain leaves it until it brings the machine down): two
    // instances on distinct hosts cannot both be placed, and the plan says which agent it kept out.
    const agents = [agent(0, scalars(8, 8192)), agent(1, scalars(8, 8192))];
    const app = appSpec({ instances: 2, constraints: [{ kind: "unique", attribute: "hostname" }] });
    const plan = buildPlan({
      apps: [app],
      snapshot: snapshotOf(agents, []),
      source: "s",
      seed: 1,
      draining: new Set(["agent-0"]),
    });
    expect(plan.fits).toBe(false);
    expect(plan.draining).toEqual([{ agentId: "agent-0", hostname: "host-0.example.com" }]);
    expect(renderPlan(plan, plain)).toContain(
      "Scheduled for maintenance (DRAINING), nothing new placed there: host-0.example.com",
    );
    const drain = buildPlan({
      apps: [],
      snapshot: snapshotOf(agents, []),
      source: "s",
      seed: 1,
      draining: new Set(["agent-0"]),
      drain: true,
    });
    expect(renderPlan(drain, plain)).toContain(
      "Being drained or scheduled for maintenance, nothing new placed there: host-0.example.com",
    );
    const none = buildPlan({ apps: [app], snapshot: snapshotOf(agents, []), source: "s", seed: 1 });
    expect(none.draining).toEqual([]);
    expect(renderPlan(none, plain).join("\n")).not.toContain("nothing new placed there");
  });

  it("lists the agents nothing new is placed on in the JSON too, so a job reading it can tell why room is missing", () => {
    const agents = [agent(0, scalars(8, 8192)), agent(1, scalars(8, 8192))];
    const app = appSpec({ instances: 2, constraints: [{ kind: "unique", attribute: "hostname" }] });
    const base = { apps: [app], snapshot: snapshotOf(agents, []), source: "s", seed: 1 };
    const kept = [{ agent_id: "agent-0", hostname: "host-0.example.com" }];
    expect(planToJson(buildPlan({ ...base, draining: new Set(["agent-0"]) })).draining_agents).toEqual(kept);
    const drain = buildPlan({ ...base, apps: [], draining: new Set(["agent-0"]), drain: true });
    expect(planToJson(drain).draining_agents).toEqual(kept);
    // Like the text, which says nothing when no agent is kept out: a plan without any has no such key.
    expect(planToJson(buildPlan(base))).not.toHaveProperty("draining_agents");
  });

  it("lists what a scale-down stops", () => {
    const app = appSpec({ instances: 1 });
    const running = [0, 1].map((i) => titanTask("api", i, "sha256:x", i, app.resources));
    const plan = buildPlan({
      apps: [app],
      snapshot: snapshotOf([agent(0, scalars(8, 8192)), agent(1, scalars(8, 8192))], running),
      source: "snapshot s.json",
    });
    const text = renderPlan(plan, plain).join("\n");
    expect(text).toContain("stop api[1] on host-1.example.com");
  });
});

describe("renderPlan of a drain", () => {
  it("shows an instance moving off a draining agent as a move, not a change of spec", () => {
    const agents = [0, 1].map((n) => agent(n, scalars(4, 8192)));
    const app = appSpec({ instances: 2, resources: scalars(1, 256) });
    const digest = appDigest(app);
    const running = [
      titanTask("api", 0, digest, 0, app.resources),
      titanTask("api", 1, digest, 1, app.resources),
    ];
    const plan = planDrainingFirst(app, agents, running);
    const text = renderPlan(plan, plain).join("\n");
    expect(text).toContain("> app api: +0 launch  ~0 replace  >1 move  -0 stop  =1 keep  → 2 instances");
    expect(text).not.toContain("forces replace");
    expect(text).toContain("    ✓ 1. move api[0] → host-1.example.com");
  });

  it("tells a move from a replace in the same plan", () => {
    const agents = [0, 1].map((n) => agent(n, scalars(4, 8192)));
    const app = appSpec({ instances: 2, resources: scalars(1, 256) });
    const running = [
      titanTask("api", 0, appDigest(app), 0, app.resources),
      titanTask("api", 1, "sha256:0123456789abcdef", 1, app.resources),
    ];
    const plan = planDrainingFirst(app, agents, running);
    const text = renderPlan(plan, plain).join("\n");
    expect(text).toContain("~ app api: +0 launch  ~1 replace  >1 move  -0 stop  =0 keep");
    expect(text).toContain(`spec 0123456789ab → ${shortDigest(appDigest(app))} (forces replace)`);
  });
});
