import { describe, expect, it } from "vitest";
import { systemClock } from "../../src/cli/env.js";
import { runLogs } from "../../src/commands/logs/run.js";
import { type Event, events, liveTasks, titan } from "../deploy/harness.js";
import { runCli } from "../support/cli.js";
import { testEnv } from "../support/env.js";
import { threeRegions, writeRegionalApp } from "./harness.js";

const REGION_NAMES = ["us-east", "eu-west", "ap-south"];
const byRegion = (list: readonly Event[], region: string) => list.filter((e) => e.region === region);
const at = (e: Event | undefined): number => Date.parse(String(e?.time));
const index = (list: readonly Event[], match: (e: Event) => boolean): number => list.findIndex(match);

describe("a deploy over three regions", () => {
  it("runs the waves in order, the regions of a wave in parallel, soaking between waves", async () => {
    const { h, clusters } = await threeRegions();
    const file = writeRegionalApp(h.cwd, { version: "1", soak: "1s" });
    const run = await titan(["deploy", "-f", file, "--yes", "--json"], h);
    expect(run.code, run.stderr).toBe(0);
    const list = events(run.stdout);
    expect(list.filter((e) => e.type === "plan").map((e) => e.region)).toEqual([
      "us-east",
      "eu-west",
      "ap-south",
    ]);
    expect(list.filter((e) => e.type === "wave").map((e) => e.regions)).toEqual([
      ["us-east"],
      ["eu-west", "ap-south"],
    ]);
    // Wave 1 finished before the soak, and wave 2 started no earlier than the soak's end.
    const wave2 = index(list, (e) => e.type === "wave" && e.wave === 2);
    const soak = list.find((e) => e.type === "soak");
    expect(soak).toMatchObject({ wave: 1 });
    const eastDone = list.find((e) => e.type === "region_done" && e.region === "us-east");
    expect(list.indexOf(eastDone as Event)).toBeLessThan(list.indexOf(soak as Event));
    expect(at(list[wave2])).toBeGreaterThanOrEqual(Date.parse(String(soak?.until)));
    expect(Date.parse(String(soak?.until)) - at(eastDone)).toBeGreaterThanOrEqual(1000);
    for (const region of ["eu-west", "ap-south"]) {
      const first = index(list, (e) => e.region === region && e.type !== "plan");
      expect(first).toBeGreaterThan(wave2);
    }
    // The two regions of wave 2 ran side by side: each one's release began before the other's finished.
    const started = (r: string) => index(list, (e) => e.type === "release" && e.region === r);
    const finished = (r: string) => index(list, (e) => e.type === "region_done" && e.region === r);
    expect(started("eu-west")).toBeLessThan(finished("ap-south"));
    expect(started("ap-south")).toBeLessThan(finished("eu-west"));
    // Every deploy event names its region; each region has its own framework and release.
    for (const e of list.filter((e) => ["release", "launch", "healthy", "done"].includes(e.type)))
      expect(e.region).toEqual(expect.any(String));
    expect(byRegion(list, "us-east").find((e) => e.type === "release")).toMatchObject({ release: 1 });
    expect(list.at(-1)).toEqual({
      type: "rollout_done",
      regions: [
        { region: "us-east", outcome: "deployed" },
        { region: "eu-west", outcome: "deployed" },
        { region: "ap-south", outcome: "deployed" },
      ],
      time: expect.any(String),
    });
    for (const c of Object.values(clusters))
      expect((await liveTasks(c.url)).map((t) => t.id)).toEqual(["web.1.0.1"]);

    // Plan without --region: every region side by side, nothing to change anywhere.
    const plan = await titan(["plan", "-f", file, "--detailed-exitcode"], h);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/^us-east\s+us-east-cluster\s+\+0\s+~0\s+-0\s+=1\s+no changes$/m);
    expect(plan.stdout).toMatch(/^total\s+\+0\s+~0\s+-0\s+=3$/m);
    // Re-running changes nothing and soaks nothing.
    const again = await titan(["deploy", "-f", file, "--yes", "--json"], h);
    expect(again.code).toBe(0);
    expect(events(again.stdout).map((e) => e.type)).toEqual([
      "plan",
      "plan",
      "plan",
      "rollout",
      "nothing_to_do",
    ]);

    // ps spans the context's regions; --region narrows it.
    const ps = await runCli(["ps", "--json"], { env: h.vars, cwd: h.cwd });
    expect(ps.code, ps.stderr).toBe(0);
    const sections = JSON.parse(ps.stdout).regions as Array<{
      region: string;
      apps: Array<{ running: number }>;
    }>;
    expect(sections.map((r) => [r.region, r.apps[0]?.running])).toEqual([
      ["us-east", 1],
      ["eu-west", 1],
      ["ap-south", 1],
    ]);
    const narrowed = await runCli(["ps", "--region", "eu-west"], { env: h.vars, cwd: h.cwd });
    expect(narrowed.stdout).toContain("region eu-west · context prod · cluster eu-west-cluster");
    expect(narrowed.stdout).not.toContain("us-east");
    const status = await runCli(["status", "web"], { env: h.vars, cwd: h.cwd });
    expect(status.code, status.stderr).toBe(0);
    expect(
      status.stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split(":")[0]),
    ).toEqual(REGION_NAMES);

    // logs -f follows every region, each line prefixed with its region.
    const controller = new AbortController();
    const t = testEnv({ vars: h.vars, signal: controller.signal });
    const following = runLogs(
      { ...t.env, clock: systemClock },
      {
        target: "web",
        follow: true,
        stdout: true,
        stderr: false,
        allStreams: false,
        raw: false,
        json: false,
      },
      { minPollMs: 50, maxPollMs: 200, discoverMs: 500 },
    );
    try {
      for (let i = 0; i < 400 && !REGION_NAMES.every((r) => t.out().includes(`${r} web[0]`)); i++)
        await new Promise((r) => setTimeout(r, 25));
    } finally {
      controller.abort();
    }
    expect(await following).toBe(0);
    for (const region of REGION_NAMES)
      expect(t.out()).toMatch(new RegExp(`^${region} web\\[0\\] agent-\\d\\.local \\| serving 1$`, "m"));
  }, 60_000);
});
