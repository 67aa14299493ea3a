import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { FileStateStore } from "../../src/state/file-store.js";
import { events, liveTasks, titan } from "../deploy/harness.js";
import { runCli } from "../support/cli.js";
import { titanProcess } from "../support/cli-process.js";
import { type StateReadGate, startStateReadGate } from "../support/state-read-gate.js";
import { threeRegions, writeRegionalApp } from "./harness.js";

const ONE_BY_ONE = "[[us-east], [eu-west], [ap-south]]";
const BROKEN_WEST = '{ us-east: 1, eu-west: { instances: 1, env: { BROKEN: "1" } }, ap-south: 1 }';

const gates: StateReadGate[] = [];
afterEach(async () => {
  await Promise.all(gates.splice(0).map((gate) => gate.close()));
});

async function releaseRunning(url: string): Promise<number[]> {
  return (await liveTasks(url)).map((t) => Number(t.id.split(".")[1]));
}

describe("a region failing in wave 2", () => {
  it.each([
    ["abort", { "us-east": "deployed", "eu-west": "rolled_back", "ap-south": "not_started" }, [2, 1, 1]],
    [
      "rollback_all",
      { "us-east": "reverted", "eu-west": "rolled_back", "ap-south": "not_started" },
      [3, 1, 1],
    ],
    ["continue", { "us-east": "deployed", "eu-west": "rolled_back", "ap-south": "deployed" }, [2, 1, 2]],
  ] as const)(
    "on_failure: %s",
    async (policy, outcomes, releases) => {
      const { h, clusters } = await threeRegions();
      // Release 1 everywhere at once, then release 2 one region per wave, broken in eu-west only.
      const v1 = writeRegionalApp(h.cwd, { version: "1", waves: "[[us-east, eu-west, ap-south]]" });
      expect((await titan(["deploy", "-f", v1, "--yes"], h)).code).toBe(0);
      const v2 = writeRegionalApp(h.cwd, {
        version: "2",
        waves: ONE_BY_ONE,
        regions: BROKEN_WEST,
        onFailure: policy,
      });
      const run = await titan(["deploy", "-f", v2, "--yes", "--json"], h);
      expect(run.code, run.stderr).toBe(5);
      expect(run.stderr).toContain("deploy failed and was rolled back: us-east");
      const list = events(run.stdout);
      const done = list.find((e) => e.type === "rollout_done") as unknown as {
        regions: Array<{ region: string; outcome: string }>;
      };
      expect(Object.fromEntries(done.regions.map((r) => [r.region, r.outcome]))).toEqual(outcomes);
      expect(list.filter((e) => e.type === "wave").map((e) => e.regions)).toEqual(
        policy === "continue" ? [["us-east"], ["eu-west"], ["ap-south"]] : [["us-east"], ["eu-west"]],
      );
      if (policy === "rollback_all")
        expect(list.find((e) => e.type === "rollback_regions")).toMatchObject({ regions: ["us-east"] });
      else expect(list.some((e) => e.type === "rollback_regions")).toBe(false);
      expect(await releaseRunning(clusters["us-east"].url)).toEqual([releases[0]]);
      expect(await releaseRunning(clusters["eu-west"].url)).toEqual([releases[1]]);
      expect(await releaseRunning(clusters["ap-south"].url)).toEqual([releases[2]]);
    },
    90_000,
  );
});

describe("a region that cannot be reached", () => {
  it("refuses the deploy, and --skip-region deploys the others and records that the region lags", async () => {
    const { h, clusters } = await threeRegions();
    const v1 = writeRegionalApp(h.cwd, { version: "1", waves: "[[us-east, eu-west, ap-south]]" });
    expect((await titan(["deploy", "-f", v1, "--yes"], h)).code).toBe(0);
    await clusters["ap-south"].stop();
    const v2 = writeRegionalApp(h.cwd, { version: "2", waves: "[[us-east, eu-west, ap-south]]" });

    const plan = await titan(["plan", "-f", v2], h);
    expect(plan.code).toBe(9);
    expect(plan.stdout).toMatch(/^ap-south\s+ap-south-cluster\s+-\s+-\s+-\s+-\s+unreachable$/m);
    expect(plan.stdout).toMatch(/^us-east\s+us-east-cluster\s+\+0\s+~1\s+-0\s+=0\s+changes$/m);
    expect(plan.stdout).toContain("region ap-south (cluster ap-south-cluster) could not be reached");

    const refused = await titan(["deploy", "-f", v2, "--yes"], h);
    expect(refused.code).toBe(9);
    expect(refused.stderr).toMatch(/region ap-south cannot be reached .*; nothing was deployed/);
    expect(refused.stderr).toContain("--skip-region ap-south");
    expect(await releaseRunning(clusters["us-east"].url)).toEqual([1]);

    const skipped = await titan(["deploy", "-f", v2, "--yes", "--json", "--skip-region", "ap-south"], h);
    expect(skipped.code, skipped.stderr).toBe(0);
    const done = events(skipped.stdout).find((e) => e.type === "rollout_done");
    expect(done?.regions).toEqual([
      { region: "us-east", outcome: "deployed" },
      { region: "eu-west", outcome: "deployed" },
      { region: "ap-south", outcome: "skipped" },
    ]);
    expect(await releaseRunning(clusters["eu-west"].url)).toEqual([2]);
    const releases = await titan(["releases", "web", "--region", "us-east", "--json"], h);
    expect(JSON.parse(releases.stdout).releases.at(-1)).toMatchObject({ number: 2, lagging: ["ap-south"] });

    // status and ps say which region lags, and that it cannot be read now.
    const status = await runCli(["status", "web"], { env: h.vars, cwd: h.cwd });
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/^ap-south: unavailable: /m);
    // us-east and eu-west deploy in one wave, at once: the lag names whichever recorded the skip first.
    expect(status.stdout).toMatch(/lagging: web in ap-south lags release 2 of (us-east|eu-west) /);
    const ps = await runCli(["ps"], { env: h.vars, cwd: h.cwd });
    expect(ps.stdout).toMatch(
      /region ap-south · [^\n]*\n {2}lagging: web in ap-south lags release 2 of (us-east|eu-west) /,
    );
    expect(ps.stdout).toMatch(/region us-east · [^\n]*\n\nweb {2}desired 1 {2}running 1 {2}healthy 1/);
  }, 90_000);
});

describe("a rollout while another deploy holds the app's lock in one of its regions", () => {
  it("is refused before its first wave, naming the region and the holder", async () => {
    const { h, clusters } = await threeRegions();
    const v1 = writeRegionalApp(h.cwd, { version: "1", waves: "[[us-east, eu-west, ap-south]]" });
    expect((await titan(["deploy", "-f", v1, "--yes"], h)).code).toBe(0);
    const v2 = writeRegionalApp(h.cwd, { version: "2", regions: BROKEN_WEST });
    // A teammate's deploy of eu-west alone, holding its lock until its release fails.
    const holder = new AbortController();
    const teammate = titan(["deploy", "-f", v2, "--region", "eu-west", "--yes"], {
      ...h,
      signal: holder.signal,
    });
    for (let i = 0; i < 1000; i++) {
      if ((await releaseRunning(clusters["eu-west"].url)).includes(2)) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const rollout = await titan(["deploy", "-f", v2, "--yes"], h);
    holder.abort();
    await teammate;
    expect(rollout.code, rollout.stderr).toBe(1);
    expect(rollout.stderr).toMatch(/error: app web is locked in eu-west by \S+@\S+ \(pid \d+, deploy/);
    expect(rollout.stderr).toContain("--force-unlock");
    expect(await releaseRunning(clusters["us-east"].url)).toEqual([1]);
    const releases = await titan(["releases", "web", "--region", "us-east", "--json"], h);
    expect(JSON.parse(releases.stdout).releases).toHaveLength(1);
  }, 60_000);
});

describe("a rollout that takes over a stale lock in one of its regions", () => {
  it("names the region in the warning, as in its progress lines", async () => {
    const { h } = await threeRegions();
    // A deploy on another machine that died holding eu-west's lock: its lease ran out a minute ago.
    const store = new FileStateStore(
      pathToFileURL(join(h.vars.XDG_DATA_HOME ?? "", "titan", "state", "eu-west-cluster")).href,
      { clock: { now: () => Date.now() - 60_000 }, hostname: "ci-7" },
    );
    await store.acquireLock("web", { user: "bo", host: "ci-7", pid: 9, purpose: "deploy web" }, 1000);
    const app = writeRegionalApp(h.cwd, { version: "1", waves: "[[us-east, eu-west, ap-south]]" });
    const rollout = await titan(["deploy", "-f", app, "--yes"], h);
    expect(rollout.code, rollout.stderr).toBe(0);
    expect(rollout.stderr).toMatch(
      /^warning: eu-west: took over the deploy lock of web from bo@ci-7 \(pid 9, deploy web, for \d+s\): its lease expired \d+s ago$/m,
    );
  }, 60_000);
});

/** Release 1 in every region, then a rollout of release 2 one region per wave, soaking after us-east. */
async function soakingAfterWaveOne() {
  const { h, clusters } = await threeRegions();
  const v1 = writeRegionalApp(h.cwd, { version: "1", waves: "[[us-east, eu-west, ap-south]]" });
  expect((await titan(["deploy", "-f", v1, "--yes"], h)).code).toBe(0);
  const v2 = writeRegionalApp(h.cwd, { version: "2", waves: ONE_BY_ONE, soak: "8s" });
  const rollout = titanProcess(["deploy", "-f", v2, "--yes", "--json"], h);
  for (let i = 0; i < 2000 && !rollout.stdout().includes('"type":"soak"'); i++)
    await new Promise((r) => setTimeout(r, 10));
  expect(rollout.stdout()).toContain('"type":"soak"');
  return { h, clusters, rollout };
}

describe("a teammate's deploy of a region while the rollout soaks before it", () => {
  it("stops the rollout at that region instead of undoing the teammate's release", async () => {
    const { h, clusters, rollout } = await soakingAfterWaveOne();
    // Meanwhile a teammate deploys another spec to eu-west alone.
    mkdirSync(join(h.cwd, "teammate"));
    const v3 = writeRegionalApp(join(h.cwd, "teammate"), { version: "3", waves: ONE_BY_ONE });
    const teammate = await titan(["deploy", "-f", v3, "--region", "eu-west", "--yes"], h);
    expect(teammate.code, teammate.stderr).toBe(0);
    expect(await rollout.exit).toBe(6);
    expect(rollout.stderr()).toContain("deploy failed: us-east deployed, eu-west failed");
    expect(rollout.stdout()).toMatch(
      /"region":"eu-west","outcome":"failed","reason":"web changed in eu-west after this plan was made \(release 2, deployed, by \S+, `titan deploy -f \S+ --region eu-west`\)"/,
    );
    expect(await releaseRunning(clusters["eu-west"].url)).toEqual([2]);
    expect(await releaseRunning(clusters["ap-south"].url)).toEqual([1]);
  }, 60_000);
});

describe("a teammate's deploy of a region the rollout already deployed, while it soaks", () => {
  it("stops the rollout before the next wave: the soak no longer vouches for the release", async () => {
    const { h, clusters, rollout } = await soakingAfterWaveOne();
    // Meanwhile a teammate deploys another spec to us-east, which wave 1 has just deployed.
    mkdirSync(join(h.cwd, "teammate"));
    const v3 = writeRegionalApp(join(h.cwd, "teammate"), { version: "3", waves: ONE_BY_ONE });
    const teammate = await titan(["deploy", "-f", v3, "--region", "us-east", "--yes"], h);
    expect(teammate.code, teammate.stderr).toBe(0);
    expect(await rollout.exit).toBe(1);
    expect(rollout.stderr()).toContain(
      "deploy stopped: us-east superseded (web changed in us-east after this rollout deployed it (release 3, deployed, by ",
    );
    expect(rollout.stderr()).toContain("eu-west not started, ap-south not started");
    const done = events(rollout.stdout()).find((e) => e.type === "rollout_done");
    expect(done?.regions).toEqual([
      {
        region: "us-east",
        outcome: "superseded",
        reason: expect.stringMatching(/^web changed in us-east after this rollout deployed it \(release 3/),
      },
      { region: "eu-west", outcome: "not_started" },
      { region: "ap-south", outcome: "not_started" },
    ]);
    expect(await releaseRunning(clusters["us-east"].url)).toEqual([3]);
    expect(await releaseRunning(clusters["eu-west"].url)).toEqual([1]);
    expect(await releaseRunning(clusters["ap-south"].url)).toEqual([1]);
  }, 60_000);
});

describe("a teammate's deploy of a region that on_failure: rollback_all then rolls back", () => {
  it("fails that region's rollback instead of undoing the teammate's release", async () => {
    const { h, clusters } = await threeRegions();
    // us-east is reached through a gate that can hold a read of its cluster's state.
    const gate = await startStateReadGate(clusters["us-east"].url);
    gates.push(gate);
    const config = join(h.vars.XDG_CONFIG_HOME ?? "", "titan", "config.yaml");
    writeFileSync(config, readFileSync(config, "utf8").replace(clusters["us-east"].url, gate.url), {
      mode: 0o600,
    });
    const v1 = writeRegionalApp(h.cwd, { version: "1", waves: "[[us-east, eu-west, ap-south]]" });
    expect((await titan(["deploy", "-f", v1, "--yes"], h)).code).toBe(0);
    const v2 = writeRegionalApp(h.cwd, {
      version: "2",
      waves: ONE_BY_ONE,
      regions: BROKEN_WEST,
      onFailure: "rollback_all",
    });
    const rollout = titan(["deploy", "-f", v2, "--yes", "--json"], h);
    // Once us-east runs release 2, its next state read is its rollback's, after eu-west failed: held there.
    const releases = join(
      h.vars.XDG_DATA_HOME ?? "",
      "titan",
      "state",
      "us-east-cluster",
      "apps",
      "web",
      "releases",
    );
    const deployed = () =>
      existsSync(join(releases, "000002.json")) &&
      JSON.parse(readFileSync(join(releases, "000002.json"), "utf8")).outcome === "deployed";
    for (let i = 0; i < 3000 && !deployed(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(deployed()).toBe(true);
    const held = gate.hold();
    await held.arrived;
    mkdirSync(join(h.cwd, "teammate"));
    const v3 = writeRegionalApp(join(h.cwd, "teammate"), { version: "3", waves: ONE_BY_ONE });
    const direct = ["--region", "us-east", "--master", clusters["us-east"].url, "--yes"];
    const teammate = await titan(["deploy", "-f", v3, ...direct], h);
    expect(teammate.code, teammate.stderr).toBe(0);
    held.release();

    const run = await rollout;
    expect(run.stdout).toMatch(
      /"region":"us-east","outcome":"failed","reason":"rollback: web changed in us-east after this plan was made \(release 3, deployed, by \S+, `titan deploy -f \S+ --region us-east --master \S+`\)"/,
    );
    expect(run.code, run.stderr).toBe(6);
    expect(await releaseRunning(clusters["us-east"].url)).toEqual([3]);
    expect(await releaseRunning(clusters["eu-west"].url)).toEqual([1]);
  }, 90_000);
});
