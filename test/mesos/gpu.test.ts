import { describe, expect, it } from "vitest";
import { frameworkCapabilities, frameworkInfo } from "../../src/mesos/calls.js";
import { TestScheduler } from "../local/scheduler-client.js";
import { startTestCluster } from "../support/local-cluster.js";
import { freePortRange } from "../support/ports.js";

const settings = { name: "t", user: "root", roles: ["*"], failoverTimeoutSeconds: 60, checkpoint: true };

describe("GPU_RESOURCES", () => {
  it("is asked for only by an app that needs GPUs", () => {
    expect(frameworkCapabilities(false)).not.toContain("GPU_RESOURCES");
    expect(frameworkCapabilities(true)).toContain("GPU_RESOURCES");
    expect(frameworkInfo({ ...settings, gpus: true }).capabilities).toContainEqual({ type: "GPU_RESOURCES" });
    expect(frameworkInfo(settings).capabilities).not.toContainEqual({ type: "GPU_RESOURCES" });
  });

  it("the local master offers GPU agents only to frameworks that have it", async () => {
    const local = await startTestCluster({
      agents: 1,
      agentResources: { cpus: 2, mem: 1024, disk: 100, gpus: 1, ports: [await freePortRange(10)] },
      master: { allocationIntervalMs: 50 },
    });
    const plain = await TestScheduler.subscribe(local.url, { ...frameworkInfo(settings) });
    const capable = await TestScheduler.subscribe(local.url, {
      ...frameworkInfo({ ...settings, gpus: true }),
    });
    const [offer] = await capable.offers();
    if (!offer) throw new Error("no offer");
    const resources = (offer.resources as Array<{ name: string }>).map((r) => r.name);
    expect(resources).toContain("gpus");
    // The capable framework holds the agent's offer; declining lets the allocator try again, still not `plain`.
    await capable.call({
      type: "DECLINE",
      framework_id: { value: capable.frameworkId },
      decline: { offer_ids: [offer.id], filters: { refuse_seconds: 0.05 } },
    });
    await capable.offers(1, 5000);
    expect(plain.events.filter((e) => e.type === "OFFERS")).toEqual([]);
  });
});
