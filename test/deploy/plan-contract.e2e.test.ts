import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FRAMEWORK, type Json, TestScheduler } from "../local/scheduler-client.js";
import { testEnv } from "../support/env.js";
import { startTestCluster } from "../support/local-cluster.js";
import { dataHome, type Event, events, FAST, home, liveTasks, titan, writeWebApp } from "./harness.js";

/** The zone of each live task of the app, from the master's view of tasks and agents. */
async function zonesOfLiveTasks(url: string): Promise<string[]> {
  const slaves = (await (await fetch(`${url}/master/slaves`)).json()) as {
    slaves: Array<{
      id: string;
      attributes: Record<string, string>;
      domain?: { fault_domain: { zone: { name: string } } };
    }>;
  };
  const zoneOf = new Map(
    slaves.slaves.map((s) => [s.id, String(s.attributes.zone ?? s.domain?.fault_domain.zone.name)]),
  );
  const tasks = (await (await fetch(`${url}/master/tasks`)).json()) as {
    tasks: Array<{ id: string; slave_id: string }>;
  };
  const live = new Set((await liveTasks(url)).map((t) => t.id));
  return tasks.tasks
    .filter((t) => live.has(t.id))
    .map((t) => zoneOf.get(t.slave_id) ?? "?")
    .sort();
}

function launchHosts(list: readonly Event[]): Map<number, string> {
  return new Map(list.filter((e) => e.type === "launch").map((e) => [Number(e.instance), String(e.host)]));
}

interface PlannedLanding {
  instance: number;
  agent_id: string;
  hostname: string;
  ports: Record<string, number | null>;
}

/** Instance → where it lands and its host ports by name, as a plan's placements or a deploy's launches say. */
type Landings = Map<number, { host: string; ports: Record<string, number | null> }>;

function plannedLandings(placements: readonly PlannedLanding[]): Landings {
  return new Map(placements.map((p) => [p.instance, { host: p.hostname, ports: p.ports }]));
}

function launchedLandings(list: readonly Event[]): Landings {
  return new Map(
    list
      .filter((e) => e.type === "launch")
      .map((e) => [Number(e.instance), { host: String(e.host), ports: e.ports as Record<string, number> }]),
  );
}

/**
 * What the deploy launched, as far as the plan promised it: the plan's agent, and each port the plan names with
 * the number it promised (null: a dynamic port, chosen from the agent's offer at launch).
 */
function asPromised(planned: Landings, launched: Landings): Landings {
  return new Map(
    [...launched].map(([instance, { host, ports }]) => {
      const promised = planned.get(instance)?.ports ?? {};
      const shown = Object.fromEntries(
        Object.entries(ports).map(([name, port]) => [name, promised[name] === null ? null : port]),
      );
      return [instance, { host, ports: shown }];
    }),
  );
}

/**
 * Another framework's task holds one host port on the agent, with a sliver of cpu and memory: the cluster changes
 * in nothing a placement weighs but that port.
 */
async function holdPort(url: string, agentId: string, port: number): Promise<TestScheduler> {
  const s = await TestScheduler.subscribe(url, { ...FRAMEWORK, name: "other", roles: ["*"] });
  for (let from = 0; ; ) {
    const offers = await s.offers(from);
    from = s.events.length;
    const offer = offers.find((o) => (o.agent_id as Json).value === agentId);
    const others = offers.filter((o) => o !== offer).map((o) => o.id);
    if (others.length > 0)
      await s.call({ type: "DECLINE", decline: { offer_ids: others, filters: { refuse_seconds: 600 } } });
    if (offer === undefined) continue;
    const entry = (name: string) => (offer.resources as Json[]).find((r) => r.name === name) as Json;
    const task: Json = {
      name: "holder",
      task_id: { value: "holder" },
      agent_id: offer.agent_id,
      resources: [
        { ...entry("cpus"), scalar: { value: 0.01 } },
        { ...entry("mem"), scalar: { value: 8 } },
        { ...entry("ports"), ranges: { range: [{ begin: port, end: port }] } },
      ],
      command: { value: "sleep 600" },
    };
    await s.accept([String((offer.id as Json).value)], [task], { refuse_seconds: 600 });
    await s.update("holder", "TASK_RUNNING");
    return s;
  }
}

describe("the plan is the contract", () => {
  it("titan deploy after titan plan launches every instance on the agent the plan showed", async () => {
    const local = await startTestCluster({ ...FAST, agents: 5, zones: ["a", "b", "c"] });
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 4, constraints: "[{ balance: zone }]" });
    const plan = await titan(["plan", "-f", file, "--master", local.url, "--json"], h);
    expect(plan.code).toBe(0);
    const placements = (
      JSON.parse(plan.stdout) as { placements: Array<{ instance: number; hostname: string }> }
    ).placements;
    expect(placements).toHaveLength(4);
    const deploy = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    expect(deploy.code).toBe(0);
    const list = events(deploy.stdout);
    expect(list.filter((e) => e.type === "replan")).toEqual([]);
    expect(launchHosts(list)).toEqual(new Map(placements.map((p) => [p.instance, p.hostname])));
  }, 60_000);

  it("titan deploy after titan plan carries out every instance's agent and host ports as the plan showed them, though another framework took a port since", async () => {
    const local = await startTestCluster({ ...FAST, agents: 2 });
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 2 });
    const plan = await titan(["plan", "-f", file, "--master", local.url, "--json"], h);
    expect(plan.code, plan.stderr).toBe(0);
    const placements = (JSON.parse(plan.stdout) as { placements: PlannedLanding[] }).placements;
    expect(placements).toHaveLength(2);
    // The lowest free port of the first instance's agent: the one a launch there takes first.
    const first = placements[0] as PlannedLanding;
    const holder = await holdPort(local.url, first.agent_id, await lowestFreePort(local.url, first.agent_id));
    try {
      const deploy = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
      expect(deploy.code, deploy.stderr).toBe(0);
      const list = events(deploy.stdout);
      expect(list.filter((e) => e.type === "replan")).toEqual([]);
      const planned = plannedLandings(placements);
      expect(asPromised(planned, launchedLandings(list))).toEqual(planned);
    } finally {
      holder.close();
    }
  }, 60_000);

  it("titan deploy carries out the plan it asked to confirm, agents and host ports, though another framework took a port while it asked", async () => {
    const local = await startTestCluster({ ...FAST, agents: 2 });
    const { systemClock } = await import("../../src/cli/env.js");
    const { runDeploy } = await import("../../src/commands/deploy/run.js");
    const t = testEnv({ tty: true });
    const file = writeWebApp(t.env.cwd, { instances: 2 });
    let holder: TestScheduler | undefined;
    const asked: string[] = [];
    const prompter = {
      ...t.prompter,
      // While the plan is read, another framework's task takes the port a launch on the first agent takes first.
      async confirm(message: string): Promise<boolean> {
        asked.push(message);
        const line = events(t.out()).find((e) => e.type === "plan") as Event;
        const first = (line.plan as { placements: PlannedLanding[] }).placements[0] as PlannedLanding;
        holder = await holdPort(local.url, first.agent_id, await lowestFreePort(local.url, first.agent_id));
        return true;
      },
    };
    try {
      const code = await runDeploy(
        { ...t.env, clock: systemClock, prompter: () => prompter },
        {
          files: [file],
          master: local.url,
          yes: false,
          json: true,
          forceUnlock: false,
          autoRollback: true,
          dryRun: false,
          adopt: false,
          skipRegion: [],
          only: [],
          detach: false,
        },
      );
      expect(code, t.err()).toBe(0);
      expect(asked).toEqual(["Deploy web as planned above?"]);
      const list = events(t.out());
      const placements = ((list[0] as Event).plan as { placements: PlannedLanding[] }).placements;
      expect(list.filter((e) => e.type === "replan")).toEqual([]);
      const planned = plannedLandings(placements);
      expect(asPromised(planned, launchedLandings(list))).toEqual(planned);
    } finally {
      holder?.close();
    }
  }, 60_000);

  it("holds where zones are fault domains, not attributes: a zone-pinned app, and a hard balance through a restart", async () => {
    // A real cluster whose agents run with --domain offers each agent's zone in the offer's `domain`.
    const local = await startTestCluster({ ...FAST, agents: 3, zones: ["a", "b", "c"], region: "us-east-1" });
    const h = home();
    const pinned = writeWebApp(h.cwd, {
      name: "pinned",
      instances: 1,
      constraints: "[{ attribute: zone, equals: b }]",
    });
    const deployPinned = await titan(["deploy", "-f", pinned, "--master", local.url, "--yes", "--json"], h);
    expect(deployPinned.code, deployPinned.stderr).toBe(0);
    expect([...launchHosts(events(deployPinned.stdout)).values()]).toEqual(["agent-2.local"]);

    const file = writeWebApp(h.cwd, { instances: 3, constraints: "[{ balance: zone, hard: true }]" });
    const plan = await titan(["plan", "-f", file, "--master", local.url, "--json"], h);
    const placements = (
      JSON.parse(plan.stdout) as { placements: Array<{ instance: number; hostname: string }> }
    ).placements;
    const deploy = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(launchHosts(events(deploy.stdout))).toEqual(
      new Map(placements.map((p) => [p.instance, p.hostname])),
    );
    expect(await zonesOfLiveTasks(local.url)).toEqual(["a", "b", "c"]);
    const restart = await titan(["restart", "web", "--master", local.url, "--yes", "--json"], h);
    expect(restart.code, restart.stderr).toBe(0);
    expect(await zonesOfLiveTasks(local.url)).toEqual(["a", "b", "c"]);
  }, 90_000);

  it("never plans on an agent of another region, which the master does not offer titan", async () => {
    const local = await startTestCluster({ ...FAST, agents: 1, zones: ["a"], region: "us-east-1" });
    await local.cluster.addAgents({
      count: 1,
      resources: { cpus: 4, mem: 4096, disk: 0, gpus: 0 },
      region: "eu-west-1",
      zone: "x",
    });
    const h = home();
    // Only the remote agent is in zone x: the plan must say it does not fit rather than show it landing there.
    const remoteOnly = writeWebApp(h.cwd, {
      name: "far",
      instances: 1,
      constraints: "[{ attribute: zone, equals: x }]",
    });
    const plan = await titan(["plan", "-f", remoteOnly, "--master", local.url], h);
    expect(plan.code).toBe(4);
    expect(plan.stdout + plan.stderr).toContain(
      "agent-2.local is skipped: in region eu-west-1, remote to the master's us-east-1",
    );
    const file = writeWebApp(h.cwd, { instances: 2 });
    const deploy = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect([...launchHosts(events(deploy.stdout)).values()]).toEqual(["agent-1.local", "agent-1.local"]);
  }, 60_000);

  it("titan restart on a zone-balanced app keeps the balance, twice in a row", async () => {
    const local = await startTestCluster({ ...FAST, agents: 3, zones: ["a", "b", "c"] });
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 3, constraints: "[{ balance: zone }]" });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    expect(await zonesOfLiveTasks(local.url)).toEqual(["a", "b", "c"]);
    for (const round of [1, 2]) {
      const restart = await titan(["restart", "web", "--master", local.url, "--yes", "--json"], h);
      expect(restart.code, `restart ${round}: ${restart.stderr}`).toBe(0);
      expect(events(restart.stdout).filter((e) => e.type === "launch")).toHaveLength(3);
      expect(await zonesOfLiveTasks(local.url)).toEqual(["a", "b", "c"]);
    }
  }, 90_000);
});

/** The lowest host port of the agent no task holds, as the master reports its resources. */
async function lowestFreePort(url: string, agentId: string): Promise<number> {
  const body = (await (await fetch(`${url}/master/slaves`)).json()) as {
    slaves: Array<{ id: string; resources: { ports: string }; used_resources: { ports?: string } }>;
  };
  const agent = body.slaves.find((s) => s.id === agentId);
  const ranges = (text: string | undefined): Array<[number, number]> =>
    [...(text ?? "").matchAll(/(\d+)-(\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
  const used = ranges(agent?.used_resources.ports);
  for (const [begin, end] of ranges(agent?.resources.ports))
    for (let port = begin; port <= end; port++)
      if (!used.some(([b, e]) => b <= port && port <= e)) return port;
  throw new Error(`agent ${agentId} has no free port`);
}

/**
 * Does what a run that had nothing to launch does: as the app's framework, declines every agent's offer for
 * 120 s. Those filters outlive the subscription, as in Mesos.
 */
async function refuseEveryOfferFor120s(url: string, data: string): Promise<void> {
  const file = join(data, "titan", "state", "local", "apps", "web", "framework.json");
  const frameworkId = (JSON.parse(readFileSync(file, "utf8")) as { framework_id: string }).framework_id;
  const info = { ...FRAMEWORK, name: "titan:web", roles: ["*"], failover_timeout: 604_800 };
  const s = await TestScheduler.subscribe(url, info, frameworkId);
  try {
    await s.call({ type: "REVIVE", revive: {} });
    const refused = new Set<string>();
    for (let from = 0; refused.size < 3; ) {
      const offers = await s.offers(from);
      from = s.events.length;
      const ids = offers.map((o) => (o.id as { value: string }).value);
      for (const o of offers) refused.add((o.agent_id as { value: string }).value);
      await s.call({
        type: "DECLINE",
        decline: { offer_ids: ids.map((value) => ({ value })), filters: { refuse_seconds: 120 } },
      });
    }
  } finally {
    s.close();
  }
}

describe("a deploy after an earlier run refused offers for long", () => {
  it("starts launching at once: it revives instead of waiting out the 120 s refusal", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 2 });
    const first = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    expect(first.code).toBe(0);
    await refuseEveryOfferFor120s(local.url, dataHome(h));
    writeWebApp(h.cwd, { instances: 2, version: "2" });
    const second = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    expect(second.code).toBe(0);
    const list = events(second.stdout);
    const started = Date.parse(String(list.find((e) => e.type === "release")?.time));
    const launched = Date.parse(String(list.find((e) => e.type === "launch")?.time));
    // Far below the 120 s an unrevived framework waits; generous for a loaded machine.
    expect(launched - started).toBeLessThan(10_000);
  }, 60_000);
});

describe("a task cut off with its agent", () => {
  it("counts a task cut off with its agent as the deploy does: launched anew, its replacement kept, then nothing to do", async () => {
    const local = await startTestCluster({
      master: { allocationIntervalMs: 100, agentUnreachableAfterMs: 500 },
      agents: 3,
      zones: ["a", "b", "c"],
    });
    const h = home();
    // One instance per agent, so that losing one agent cuts off exactly one instance.
    const file = writeWebApp(h.cwd, { instances: 3, constraints: "[{ balance: zone }]" });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    const before = (await (await fetch(`${local.url}/master/tasks`)).json()) as {
      tasks: Array<{ id: string; slave_id: string }>;
    };
    const victim = before.tasks.find((t) => t.id.split(".")[2] === "1");
    expect(victim).toBeDefined();
    await local.faults.stopAgent(victim?.slave_id ?? "");
    for (let i = 0; i < 500; i++) {
      const live = await liveTasks(local.url);
      if (live.some((t) => t.id === victim?.id && t.state === "TASK_UNREACHABLE")) break;
      await new Promise((r) => setTimeout(r, 20));
    }

    type AppJson = { launch: number[]; keep: number[]; stop: number[]; unreachable: number[] };
    const planOf = async (): Promise<{
      changes: boolean;
      apps: AppJson[];
      placements: Array<{ instance: number; hostname: string }>;
    }> => {
      const plan = await titan(["plan", "-f", file, "--master", local.url, "--json"], h);
      return JSON.parse(plan.stdout);
    };
    const first = await planOf();
    expect(first.apps[0]).toMatchObject({ launch: [1], keep: [0, 2], stop: [], unreachable: [1] });
    const shown = await titan(["plan", "-f", file, "--master", local.url], h);
    expect(shown.stdout).toMatch(
      /unreachable web\[1\] on \S+ since \d{4}-\d\d-\d\d \d\d:\d\d UTC: its agent is out of contact/,
    );
    const deploy = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(launchHosts(events(deploy.stdout))).toEqual(
      new Map(first.placements.map((p) => [p.instance, p.hostname])),
    );

    // The identical spec again: the replacement stays, the unreachable task is left alone, and nothing is recorded.
    const again = await planOf();
    expect(again.changes).toBe(false);
    expect(again.apps[0]).toMatchObject({ launch: [], keep: [0, 1, 2], stop: [], unreachable: [1] });
    const releasesBefore = JSON.parse((await titan(["releases", "web", "--json"], h)).stdout).releases;
    const rerun = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(events(rerun.stdout).map((e) => e.type)).toEqual(["plan", "nothing_to_do"]);
    expect(JSON.parse((await titan(["releases", "web", "--json"], h)).stdout).releases).toEqual(
      releasesBefore,
    );
    const live = await liveTasks(local.url);
    expect(live.filter((t) => t.state === "TASK_RUNNING")).toHaveLength(3);
  }, 90_000);
});
