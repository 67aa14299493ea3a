import { describe, expect, it } from "vitest";
import { WEEKDAYS } from "../../src/manifest/windows.js";
import { liveTasks, titan } from "../deploy/harness.js";
import { threeRegions, writeRegionalApp } from "./harness.js";

async function releaseRunning(url: string): Promise<number[]> {
  return (await liveTasks(url)).map((t) => Number(t.id.split(".")[1]));
}

describe("a multi-region deploy outside the app's disruption windows", () => {
  it("is refused before its first wave, every region unchanged, and an override is kept by each region's release", async () => {
    const { h, clusters } = await threeRegions();
    // One day three days from now, UTC: closed throughout the test.
    const disruption = `{ windows: [{ days: [${WEEKDAYS[(new Date().getUTCDay() + 3) % 7]}], hours: "00:00-24:00" }] }`;
    const v1 = writeRegionalApp(h.cwd, { version: "1", disruption });
    expect((await titan(["deploy", "-f", v1, "--yes"], h)).code).toBe(0);

    const v2 = writeRegionalApp(h.cwd, { version: "2", disruption });
    // --detach follows one region; over several it is refused before anything is read (it used to run attached).
    const detached = await titan(["deploy", "-f", v2, "--yes", "--detach"], h);
    expect(detached.code).toBe(2);
    expect(detached.stderr).toContain(
      "--detach deploys one region, and web names us-east, eu-west, ap-south",
    );
    const refused = await titan(["deploy", "-f", v2, "--yes"], h);
    expect(refused.code).toBe(10);
    expect(refused.stderr).toMatch(
      /web \(us-east\) replaces 1 running instance outside its disruption window .*\(and 2 more: web \(eu-west\), web \(ap-south\)\); nothing was changed/,
    );
    for (const cluster of Object.values(clusters)) expect(await releaseRunning(cluster.url)).toEqual([1]);

    // A dry run with the override passes the gate and stops before the first wave.
    const dry = await titan(["deploy", "-f", v2, "--dry-run", "--override-disruption", "region-wide fix"], h);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain(
      "Dry run: nothing changed. Without --dry-run, titan would now deploy web to us-east, eu-west, ap-south in 2 waves as planned above.",
    );
    for (const cluster of Object.values(clusters)) expect(await releaseRunning(cluster.url)).toEqual([1]);

    const forced = await titan(["deploy", "-f", v2, "--yes", "--override-disruption", "region-wide fix"], h);
    expect(forced.code, forced.stderr).toBe(0);
    for (const cluster of Object.values(clusters)) expect(await releaseRunning(cluster.url)).toEqual([2]);
    for (const region of ["us-east", "eu-west", "ap-south"]) {
      const releases = await titan(["releases", "web", "--region", region, "--json"], h);
      expect(JSON.parse(releases.stdout).releases.at(-1)).toMatchObject({
        number: 2,
        disruption_override: "region-wide fix",
      });
    }
  }, 90_000);
});
