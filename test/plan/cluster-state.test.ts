import { describe, expect, it } from "vitest";
import type { Placement, TaskRequest } from "../../src/placement/types.js";
import { SimulatedCluster } from "../../src/plan/cluster-state.js";
import { agent, scalars, titanTask } from "./builders.js";

const request = (app: string, instance: number, cpus: number, mem: number): TaskRequest => ({
  app,
  instance,
  demand: scalars(cpus, mem),
  ports: ["http"],
  constraints: [],
  strategy: "binpack",
});

const placement = (app: string, instance: number, agentN: number, port: number): Placement => ({
  app,
  instance,
  agentId: `agent-${agentN}`,
  hostname: `host-${agentN}.example.com`,
  ports: { http: port },
});

describe("SimulatedCluster", () => {
  const agents = [agent(0, scalars(1, 1024)), agent(1, scalars(4, 4096)), agent(2, scalars(2, 2048))];
  const first = [request("web", 0, 0.1, 100), request("web", 1, 0.2, 100), request("web", 2, 0.3, 300)];
  const placedFirst = [
    placement("web", 0, 0, 31000),
    placement("web", 1, 0, 31001),
    placement("web", 2, 1, 31052),
  ];
  const second = [request("api", 0, 0.7, 900), request("api", 1, 3.5, 10)];
  const placedSecond = [placement("api", 0, 0, 31002), placement("api", 1, 1, 31051)];

  it("reports usage after placing exactly as its agents show once brought up to date", () => {
    const lazy = new SimulatedCluster({ agents, running: [] });
    lazy.occupy(placedFirst, first);
    lazy.occupy(placedSecond, second);
    // Each batch is rounded on its own: 2 − 0.0004 rounds to 2, twice; the sum of both would take 0.001.
    lazy.occupy([placement("tiny", 0, 2, 31000)], [request("tiny", 0, 0.0004, 0)]);
    lazy.occupy([placement("tiny", 1, 2, 31001)], [request("tiny", 1, 0.0004, 0)]);
    const usage = lazy.usage();
    const list = lazy.agentList();
    const resources = (a: { total: unknown; free: unknown }) => ({ total: a.total, free: a.free });
    expect(usage.map(resources)).toEqual(list.map(resources));
    // 1 − (0.1 + 0.2) − 0.7 rounds per batch to 0; 4 − 0.3 − 3.5 to 0.2.
    expect(list.map((a) => a.free.cpus)).toEqual([0, 0.2, 2]);
    expect(list[0]?.freePorts).toEqual([{ begin: 31003, end: 31099 }]);
    expect(list[1]?.freePorts).toEqual([
      { begin: 31000, end: 31050 },
      { begin: 31053, end: 31099 },
    ]);
    expect(agents[0]?.free.cpus).toBe(1);
  });

  it("gives a stopped task's resources back to an agent whose placements are not taken yet", () => {
    const cluster = new SimulatedCluster({ agents, running: [] });
    cluster.occupy(placedFirst, first);
    cluster.releaseAll([titanTask("web", 2, "sha256:x", 1, scalars(0.3, 300))]);
    expect(cluster.agentList()[1]?.free).toEqual(scalars(4, 4096));
    expect(cluster.agentList()[1]?.freePorts).toEqual([{ begin: 31000, end: 31099 }]);
    expect(cluster.runningTasks().map((t) => `${t.app}[${t.instance}]`)).toEqual(["web[0]", "web[1]"]);
  });

  it("stops many tasks at once exactly as one after another", () => {
    const stops = [
      { ...titanTask("web", 0, "sha256:x", 0, scalars(0.1, 100)), ports: [31000] },
      { ...titanTask("api", 0, "sha256:x", 0, scalars(0.7, 900)), ports: [31002] },
      { ...titanTask("web", 1, "sha256:x", 0, scalars(0.2, 100)), ports: [31001] },
      { ...titanTask("web", 2, "sha256:x", 1, scalars(0.3, 300)), ports: [31052] },
      titanTask("gone", 0, "sha256:x", 9, scalars(1, 1)),
    ];
    const made = () => {
      const cluster = new SimulatedCluster({ agents, running: [] });
      cluster.occupy(placedFirst, first);
      cluster.occupy(placedSecond, second);
      return cluster;
    };
    const oneByOne = made();
    for (const task of stops) oneByOne.releaseAll([task]);
    const atOnce = made();
    atOnce.releaseAll(stops);
    expect(atOnce.agentList()).toEqual(oneByOne.agentList());
    expect(atOnce.runningTasks()).toEqual(oneByOne.runningTasks());
    // Agent 0 has every port back in one range, and only api[1] still runs on agent 1.
    expect(atOnce.agentList()[0]?.freePorts).toEqual([{ begin: 31000, end: 31099 }]);
    expect(atOnce.runningTasks().map((t) => `${t.app}[${t.instance}]`)).toEqual(["api[1]"]);
  });
});
