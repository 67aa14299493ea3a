import { describe, expect, it } from "vitest";
import { startTestCluster } from "../support/local-cluster.js";
import { events, FAST, home, liveTasks, titan, writeWebApp } from "./harness.js";

async function setQuota(url: string, role: string, cpus: number, kind = "limits"): Promise<void> {
  const response = await fetch(`${url}/api/v1`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      type: "UPDATE_QUOTA",
      update_quota: { quota_configs: [{ role, [kind]: { cpus: { value: cpus } } }] },
    }),
  });
  if (response.status !== 200) throw new Error(`UPDATE_QUOTA: ${response.status} ${await response.text()}`);
}

describe("a role with a quota limit", () => {
  // The default role * takes quota too (docs/quota.md; quota_handler.cpp `QuotaHandler::update` refuses only nested
  // roles), and a master enforces it on every framework of *.
  it.each(["web", "*"])(
    "gets a plan that says role %s's limit stops it, never a deploy that waits for offers the master will not make",
    async (role) => {
      // The cluster has room for all three instances; the role's limit (0.5 cpus) only for two.
      const local = await startTestCluster(FAST);
      await setQuota(local.url, role, 0.5);
      const h = home();
      const vars = role === "*" ? h.vars : { ...h.vars, TITAN_ROLE: role };
      const file = writeWebApp(h.cwd, { instances: 3, cpus: 0.2 });
      const plan = await titan(["plan", "-f", file, "--master", local.url, "--json"], { ...h, vars });
      expect(plan.code).toBe(4);
      expect(JSON.parse(plan.stdout)).toMatchObject({
        fits: false,
        quota: {
          role,
          limits: { cpus: 0.5 },
          consumed: { cpus: 0 },
          shortfall: { resource: "cpus", bound: "limit", more: 0.6, allowed: 0.5, app: "web" },
        },
      });
      const human = await titan(["plan", "-f", file, "--master", local.url], { ...h, vars });
      expect(human.stdout).toContain(`role ${role}'s quota limit of 0.5 cpus`);

      const deploy = await titan(["deploy", "-f", file, "--master", local.url, "--yes"], { ...h, vars });
      expect(deploy.code).toBe(4);
      expect(await liveTasks(local.url)).toEqual([]);
    },
    30_000,
  );

  it("replaces within the limit when the rollout stops before it starts, and not with a surge", async () => {
    const local = await startTestCluster(FAST);
    await setQuota(local.url, "web", 0.5);
    const h = home();
    const vars = { ...h.vars, TITAN_ROLE: "web" };
    const first = writeWebApp(h.cwd, { instances: 2, cpus: 0.2 });
    const deployed = await titan(["deploy", "-f", first, "--master", local.url, "--yes", "--json"], {
      ...h,
      vars,
    });
    expect(deployed.stderr).toBe("");
    expect(events(deployed.stdout).find((e) => e.type === "done")?.outcome).toBe("deployed");

    // 0.4 cpus run; a surge of one more 0.2 cpus instance would need 0.6.
    const surge = writeWebApp(h.cwd, { instances: 2, cpus: 0.2, version: "2" });
    const surgePlan = await titan(["plan", "-f", surge, "--master", local.url, "--json"], { ...h, vars });
    expect(surgePlan.code).toBe(4);
    expect(JSON.parse(surgePlan.stdout).quota.shortfall).toMatchObject({
      app: "web",
      step: 1,
      more: 0.2,
      allowed: 0.1,
    });

    const inPlace = writeWebApp(h.cwd, {
      instances: 2,
      cpus: 0.2,
      version: "2",
      maxSurge: 0,
      maxUnavailable: 1,
    });
    const replaced = await titan(["deploy", "-f", inPlace, "--master", local.url, "--yes", "--json"], {
      ...h,
      vars,
    });
    expect(replaced.stderr).toBe("");
    expect(events(replaced.stdout).find((e) => e.type === "done")?.outcome).toBe("deployed");
  }, 40_000);

  it("under another role's guarantee, plans only what the master leaves unheld, for role * too", async () => {
    // 12 cpus, 11.5 of them guaranteed to db (which runs nothing): the master offers everyone else 0.5.
    const local = await startTestCluster(FAST);
    await setQuota(local.url, "db", 11.5, "guarantees");
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 3, cpus: 0.2 });
    const plan = await titan(["plan", "-f", file, "--master", local.url, "--json"], h);
    expect(plan.code).toBe(4);
    expect(JSON.parse(plan.stdout).quota).toMatchObject({
      role: "*",
      headroom: { available: { cpus: 12 }, held_back: { cpus: 11.5 } },
      shortfall: { bound: "guarantees", more: 0.6, allowed: 0.5 },
    });
    // One more agent of the cluster's shape would add its 4 cpus to what the master can spare.
    expect(JSON.parse(plan.stdout).scale_out.add).toMatchObject([{ shape: { cpus: 4 }, count: 1 }]);
    const fits = writeWebApp(h.cwd, { instances: 2, cpus: 0.2 });
    const deploy = await titan(["deploy", "-f", fits, "--master", local.url, "--yes", "--json"], h);
    expect(deploy.stderr).toBe("");
    expect(events(deploy.stdout).find((e) => e.type === "done")?.outcome).toBe("deployed");
  }, 30_000);
});
