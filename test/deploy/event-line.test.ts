import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { eventLine, type StreamEvent } from "../../src/deploy/event-line.js";
import { jsonView } from "../../src/deploy/progress.js";

const root = resolve(import.meta.dirname, "../..");
const AT = Date.UTC(2026, 10, 25, 16, 30, 1);
const TIME = "2026-11-25T16:30:01.000Z";

/**
 * One line of every type the stream can carry. The mapped type makes the compiler (`tsc`, run by `npm test`) refuse
 * this table when a type is added to DeployEvent or CommandEvent without a line here.
 */
const every: { [T in StreamEvent["type"]]: StreamEvent & { type: T } } = {
  plan: { type: "plan", plan: { fits: true } },
  nothing_to_do: { type: "nothing_to_do" },
  declined: { type: "declined" },
  dry_run: { type: "dry_run", apps: ["web"] },
  maintenance: { type: "maintenance", agents: ["agent-1"], mode: "DOWN" },
  detached: {
    type: "detached",
    app: "web",
    release: 5,
    pid: 42,
    log: "web.log",
    output: "web.out",
    follow: "titan status web --wait",
  },
  rollout: { type: "rollout", waves: [["us-east"]], soak_ms: 0, on_failure: "abort", skipped: [] },
  wave: { type: "wave", wave: 1, regions: ["us-east"] },
  soak: { type: "soak", wave: 1, until: TIME },
  region_done: { type: "region_done", region: "us-east", outcome: "deployed" },
  superseded: { type: "superseded", region: "us-east", reason: "release 7 by bo" },
  rollback_regions: { type: "rollback_regions", regions: ["us-east"] },
  rollout_done: { type: "rollout_done", regions: [{ region: "us-east", outcome: "deployed" }] },
  release: { type: "release", app: "web", release: 5, digest: "sha256:a", reused: false },
  resume: { type: "resume", app: "web", release: 5 },
  supersede: { type: "supersede", app: "web", release: 5, by: 6, because: "spec" },
  existing: {
    type: "existing",
    app: "web",
    task: "web.4.0.1",
    instance: 0,
    state: "TASK_RUNNING",
    current: true,
  },
  launch: { type: "launch", app: "web", task: "web.5.0.1", instance: 0, release: 5, host: "a1", ports: {} },
  running: { type: "running", app: "web", task: "web.5.0.1", instance: 0 },
  healthy: { type: "healthy", app: "web", task: "web.5.0.1", instance: 0 },
  unhealthy: { type: "unhealthy", app: "web", task: "web.5.0.1", instance: 0 },
  killing: { type: "killing", app: "web", task: "web.4.0.1", instance: 0, reason: "replaced" },
  unreachable: { type: "unreachable", app: "web", task: "web.4.0.1", instance: 0 },
  killed: { type: "killed", app: "web", task: "web.4.0.1", instance: 0, state: "TASK_KILLED" },
  finished: { type: "finished", app: "web", task: "web.4.0.1", instance: 0, state: "TASK_FINISHED" },
  failed: { type: "failed", app: "web", task: "web.4.0.1", instance: 0, state: "TASK_FAILED" },
  lost: { type: "lost", app: "web", task: "web.4.0.1", instance: 0, state: "TASK_LOST" },
  check_output: { type: "check_output", app: "web", task: "web.5.0.1", instance: 0, output: "HTTP 500" },
  rollback: { type: "rollback", app: "web", from: 5, to: 4, reason: "unhealthy" },
  replan: { type: "replan", app: "web", reason: "agent lost", changes: [] },
  reconnecting: { type: "reconnecting", app: "web", reason: "stream ended", until: TIME },
  evacuate: { type: "evacuate", app: "web", agent: "agent-1" },
  inverse_offer: { type: "inverse_offer", app: "web", agent: "agent-1", answer: "ACCEPT" },
  waiting: { type: "waiting", app: "web", for: "offers" },
  done: { type: "done", app: "web", outcome: "deployed", release: 5, instances: [] },
};

describe("the --json stream of deploy and the commands built on it", () => {
  it("stamps every type of line with its time, after the event's own fields and its region", () => {
    for (const event of Object.values(every)) {
      const line = JSON.parse(eventLine(event, AT, "us-east")) as Record<string, unknown>;
      expect(line, event.type).toEqual({ ...event, region: "us-east", time: TIME });
      expect(Object.keys(line).at(-1)).toBe("time");
      expect(JSON.parse(eventLine(event, AT))).toEqual({ ...event, time: TIME });
    }
  });

  it("writes the deploy's events through the same serialiser", () => {
    const out = new PassThrough();
    jsonView(out, () => AT).event(every.resume);
    jsonView(out, () => AT).event(every.supersede, "eu-west");
    expect(
      String(out.read())
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { ...every.resume, time: TIME },
      { ...every.supersede, region: "eu-west", time: TIME },
    ]);
  });

  it("is the only place the commands that deploy write a JSON line, so none can be written without its time", () => {
    const dirs = [
      "src/deploy",
      "src/release",
      ...["deploy", "drain", "scale", "stop", "rollback", "restart"].map((c) => `src/commands/${c}`),
    ];
    const writers: string[] = [];
    for (const dir of dirs)
      for (const file of readdirSync(join(root, dir)).filter((f) => f.endsWith(".ts"))) {
        const path = join(root, dir, file);
        const text = readFileSync(path, "utf8");
        // A line written by hand: JSON.stringify of an object literal, or of a value straight to a stream.
        if (/JSON\.stringify\(\s*\{\s*(\.\.\.|type\b)|writeLine\([^;]*JSON\.stringify/.test(text))
          writers.push(relative(root, path));
      }
    expect(writers).toEqual(["src/deploy/event-line.ts"]);
  });
});
