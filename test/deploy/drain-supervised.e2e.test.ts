import { readFileSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../../src/cli/env.js";
import { TitanError } from "../../src/cli/errors.js";
import type { DrainOptions } from "../../src/commands/drain/command.js";
import { runDrain } from "../../src/commands/drain/run.js";
import { type Json, operator } from "../local/scheduler-client.js";
import { masterTasks, startSupervisor, stopAll, until, writeCrashableApp } from "../supervisor/harness.js";
import { runCli } from "../support/cli.js";
import { scriptedPrompter, testEnv } from "../support/env.js";
import { startTestCluster } from "../support/local-cluster.js";
import { events, FAST, home, peakLive, writeWebApp } from "./harness.js";

afterEach(stopAll);

/** The app's running tasks, by task id, with the agent each runs on. */
async function running(
  url: string,
  app: string,
): Promise<Array<{ id: string; agent: string; port?: number }>> {
  return (await masterTasks(url))
    .filter((t) => t.id.startsWith(`${app}.`) && t.state === "TASK_RUNNING")
    .map((t) => ({ id: t.id, agent: t.slave_id, ...(t.port === undefined ? {} : { port: t.port }) }));
}

/** The zone attribute of the agent. */
async function zoneOf(url: string, agentId: string): Promise<string> {
  const agents = ((await operator(url, { type: "GET_AGENTS" })).get_agents as Json).agents as Json[];
  const info = agents.map((a) => a.agent_info as Json).find((i) => (i.id as Json).value === agentId);
  const zone = ((info?.attributes ?? []) as Json[]).find((a) => a.name === "zone");
  return String(((zone?.text ?? {}) as Json).value);
}

describe("titan drain beside a titan supervise of another app", () => {
  it("keeps the supervisor's relaunch off the agents being drained: they are DRAINING before anything moves", async () => {
    const local = await startTestCluster({ ...FAST, agents: 2 });
    const h = home();
    const opts = { env: h.vars, cwd: h.cwd };
    const cli = (argv: string[]) => runCli([...argv, "--master", local.url], opts);

    // web (supervised) on one of two agents; then a larger agent, which api (kept off web's agent) opens first: the
    // one drained.
    const web = writeCrashableApp(h.cwd, { instances: 1 });
    expect((await cli(["deploy", "-f", web, "--yes"])).code).toBe(0);
    const [crashing] = await running(local.url, "web");
    const [large] = await local.cluster.addAgents({
      count: 1,
      resources: { cpus: 8, mem: 16384, disk: 0, gpus: 0 },
    });
    const victim = large?.id ?? "";
    const api = writeWebApp(h.cwd, {
      name: "api",
      instances: 1,
      healthyDeadline: "10s",
      progressDeadline: "20s",
      constraints: `[{ attribute: zone, unlike: "${await zoneOf(local.url, crashing?.agent ?? "")}" }]`,
    });
    // Its replacement counts only after a while: the drain is under way that long, the agent still up.
    writeFileSync(api, readFileSync(api, "utf8").replace("min_healthy_time: 200ms", "min_healthy_time: 4s"));
    const deployed = await cli(["deploy", "-f", api, "--yes"]);
    expect(deployed.code, deployed.stderr).toBe(0);
    expect((await running(local.url, "api")).map((t) => t.agent)).toEqual([victim]);

    const supervisor = startSupervisor(["web", "--master", local.url], h);
    await supervisor.waitFor((r) => r.mode === "supervising", "supervising");

    // The drain starts api's replacement elsewhere; the original still runs on the agent.
    const drain = cli(["drain", victim, "--yes", "--json"]);
    let ended: { code: number; stderr: string } | undefined;
    void drain.then((r) => {
      ended = r;
    });
    await until(async () => {
      if (ended !== undefined) throw new Error(`the drain ended (${ended.code}): ${ended.stderr}`);
      return (await running(local.url, "api")).length === 2;
    }, "the drain's first replacement of api");

    // web crashes now: its supervisor relaunches it while the drain runs.
    await fetch(`http://127.0.0.1:${crashing?.port}/exit`);
    const relaunch = await supervisor.waitFor((r) => r.msg === "launch", "a relaunch of web");
    await until(
      async () => (await running(local.url, "web")).some((t) => t.id === relaunch.task),
      "web relaunched",
    );
    const landed = (await running(local.url, "web")).find((t) => t.id === relaunch.task);

    const done = await drain;
    expect(done.code, done.stderr).toBe(0);
    // The relaunch went elsewhere, and the machine going down took nothing of web with it.
    expect(landed?.agent).not.toBe(victim);
    expect((await running(local.url, "web")).map((t) => t.id)).toEqual([relaunch.task]);
    expect(supervisor.records().filter((r) => r.msg === "launch")).toHaveLength(1);
    // The machines were scheduled (DRAINING) before the first move, and brought DOWN last.
    const list = events(done.stdout);
    const scheduled = list.findIndex((e) => e.type === "maintenance" && e.mode === "DRAINING");
    expect(scheduled).toBeGreaterThanOrEqual(0);
    expect(scheduled).toBeLessThan(list.findIndex((e) => e.type === "launch"));
    expect(list.at(-1)).toMatchObject({ type: "maintenance", mode: "DOWN" });
    const status = (await operator(local.url, { type: "GET_MAINTENANCE_STATUS" }))
      .get_maintenance_status as Json;
    expect(((status.status as Json).down_machines as Json[]).length).toBe(1);
  }, 90_000);

  it("moves a supervised app's instances itself, within max_surge: the supervisor steps aside for them", async () => {
    // One agent runs everything (web, supervised, two instances; api, whose move takes a while); two more join.
    const local = await startTestCluster({ ...FAST, agents: 1 });
    const h = home();
    const opts = { env: h.vars, cwd: h.cwd };
    const cli = (argv: string[]) => runCli([...argv, "--master", local.url], opts);
    const web = writeCrashableApp(h.cwd, { instances: 2 });
    expect((await cli(["deploy", "-f", web, "--yes"])).code).toBe(0);
    const api = writeWebApp(h.cwd, {
      name: "api",
      instances: 1,
      healthyDeadline: "10s",
      progressDeadline: "20s",
    });
    writeFileSync(api, readFileSync(api, "utf8").replace("min_healthy_time: 200ms", "min_healthy_time: 3s"));
    expect((await cli(["deploy", "-f", api, "--yes"])).code).toBe(0);
    const [victim] = (await running(local.url, "web")).map((t) => t.agent);
    await local.cluster.addAgents({ count: 2, resources: { cpus: 4, mem: 8192, disk: 0, gpus: 0 } });
    const supervisor = startSupervisor(["web", "--master", local.url], h);
    await supervisor.waitFor((r) => r.mode === "supervising", "supervising");

    // The drain moves api first, then web. The master asks web's framework for the agent back as soon as it is
    // scheduled; the supervisor holding it moved both instances at once, before the drain reached web.
    const done = await cli(["drain", victim ?? "", "--yes", "--json"]);
    expect(done.code, done.stderr).toBe(0);
    const list = events(done.stdout);
    expect(list.filter((e) => e.type === "launch").map((e) => e.app)).toEqual(["api", "web", "web"]);
    // The drain's own moves of web: never more than instances + max_surge tasks.
    expect(peakLive(list, "web")).toBe(3);
    expect(supervisor.records().filter((r) => r.msg === "launch" || r.msg === "evacuate")).toEqual([]);
    const after = await running(local.url, "web");
    expect(after).toHaveLength(2);
    expect(after.every((t) => t.agent !== victim)).toBe(true);
    expect(after.map((t) => t.id).sort()).toEqual(
      list
        .filter((e) => e.type === "launch" && e.app === "web")
        .map((e) => String(e.task))
        .sort(),
    );
  }, 90_000);

  it("brings no machine down with an instance launched there while it waited at its prompt: the re-run moves it", async () => {
    const local = await startTestCluster({ ...FAST, agents: 2 });
    const h = home();
    const opts = { env: h.vars, cwd: h.cwd };
    const cli = (argv: string[]) => runCli([...argv, "--master", local.url], opts);
    const web = writeCrashableApp(h.cwd, { instances: 1 });
    expect((await cli(["deploy", "-f", web, "--yes"])).code).toBe(0);
    const [crashing] = await running(local.url, "web");
    // An empty agent larger than the others: a relaunch placed on offers alone opens it first.
    const [large] = await local.cluster.addAgents({
      count: 1,
      resources: { cpus: 8, mem: 16384, disk: 0, gpus: 0 },
    });
    const victim = large?.id ?? "";
    const supervisor = startSupervisor(["web", "--master", local.url], h);
    await supervisor.waitFor((r) => r.mode === "supervising", "supervising");

    // The drain plans (nothing of titan's on the agent) and asks; meanwhile web crashes and is relaunched there,
    // before the agent is scheduled. The supervisor then stops: nothing but the drain stands between web and the
    // machine going down.
    let relaunched: string | undefined;
    const prompter = {
      ...scriptedPrompter([]),
      confirm: async () => {
        await fetch(`http://127.0.0.1:${crashing?.port}/exit`);
        const launch = await supervisor.waitFor((r) => r.msg === "launch", "a relaunch of web");
        relaunched = String(launch.task);
        await until(
          async () =>
            (await running(local.url, "web")).some((t) => t.id === relaunched && t.agent === victim),
          "web relaunched on the agent being drained",
        );
        expect((await supervisor.stop()).code).toBe(0);
        return true;
      },
    };
    const t = testEnv({ tty: true, vars: h.vars, cwd: h.cwd });
    const env = { ...t.env, clock: systemClock, prompter: () => prompter };
    const asked = await runDrain(env, { master: local.url } as DrainOptions, [victim]).then(
      (code) => ({ code, error: undefined }),
      (error: unknown) => ({ code: undefined, error }),
    );
    expect(asked.code).toBeUndefined();
    expect(asked.error).toBeInstanceOf(TitanError);
    expect((asked.error as TitanError).message).toBe(
      `web has an instance on agent-3.local that was launched after the drain planned (${relaunched}): agent-3.local stays scheduled for maintenance (DRAINING) and is not brought down`,
    );
    expect((asked.error as TitanError).hint).toBe(
      `re-run \`titan drain ${victim} --master ${local.url}\` to move it; then the machines go down`,
    );
    // Still up and DRAINING, web still running there.
    const status = (await operator(local.url, { type: "GET_MAINTENANCE_STATUS" }))
      .get_maintenance_status as Json;
    expect(((status.status as Json).draining_machines as Json[]).length).toBe(1);
    expect(await running(local.url, "web")).toMatchObject([{ id: relaunched, agent: victim }]);

    // The re-run moves web off with its gates, then brings the machine down.
    const again = await cli(["drain", victim, "--yes", "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(events(again.stdout).at(-1)).toMatchObject({ type: "maintenance", mode: "DOWN" });
    const after = await running(local.url, "web");
    expect(after).toHaveLength(1);
    expect(after[0]?.agent).not.toBe(victim);
    expect((await masterTasks(local.url)).find((t) => t.id === relaunched)?.state).toBe("TASK_KILLED");
  }, 90_000);
});
