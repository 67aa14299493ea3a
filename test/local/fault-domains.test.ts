import { describe, expect, it } from "vitest";
import { startTestCluster } from "../support/local-cluster.js";
import { checkShape } from "../support/proto-shape.js";
import { FRAMEWORK, type Json, operator, TestScheduler } from "./scheduler-client.js";

const domain = (zone: string) => ({
  fault_domain: { region: { name: "us-east-1" }, zone: { name: zone } },
});

async function getJson(url: string): Promise<Json> {
  return (await (await fetch(url)).json()) as Json;
}

describe("fault domains, as masters and agents started with --domain have them", () => {
  it("gives every agent its zone as a fault domain, shown and offered where a real master shows and offers it", async () => {
    const c = await startTestCluster({ agents: 2, zones: ["a", "b"], region: "us-east-1" });
    try {
      // GET_AGENTS agent_info.domain (AgentInfo.domain), and no zone attribute beside it.
      const agents = await operator(c.url, { type: "GET_AGENTS" });
      expect(checkShape(agents, "mesos.v1.master.Response")).toEqual([]);
      const infos = ((agents.get_agents as Json).agents as Json[]).map((a) => a.agent_info as Json);
      expect(infos.map((i) => [i.hostname, i.domain])).toEqual([
        ["agent-1.local", domain("a")],
        ["agent-2.local", domain("b")],
      ]);
      for (const info of infos)
        expect((info.attributes as Json[]).map((a) => a.name)).toEqual(["rack", "instance_type"]);
      // MasterInfo.domain: a master must have one for agents with domains to register (master.cpp registerSlave).
      const master = await operator(c.url, { type: "GET_MASTER" });
      expect(((master.get_master as Json).master_info as Json).domain).toEqual(domain("a"));
      // The legacy endpoints (readonly_handler.cpp: the master's `domain`; common/http.cpp json(SlaveInfo)).
      const state = await getJson(`${c.url}/master/state`);
      expect(state.domain).toEqual(domain("a"));
      expect((state.slaves as Json[]).map((s) => s.domain)).toEqual([domain("a"), domain("b")]);
      expect(((await getJson(`${c.url}/master/slaves`)).slaves as Json[]).map((s) => s.domain)).toEqual([
        domain("a"),
        domain("b"),
      ]);
      // The agent's own /state (slave/http.cpp) and its v1 GET_AGENT.
      const [first] = c.cluster.agents();
      expect((await getJson(`${first?.url}/state`)).domain).toEqual(domain("a"));
      const agentInfo = await operator(`${first?.url}`, { type: "GET_AGENT" });
      expect(((agentInfo.get_agent as Json).agent_info as Json).domain).toEqual(domain("a"));
      // Offers carry their agent's domain (master.cpp Master::offer).
      const scheduler = await TestScheduler.subscribe(c.url, FRAMEWORK);
      try {
        const offers = await scheduler.offers();
        const byAgent = new Map(infos.map((i) => [String((i.id as Json).value), i.domain]));
        expect(offers.length).toBeGreaterThan(0);
        for (const offer of offers)
          expect(offer.domain).toEqual(byAgent.get(String((offer.agent_id as Json).value)));
      } finally {
        scheduler.close();
      }
    } finally {
      await c.stop();
    }
  });

  it("offers an agent of another region only to REGION_AWARE frameworks (hierarchical.cpp isRemoteSlave)", async () => {
    const c = await startTestCluster({ agents: 1, zones: ["a"], region: "us-east-1" });
    try {
      const [remote] = await c.cluster.addAgents({
        count: 1,
        resources: { cpus: 2, mem: 1024, disk: 0, gpus: 0 },
        region: "eu-west-1",
        zone: "x",
      });
      const offeredAgents = async (capabilities: string[]) => {
        const scheduler = await TestScheduler.subscribe(c.url, {
          ...FRAMEWORK,
          capabilities: capabilities.map((type) => ({ type })),
        });
        try {
          const offers = await scheduler.offers();
          return offers.map((o) => [(o.agent_id as Json).value, o.domain]).sort();
        } finally {
          scheduler.close();
        }
      };
      const [local] = c.cluster.agents();
      expect(await offeredAgents(["MULTI_ROLE"])).toEqual([[local?.id, domain("a")]]);
      expect(await offeredAgents(["MULTI_ROLE", "REGION_AWARE"])).toEqual(
        [
          [local?.id, domain("a")],
          [remote?.id, { fault_domain: { region: { name: "eu-west-1" }, zone: { name: "x" } } }],
        ].sort(),
      );
    } finally {
      await c.stop();
    }
  });

  it("refuses an agent with a domain on a master without one", async () => {
    const c = await startTestCluster({ agents: 1 });
    try {
      await expect(
        c.cluster.addAgents({
          count: 1,
          resources: { cpus: 1, mem: 512, disk: 0, gpus: 0 },
          region: "eu-west-1",
        }),
      ).rejects.toThrow(/need a master with a fault domain/);
      expect(c.cluster.agents()).toHaveLength(1);
    } finally {
      await c.stop();
    }
  });

  it("keeps zones as attributes, and no domain anywhere, on a cluster without a region", async () => {
    const c = await startTestCluster({ agents: 1, zones: ["a"] });
    try {
      const agents = await operator(c.url, { type: "GET_AGENTS" });
      const info = ((agents.get_agents as Json).agents as Json[])[0]?.agent_info as Json;
      expect(info.domain).toBeUndefined();
      expect((info.attributes as Json[]).map((a) => a.name)).toEqual(["zone", "rack", "instance_type"]);
      expect((await getJson(`${c.url}/master/state`)).domain).toBeUndefined();
      const scheduler = await TestScheduler.subscribe(c.url, FRAMEWORK);
      try {
        expect((await scheduler.offers())[0]?.domain).toBeUndefined();
      } finally {
        scheduler.close();
      }
    } finally {
      await c.stop();
    }
  });
});
