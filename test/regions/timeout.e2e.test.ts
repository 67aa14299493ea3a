import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { liveTasks, titan } from "../deploy/harness.js";
import { threeRegions, writeRegionalApp } from "./harness.js";

describe("a multi-region deploy with --timeout", () => {
  it("counts it over the whole rollout: a soak longer than what is left stops at the deadline", async () => {
    const { h, clusters } = await threeRegions();
    const app = writeRegionalApp(h.cwd, {
      version: "1",
      regions: "{ us-east: 1, eu-west: 1 }",
      waves: "[[us-east], [eu-west]]",
      soak: "10m",
    });
    const run = await titan(["deploy", "-f", app, "--yes", "--timeout", "3s"], h);
    expect(run.code, run.stderr).toBe(7);
    expect(run.stderr).toContain(
      "deploy did not finish before --timeout: us-east deployed, eu-west not started",
    );
    expect(run.stderr).toMatch(/hint: re-run `titan deploy -f \S+` to continue/);
    expect((await liveTasks(clusters["us-east"].url)).map((t) => t.id)).toEqual(["web.1.0.1"]);
    expect(await liveTasks(clusters["eu-west"].url)).toEqual([]);
  }, 30_000);
});

describe("a rollout whose region times out, with on_failure: rollback_all", () => {
  it("starts no rollback once --timeout passed, and names the commands that roll each region back", async () => {
    const { h, clusters } = await threeRegions();
    const server =
      "require('http').createServer((q,s)=>{s.statusCode=process.env.BROKEN==='1'?500:200;s.end()}).listen(process.env.PORT_HTTP)";
    const manifest = (version: string, eastWest: string) => `name: web
shell: "exec node -e \\"${server}\\""
ports: [http]
regions: ${eastWest}
rollout: { waves: [[us-east], [eu-west]], on_failure: rollback_all }
resources: { cpus: 0.1, mem: 32Mi }
env: { VERSION: "${version}" }
health: { http: { port: http, path: / }, interval: 200ms, timeout: 150ms, grace: 30s, failures: 2 }
update: { min_healthy_time: 200ms, healthy_deadline: 60s, progress_deadline: 90s }
`;
    const file = join(h.cwd, "web.yaml");
    writeFileSync(file, manifest("1", "{ us-east: 1, eu-west: 1 }"));
    expect((await titan(["deploy", "-f", file, "--yes"], h)).code).toBe(0);
    // Release 2 never becomes healthy in eu-west, and its deadlines are far beyond --timeout.
    writeFileSync(file, manifest("2", '{ us-east: 1, eu-west: { instances: 1, env: { BROKEN: "1" } } }'));
    const run = await titan(["deploy", "-f", file, "--yes", "--timeout", "5s"], h);
    expect(run.code, run.stderr).toBe(7);
    expect(run.stderr).toContain(
      "deploy did not finish before --timeout: us-east timed out before rolling back (on_failure: rollback_all), eu-west timed out",
    );
    expect(run.stderr).toContain("hint: finish the rollback with `titan rollback web --region us-east`");
    // Nor is one announced.
    expect(run.stderr).not.toContain("Rolling back us-east");
    // us-east still runs release 2, and no rollback release was recorded there.
    expect((await liveTasks(clusters["us-east"].url)).map((t) => t.id)).toEqual(["web.2.0.1"]);
    const releases = await titan(["releases", "web", "--region", "us-east", "--json"], h);
    expect(JSON.parse(releases.stdout).releases).toHaveLength(2);
  }, 40_000);
});

describe("a multi-region deploy while a region's master waits for its agents", () => {
  it("counts that wait against --timeout: exit 7 naming the wait, not an unreachable region, nothing deployed", async () => {
    const { h, clusters } = await threeRegions();
    const app = writeRegionalApp(h.cwd, {
      version: "1",
      regions: "{ us-east: 1, eu-west: 1 }",
      waves: "[[us-east], [eu-west]]",
    });
    await clusters["eu-west"].faults.failoverMaster(30_000);
    const started = Date.now();
    const run = await titan(["deploy", "-f", app, "--yes", "--timeout", "2s"], h);
    expect(run.code, run.stderr).toBe(7);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(run.stderr).toContain("timed out waiting for the master: 2 agent(s) have not re-registered");
    // Which region's master, and how long it still waits for them (its --agent_reregister_timeout, 10 minutes).
    expect(run.stderr).toMatch(
      /^eu-west: waiting for the master: 2 agent\(s\) have not re-registered .*\(within its --agent_reregister_timeout of 10mins: it gives up on them in about (?:10m|9m\d+s)\)/m,
    );
    expect(run.stderr).toContain("eu-west: timed out waiting for the master");
    expect(await liveTasks(clusters["us-east"].url)).toEqual([]);
  }, 40_000);
});
