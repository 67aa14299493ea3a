import { describe, expect, it } from "vitest";
import { gpuAgentIds, offeredWithoutGpus, wantsGpuAgents } from "../../src/deploy/gpu-agents.js";
import type { GetAgentsAgent } from "../../src/mesos/types/operator.js";
import { agent } from "../placement/builders.js";

const cluster = {
  agents: [
    agent("plain"),
    agent("gpu", { gpus: 1 }),
    agent("gpu-busy", { gpus: 0 }, {}, { total: { gpus: 2 } }),
  ],
  known: [],
};
const on = (...ids: string[]) => new Map(ids.map((id, k) => [k, { agentId: id, hostname: `${id}.example` }]));

describe("GPU_RESOURCES for a deploy", () => {
  it("is asked for by an app that asks for GPUs, or that the plan put on an agent with GPUs", () => {
    expect(wantsGpuAgents(true, undefined, undefined)).toBe(true);
    expect(wantsGpuAgents(false, on("plain"), cluster)).toBe(false);
    expect(wantsGpuAgents(false, on("plain", "gpu"), cluster)).toBe(true);
    // An agent whose GPUs are all in use is still a GPU agent to the allocator.
    expect(wantsGpuAgents(false, on("gpu-busy"), cluster)).toBe(true);
    expect(wantsGpuAgents(false, on("gpu"), undefined)).toBe(false);
  });

  it("without it, re-planning sees only the agents the master offers", () => {
    expect(offeredWithoutGpus(cluster).agents.map((a) => a.id)).toEqual(["plain"]);
  });

  it("reads which agents have GPUs from GET_AGENTS as the allocator does: from their total resources", () => {
    const entry = (id: string, gpus: number | string | undefined): GetAgentsAgent => ({
      agent_info: { hostname: id, id: { value: id } },
      active: true,
      version: "1.12.0",
      total_resources: [
        { name: "cpus", type: "SCALAR", scalar: { value: 4 } },
        ...(gpus === undefined ? [] : [{ name: "gpus", type: "SCALAR" as const, scalar: { value: gpus } }]),
      ],
    });
    expect([...gpuAgentIds([entry("a", undefined), entry("b", 1), entry("c", 0), entry("d", "2")])]).toEqual([
      "b",
      "d",
    ]);
  });
});
