import { describe, expect, it } from "vitest";
import { liveTasks, titan } from "../deploy/harness.js";
import { titanProcess } from "../support/cli-process.js";
import { type Regions, threeRegions, writeRegionalApp } from "./harness.js";

/** Of each live task in the region, whether its release carries the spec of release 1 (VERSION 1). */
async function runningReleaseOne(
  { h, clusters }: Regions,
  region: "us-east" | "ap-south",
): Promise<boolean[]> {
  const listed = await titan(["releases", "web", "--region", region, "--json"], h);
  const { releases } = JSON.parse(listed.stdout) as {
    releases: Array<{ number: number; manifest_digest: string }>;
  };
  const digestOf = (n: number) => releases.find((r) => r.number === n)?.manifest_digest;
  const live = await liveTasks(clusters[region].url);
  expect(live.length).toBeGreaterThan(0);
  return live.map((t) => digestOf(Number(t.id.split(".")[1])) === digestOf(1));
}

/**
 * Release 1 everywhere, then release 2 in waves [us-east, ap-south] → [eu-west], broken in eu-west, with
 * on_failure: rollback_all, in its own process, stopped with SIGINT once us-east's rollback recorded its release.
 */
async function interruptedRollback(): Promise<{
  regions: Regions;
  v2: string;
  stderr: string;
  stdout: string;
}> {
  const regions = await threeRegions();
  const { h } = regions;
  const v1 = writeRegionalApp(h.cwd, { version: "1", waves: "[[us-east, eu-west, ap-south]]" });
  expect((await titan(["deploy", "-f", v1, "--yes"], h)).code).toBe(0);
  const v2 = writeRegionalApp(h.cwd, {
    version: "2",
    waves: "[[us-east, ap-south], [eu-west]]",
    regions: '{ us-east: 1, eu-west: { instances: 1, env: { BROKEN: "1" } }, ap-south: 1 }',
    onFailure: "rollback_all",
  });
  const deploy = titanProcess(["deploy", "-f", v2, "--yes", "--json"], h);
  const reverting = () => {
    const start = deploy.stdout().indexOf('"type":"rollback_regions"');
    return start >= 0 && /"type":"release"[^\n]*"region":"us-east"/.test(deploy.stdout().slice(start));
  };
  for (let i = 0; i < 3000 && !reverting() && deploy.child.exitCode === null; i++)
    await new Promise((r) => setTimeout(r, 10));
  expect(reverting(), deploy.stdout() + deploy.stderr()).toBe(true);
  deploy.child.kill("SIGINT");
  expect(await deploy.exit).toBe(130);
  return { regions, v2, stderr: deploy.stderr(), stdout: deploy.stdout() };
}

describe("a rollback of on_failure: rollback_all interrupted", () => {
  it("names the commands that finish it, which roll each region back to what ran before", async () => {
    const { regions, stderr, stdout } = await interruptedRollback();
    const { h } = regions;
    expect(stderr).toContain("us-east interrupted while rolling back (on_failure: rollback_all)");
    expect(stderr).toContain("hint: finish the rollback with `titan rollback web --region us-east`");
    expect(stderr).toContain("`titan rollback web --region ap-south`");
    expect(stderr).toContain("re-running `titan deploy -f ");
    const done = stdout.split("\n").find((l) => l.includes('"type":"rollout_done"')) ?? "{}";
    expect(JSON.parse(done).regions).toContainEqual({
      region: "us-east",
      outcome: "interrupted",
      reason: "while rolling back (on_failure: rollback_all)",
      finish: ["titan rollback web --region us-east"],
    });
    for (const region of ["us-east", "ap-south"] as const) {
      const finished = await titan(["rollback", "web", "--region", region, "--yes"], h);
      expect(finished.code, finished.stderr).toBe(0);
      expect(await runningReleaseOne(regions, region)).toEqual([true]);
    }
  }, 120_000);

  it("when the deploy is run again instead and fails again, rolls back to the release before it, not to itself", async () => {
    const { regions, v2 } = await interruptedRollback();
    // The plan says what the deploy then does with each region's unfinished rollback.
    const plan = await titan(["plan", "-f", v2], regions.h);
    expect(plan.code, plan.stderr).toBe(0);
    for (const region of ["us-east", "ap-south"])
      expect(plan.stderr).toContain(
        `note: release 3 of web in ${region} did not finish (\`titan rollback web --region ${region}\`): titan deploy supersedes it`,
      );
    const again = await titan(["deploy", "-f", v2, "--yes", "--json"], regions.h);
    expect(again.code, again.stderr).toBe(5);
    expect(again.stdout).toContain('"type":"supersede"');
    expect(again.stderr).toContain("deploy failed and was rolled back: us-east reverted, ap-south reverted");
    expect(await runningReleaseOne(regions, "us-east")).toEqual([true]);
    expect(await runningReleaseOne(regions, "ap-south")).toEqual([true]);
  }, 120_000);
});

describe("a rollout with on_failure: rollback_all interrupted while it soaks, then run again", () => {
  it("rolls back the region the first run deployed when a later wave fails", async () => {
    const regions = await threeRegions();
    const { h } = regions;
    const v1 = writeRegionalApp(h.cwd, { version: "1", waves: "[[us-east, eu-west, ap-south]]" });
    expect((await titan(["deploy", "-f", v1, "--yes"], h)).code).toBe(0);
    const v2 = (soak: string) =>
      writeRegionalApp(h.cwd, {
        version: "2",
        soak,
        waves: "[[us-east], [eu-west, ap-south]]",
        regions: '{ us-east: 1, eu-west: { instances: 1, env: { BROKEN: "1" } }, ap-south: 1 }',
        onFailure: "rollback_all",
      });
    const first = new AbortController();
    const soaking = titan(["deploy", "-f", v2("30s"), "--yes", "--json"], { ...h, signal: first.signal });
    for (let i = 0; i < 3000; i++) {
      const ids = (await liveTasks(regions.clusters["us-east"].url)).map((t) => t.id);
      if (ids.length === 1 && ids[0]?.startsWith("web.2.")) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 300));
    first.abort();
    const stopped = await soaking;
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).toContain("deploy interrupted: us-east deployed, eu-west not started");

    // The soak shortened to 1s is the same rollout: the same specs in every region.
    const again = await titan(["deploy", "-f", v2("1s"), "--yes"], h);
    expect(again.code, again.stderr).toBe(5);
    expect(again.stderr).toContain(
      "deploy failed and was rolled back: us-east reverted, eu-west rolled back, ap-south reverted",
    );
    expect(await runningReleaseOne(regions, "us-east")).toEqual([true]);
    expect(await runningReleaseOne(regions, "ap-south")).toEqual([true]);
  }, 120_000);
});

describe("a rollout that skipped a region, completed by a later run whose new wave fails", () => {
  it("is the same rollout: on_failure: rollback_all reverts the regions the first run deployed", async () => {
    const regions = await threeRegions();
    const { h, clusters } = regions;
    const v1 = writeRegionalApp(h.cwd, { version: "1", waves: "[[us-east, eu-west, ap-south]]" });
    expect((await titan(["deploy", "-f", v1, "--yes"], h)).code).toBe(0);
    const v2 = writeRegionalApp(h.cwd, {
      version: "2",
      waves: "[[us-east], [ap-south]]",
      regions: "{ us-east: 1, ap-south: 1 }",
      onFailure: "rollback_all",
    });
    const skipping = await titan(["deploy", "-f", v2, "--yes", "--skip-region", "ap-south"], h);
    expect(skipping.code, skipping.stderr).toBe(0);
    expect(await runningReleaseOne(regions, "us-east")).toEqual([false]);
    // ap-south, planned with the same spec, then finds no room: its wave fails.
    await clusters["ap-south"].faults.withholdOffers(true);
    const full = await titan(["deploy", "-f", v2, "--yes", "--timeout", "40s"], h);
    expect(full.stderr).toContain("us-east reverted");
    expect(await runningReleaseOne(regions, "us-east")).toEqual([true]);
  }, 120_000);
});
