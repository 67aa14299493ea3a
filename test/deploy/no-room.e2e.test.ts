import { describe, expect, it } from "vitest";
import { until } from "../supervisor/harness.js";
import { runCli } from "../support/cli.js";
import { startTestCluster } from "../support/local-cluster.js";
import { events, FAST, home, liveTasks, titan, writeWebApp } from "./harness.js";

/** Frameworks subscribed now (a deploy that ended leaves its framework registered, disconnected). */
async function subscribed(url: string): Promise<number> {
  const res = await fetch(`${url}/master/frameworks`);
  const body = (await res.json()) as { frameworks: Array<{ connected: boolean }> };
  return body.frameworks.filter((f) => f.connected).length;
}

async function limitCpus(url: string, role: string, cpus: number): Promise<void> {
  const response = await fetch(`${url}/api/v1`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      type: "UPDATE_QUOTA",
      update_quota: { quota_configs: [{ role, limits: { cpus: { value: cpus } } }] },
    }),
  });
  if (response.status !== 200) throw new Error(`UPDATE_QUOTA: ${response.status} ${await response.text()}`);
}

describe("a deploy whose instances find no room in the offers", () => {
  it("fails saying which offers were short and by what, when the cluster shrank after the plan", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const vars = { ...h.vars, TITAN_ROLE: "web" };
    const file = writeWebApp(h.cwd, { instances: 3, cpus: 0.2 });
    // The plan sees room for all three; before any offer comes, the role is limited to 0.5 cpus (two of them).
    await local.faults.withholdOffers(true);
    const run = titan(["deploy", "-f", file, "--master", local.url, "--yes"], { ...h, vars });
    await until(async () => (await subscribed(local.url)) > 0, "the deploy's subscription");
    await limitCpus(local.url, "web", 0.5);
    await local.faults.withholdOffers(false);
    const result = await run;

    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(
      /no instance became healthy within progress_deadline 4s; instance\(s\) \d found no room: the offers of \d\d:\d\d:\d\d UTC could not hold them: cpus exhausted on \d agents?/,
    );
    expect(result.stderr).toContain("needs 0.1 cpus more");
    expect(result.stderr).toContain("hint: the cluster has less room than the plan saw: `titan plan` shows");
    expect(result.stderr).not.toContain("see why in `titan logs");
    expect(await liveTasks(local.url)).toHaveLength(2);
  }, 30_000);

  it("rolls back saying the release found no room, not that it failed its health gates", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const vars = { ...h.vars, TITAN_ROLE: "web" };
    const first = writeWebApp(h.cwd, { instances: 2, cpus: 0.2 });
    const deployed = await titan(["deploy", "-f", first, "--master", local.url, "--yes"], { ...h, vars });
    expect(deployed.code).toBe(0);
    // Release 2 surges one instance (0.6 cpus in all); a limit of 0.5 set once its plan is made leaves no room.
    const second = writeWebApp(h.cwd, { instances: 2, cpus: 0.2, version: "2" });
    await local.faults.withholdOffers(true);
    const run = titan(["deploy", "-f", second, "--master", local.url, "--yes"], { ...h, vars });
    await until(async () => (await subscribed(local.url)) > 0, "the deploy's subscription");
    await limitCpus(local.url, "web", 0.5);
    await local.faults.withholdOffers(false);
    const result = await run;

    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(
      /release 2 of web found no room in the offers \(no instance became healthy within progress_deadline 4s; instance\(s\) 0 found no room: .*cpus exhausted on \d agents?.*\) and was rolled back to release 1/,
    );
    expect(result.stderr).toContain("hint: the cluster has less room than the plan saw");
  }, 30_000);

  it("says no offer came, and why a master makes none, when it offered nothing at all", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    // Longer than the ordinary gap between offers, so that the silence says something.
    const file = writeWebApp(h.cwd, { instances: 2, healthyDeadline: "6s", progressDeadline: "6s" });
    await local.faults.withholdOffers(true);
    const result = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);

    expect(result.code).toBe(6);
    expect(result.stderr).toContain(
      "instance(s) 0, 1 found no room: no offer has come yet (a master offers nothing while no agent has resources free for the role, its quota included)",
    );
    expect(result.stderr).toContain("hint: the cluster has less room than the plan saw");
    expect(events(result.stdout).find((e) => e.type === "done")).toMatchObject({
      outcome: "failed",
      cause: "no_room",
    });
    expect(await liveTasks(local.url)).toEqual([]);
  }, 30_000);

  it("tells a teammate's titan status what the deploy waits for, while it waits", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 2, healthyDeadline: "60s", progressDeadline: "60s" });
    await local.faults.withholdOffers(true);
    const stop = new AbortController();
    const run = titan(["deploy", "-f", file, "--master", local.url, "--yes"], { ...h, signal: stop.signal });
    try {
      let line = "";
      await until(async () => {
        const status = await runCli(["status", "web", "--master", local.url], { env: h.vars, cwd: h.cwd });
        line = status.stdout;
        return line.includes("waiting for");
      }, "the deploy's wait in titan status");
      expect(line).toMatch(
        /^web {2}deploying .* · last deploy: release 1 pending \d+s ago · waiting for offers to place instance\(s\) 0 \(planned on agent-\d\.local\), 1 \(planned on agent-\d\.local\) \(offers revived\): no offer has come yet .* \(said \d+s ago\) · not supervised$/m,
      );
      const json = await runCli(["status", "web", "--master", local.url, "--json"], {
        env: h.vars,
        cwd: h.cwd,
      });
      expect(JSON.parse(json.stdout).waiting).toMatchObject({
        for: expect.stringContaining("offers to place"),
      });
    } finally {
      stop.abort();
      await run;
    }
    // An interrupted deploy waits for nothing: status no longer says it does.
    const after = await runCli(["status", "web", "--master", local.url], { env: h.vars, cwd: h.cwd });
    expect(after.stdout).not.toContain("waiting for");
  }, 40_000);
});
