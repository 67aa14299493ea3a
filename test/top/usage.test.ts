import { Chalk } from "chalk";
import { describe, expect, it } from "vitest";
import type { TitanTask } from "../../src/cluster/types.js";
import { cpuRate, instanceUsage, renderUsage, totals, usageToJson } from "../../src/observe/usage.js";
import { runningTask } from "../support/engine-fixtures.js";

const plain = new Chalk({ level: 0 });

function task(instance: number, hostname = `agent-${instance}.local`): TitanTask {
  return { ...runningTask(instance, `a${instance}`), hostname };
}

const MIB = 1024 * 1024;

describe("cpu and memory from an agent's container samples", () => {
  it("is the cpu time's growth over the agent's clock between the samples", () => {
    const first = { timestamp: 100, cpus_user_time_secs: 1.5, cpus_system_time_secs: 0.5 };
    const second = { timestamp: 102, cpus_user_time_secs: 2.2, cpus_system_time_secs: 0.6 };
    expect(cpuRate(first, second)).toBeCloseTo(0.4, 10);
    // A container that restarted between the samples, samples out of order, or no cpu times: no rate.
    expect(cpuRate(second, { ...first, timestamp: 103 })).toBeUndefined();
    expect(cpuRate(second, first)).toBeUndefined();
    expect(cpuRate({ timestamp: 1 }, { timestamp: 2 })).toBeUndefined();
  });

  it("takes memory and limits from the later sample and sums an app over the instances that have figures", () => {
    const a = instanceUsage(task(0), {
      first: { timestamp: 10, cpus_user_time_secs: 1 },
      second: {
        timestamp: 11,
        cpus_user_time_secs: 1.25,
        cpus_soft_limit: 0.6,
        mem_rss_bytes: 48 * MIB,
        mem_limit_bytes: 96 * MIB,
        mem_soft_limit_bytes: 96 * MIB,
        processes: 2,
      },
    });
    expect(a).toEqual({
      instance: 0,
      taskId: "web.1.0.1",
      host: "agent-0.local",
      cpus: 0.25,
      cpusAllocated: 0.6,
      memRssBytes: 48 * MIB,
      memLimitBytes: 96 * MIB,
      processes: 2,
    });
    const b = instanceUsage(task(1), { problem: "agent agent-1.local did not answer: connection refused" });
    const app = { app: "web", instances: [a, b] };
    expect(totals(app)).toEqual({
      cpus: 0.25,
      cpusAllocated: 0.6,
      memRssBytes: 48 * MIB,
      memLimitBytes: 96 * MIB,
      measured: 1,
    });

    const section = { context: "local", cluster: "local", master: "http://m", intervalMs: 1000, apps: [app] };
    expect(renderUsage([section], plain).join("\n")).toBe(
      [
        "context local · cluster local · http://m · cpu over 1s",
        "",
        "web  2 instances  cpu 0.25 of 0.60 (42%)  mem 48.0 MiB of 96.0 MiB (50%)",
        "  INSTANCE  TASK       HOST           CPU                 MEM",
        "  0         web.1.0.1  agent-0.local  0.25 of 0.60 (42%)  48.0 MiB of 96.0 MiB (50%)",
        "  1         web.1.1.1  agent-1.local  -                   agent agent-1.local did not answer: connection refused",
      ].join("\n"),
    );
    expect(usageToJson([section])).toEqual({
      sections: [
        {
          context: "local",
          cluster: "local",
          master: "http://m",
          interval_ms: 1000,
          recovering_agents: 0,
          apps: [
            {
              app: "web",
              cpus: 0.25,
              cpus_allocated: 0.6,
              mem_rss_bytes: 48 * MIB,
              mem_limit_bytes: 96 * MIB,
              measured: 1,
              instances: [
                {
                  instance: 0,
                  task: "web.1.0.1",
                  host: "agent-0.local",
                  cpus: 0.25,
                  cpus_allocated: 0.6,
                  mem_rss_bytes: 48 * MIB,
                  mem_limit_bytes: 96 * MIB,
                  processes: 2,
                },
                {
                  instance: 1,
                  task: "web.1.1.1",
                  host: "agent-1.local",
                  problem: "agent agent-1.local did not answer: connection refused",
                },
              ],
            },
          ],
        },
      ],
    });
  });

  it("names a hard cpu cap beside the allocation when the task sets one, and takes the request for memory", () => {
    const capped = instanceUsage(task(0), {
      first: { timestamp: 0, cpus_user_time_secs: 0 },
      second: {
        timestamp: 1,
        cpus_user_time_secs: 0.5,
        cpus_soft_limit: 0.6,
        cpus_limit: 1.1,
        mem_rss_bytes: MIB,
        mem_soft_limit_bytes: 96 * MIB,
      },
    });
    expect(capped).toMatchObject({ cpus: 0.5, cpusAllocated: 0.6, cpusLimit: 1.1, memLimitBytes: 96 * MIB });
    const section = {
      context: "c",
      cluster: "c",
      master: "m",
      intervalMs: 1000,
      apps: [{ app: "web", instances: [capped] }],
    };
    expect(renderUsage([section], plain).join("\n")).toContain("0.50 of 0.60 (83%), limit 1.10");
  });

  it("has memory but no rate for a container its agent reported once (new to a watch)", () => {
    const fresh = instanceUsage(task(0), {
      second: { timestamp: 5, cpus_user_time_secs: 3, mem_rss_bytes: MIB },
    });
    expect(fresh.cpus).toBeUndefined();
    expect(fresh.memRssBytes).toBe(MIB);
    expect(fresh.problem).toBeUndefined();
  });

  it("shows a host name from the cluster as text, never as a terminal control", () => {
    const usage = instanceUsage(task(0, "evil\x1b[2Jhost"), { problem: "x" });
    const section = {
      context: "c",
      cluster: "c",
      master: "m",
      intervalMs: 500,
      apps: [{ app: "web", instances: [usage] }],
    };
    const text = renderUsage([section], plain).join("\n");
    expect(text).not.toContain("\x1b[2J");
    expect(text).toContain("cpu over 0.5s");
  });
});
