import { describe, expect, it } from "vitest";
import type { ClusterSnapshot } from "../../src/cluster/types.js";
import { readRecoveredCluster } from "../../src/release/recovered-cluster.js";
import { testEnv } from "../support/env.js";

/** A master whose agents re-register at the fourth read; each read finds 16 s passed. */
function slowMaster(clock: { now: number }, wait?: ClusterSnapshot["reregisterWait"]) {
  let reads = 0;
  return {
    read: async (): Promise<ClusterSnapshot> => {
      reads += 1;
      clock.now += 16_000;
      const recoveringAgents = reads < 4 ? 2 : 0;
      return { agents: [], recoveringAgents, reregisterWait: wait } as unknown as ClusterSnapshot;
    },
  };
}

describe("waiting for a failed-over master's agents", () => {
  it("says so once with a hint, then again with how long it has waited every 30 s, until they re-register", async () => {
    const t = testEnv();
    const clock = { now: 1_000_000 };
    const env = { ...t.env, clock: { now: () => clock.now } };
    const snapshot = await readRecoveredCluster(env, slowMaster(clock));
    expect(snapshot.recoveringAgents).toBe(0);
    const lines = t.err().trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^waiting for the master: 2 agent\(s\) have not re-registered/);
    expect(lines[1]).toMatch(
      /^hint: agents re-register once they run and reach the master; .*; one marked gone \(MARK_AGENT_GONE\) before it re-registered stays among them until the master fails over again;/,
    );
    expect(lines[2]).toBe("still waiting for the master after 48s: 2 agent(s) have not re-registered");
  }, 20_000);

  it("says how long the master still waits for them when it tells its timeout, and names the region", async () => {
    const t = testEnv();
    const clock = { now: 1_000_000 };
    const env = { ...t.env, clock: { now: () => clock.now } };
    // Elected 100 s before the wait began, with a timeout of 10 minutes: it gives up 500 s after the wait began.
    const wait = { timeout: "10mins", timeoutMs: 600_000, endsAt: 1_000_000 + 500_000 };
    await readRecoveredCluster(env, slowMaster(clock, wait), { region: "eu-west" });
    const lines = t.err().trimEnd().split("\n");
    expect(lines[0]).toBe(
      "eu-west: waiting for the master: 2 agent(s) have not re-registered since the master failed over; it knows none of their tasks until they do (within its --agent_reregister_timeout of 10mins: it gives up on them in about 8m4s); a plan made now would launch again the instances they run",
    );
    expect(lines[2]).toBe(
      "eu-west: still waiting for the master after 48s: 2 agent(s) have not re-registered; it gives up on them in about 7m32s",
    );
  }, 20_000);
});
