import { afterEach, describe, expect, it } from "vitest";
import { home, titan } from "../deploy/harness.js";
import { startTestCluster } from "../support/local-cluster.js";
import { masterTasks, startSupervisor, stopAll, until, writeCrashableApp } from "./harness.js";

afterEach(stopAll);

const FAST = { master: { allocationIntervalMs: 100 } };
const TERMINAL = /FINISHED|FAILED|KILLED|ERROR|LOST|DROPPED|GONE/;

async function live(url: string) {
  return (await masterTasks(url)).filter((t) => t.id.startsWith("web.") && !TERMINAL.test(t.state));
}

function instanceOf(taskId: string): number {
  return Number(taskId.split(".")[2]);
}

async function runningInstances(url: string): Promise<number[]> {
  return (await live(url))
    .filter((t) => t.state === "TASK_RUNNING")
    .map((t) => instanceOf(t.id))
    .sort();
}

describe("titan supervise on the local cluster", () => {
  it("relaunches crashed instances with backoff and no duplicates, and leaves them running when it stops", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = writeCrashableApp(h.cwd, { instances: 3 });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    const supervisor = startSupervisor(["web", "--master", local.url], h);
    await supervisor.waitFor((r) => r.mode === "supervising", "supervising");
    const victim = (await live(local.url)).find((t) => instanceOf(t.id) === 1);
    expect(victim?.port).toBeDefined();
    await fetch(`http://127.0.0.1:${victim?.port}/exit`);
    const relaunch = await supervisor.waitFor((r) => r.msg === "launch", "a relaunch");
    expect(relaunch).toMatchObject({ app: "web", instance: 1, task: "web.1.1.2" });
    await until(async () => (await runningInstances(local.url)).join() === "0,1,2", "3 running instances");
    expect((await live(local.url)).map((t) => t.id).sort()).toEqual(["web.1.0.1", "web.1.1.2", "web.1.2.1"]);

    const metrics = await (await fetch(`${await supervisor.url()}/metrics`)).text();
    expect(metrics).toMatch(/^titan_supervisor_relaunches_total\{app="web"\} 1$/m);
    expect(metrics).toMatch(/^titan_supervisor_leader\{app="web"\} 1$/m);
    const health = await fetch(`${await supervisor.url()}/healthz`);
    expect(health.status).toBe(200);

    const stopped = await supervisor.stop();
    expect(stopped.code).toBe(0);
    expect(await runningInstances(local.url)).toEqual([0, 1, 2]);
    const frameworks = (await (await fetch(`${local.url}/master/frameworks`)).json()) as {
      frameworks: unknown[];
      completed_frameworks: unknown[];
    };
    expect(frameworks.completed_frameworks).toEqual([]);
  }, 60_000);
});
