import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/cli/errors.js";
import { failoverTimeout } from "../../src/release/connect.js";
import { testEnv } from "../support/env.js";

describe("--failover-timeout", () => {
  it("defaults to 7 days and reads the flag before TITAN_FAILOVER_TIMEOUT", () => {
    expect(failoverTimeout(testEnv().env, undefined)).toBe(7 * 24 * 3_600_000);
    const { env } = testEnv({ vars: { TITAN_FAILOVER_TIMEOUT: "48h" } });
    expect(failoverTimeout(env, undefined)).toBe(48 * 3_600_000);
    expect(failoverTimeout(env, "72h")).toBe(72 * 3_600_000);
  });

  it("refuses what a Mesos master would refuse: more nanoseconds than an int64 holds", () => {
    expect(failoverTimeout(testEnv().env, "2562047h")).toBe(2_562_047 * 3_600_000);
    const refused = () => failoverTimeout(testEnv().env, "2562048h");
    expect(refused).toThrow(UsageError);
    expect(refused).toThrow('--failover-timeout "2562048h" is longer than a Mesos master accepts');
    const { env } = testEnv({ vars: { TITAN_FAILOVER_TIMEOUT: "10000000000s" } });
    expect(() => failoverTimeout(env, undefined)).toThrow(/longer than a Mesos master accepts/);
  });

  it("warns about a low one, which lets Mesos kill the app while titan is away", () => {
    const { env, err } = testEnv();
    expect(failoverTimeout(env, "1h")).toBe(3_600_000);
    expect(err()).toContain("failover timeout 1h is low");
  });
});
