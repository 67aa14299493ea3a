import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SupervisorReport } from "../../src/state/types.js";
import { ZkStateStore } from "../../src/state/zk-store.js";
import { parseZkUrl } from "../../src/state/zk-url.js";
import { startZooKeeper, type ZkEnsemble } from "../support/zookeeper.js";

let zk: ZkEnsemble;

beforeAll(async () => {
  zk = await startZooKeeper(1);
}, 90_000);

afterAll(async () => {
  await zk?.stop();
});

function open(): ZkStateStore {
  return new ZkStateStore(parseZkUrl(`zk://${zk.hosts}/titan-reports`), {
    clock: { now: () => Date.now() },
    hostname: "box",
    sessionTimeoutMs: 4000,
  });
}

const report = (id: string, over: Partial<SupervisorReport> = {}): SupervisorReport => ({
  id,
  user: "ana",
  host: "box",
  pid: 7,
  startedAt: 1,
  scope: ["web"],
  apps: [{ app: "web", mode: "standby", leader: false }],
  updatedAt: 10,
  expiresAt: 20,
  ...over,
});

describe("supervisor reports in a zk:// store", () => {
  it("keeps a report as long as its writer's session lives, and lists every live one", async () => {
    const writer = open();
    const reader = open();
    try {
      expect(await reader.supervisorReports()).toEqual([]);
      await writer.saveSupervisorReport(report("box-7-1"));
      await writer.saveSupervisorReport(report("box-7-1", { updatedAt: 30 }));
      await reader.saveSupervisorReport(report("box-8-1", { scope: "all" }));
      expect((await reader.supervisorReports()).map((r) => [r.id, r.updatedAt])).toEqual([
        ["box-7-1", 30],
        ["box-8-1", 10],
      ]);
      expect(await reader.apps()).toEqual([]);
      // A supervisor that is gone (its session closed) takes its report with it.
      await writer.close();
      expect((await reader.supervisorReports()).map((r) => r.id)).toEqual(["box-8-1"]);
      await reader.removeSupervisorReport("box-8-1");
      await reader.removeSupervisorReport("box-8-1");
      expect(await reader.supervisorReports()).toEqual([]);
    } finally {
      await writer.close();
      await reader.close();
    }
  });
});
