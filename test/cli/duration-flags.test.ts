import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { clusterConfig } from "../../src/commands/local/config.js";
import { localPaths } from "../../src/local/control.js";
import { imageResolverFor } from "../../src/registry/index.js";
import { runCli } from "../support/cli.js";
import { testEnv } from "../support/env.js";
import { tempDir } from "../support/tmp.js";

/** A home of its own and a master nobody answers at: a flag refused up front never reaches it. */
function home(): Record<string, string> {
  const dir = tempDir();
  return {
    TITAN_CONFIG: join(dir, "config.yaml"),
    XDG_STATE_HOME: join(dir, "state"),
    XDG_DATA_HOME: join(dir, "data"),
    TITAN_MASTER: "http://127.0.0.1:9",
  };
}

/**
 * Past 2^31 ms (about 24.8 days) a node timer fires after 1 ms: `ps -w --interval 99999h` polled the master about
 * 140 times a second, `top --interval 99999h` measured over 1 ms. Every duration flag has a maximum, named when
 * it is passed. Each run is bounded: a flag that slipped through would otherwise poll or supervise until stopped.
 */
describe("a duration flag past its maximum", () => {
  it.each([
    [["ps", "--watch", "--interval", "99999h"], '--interval "99999h" is longer than 24h'],
    [["top", "--interval", "99999h"], '--interval "99999h" is longer than 24h'],
    [["status", "web", "--wait", "--timeout", "99999h"], '--timeout "99999h" is longer than 168h'],
    [["deploy", "--timeout", "99999h"], '--timeout "99999h" is longer than 168h'],
    [["scale", "web", "3", "--timeout", "99999h"], '--timeout "99999h" is longer than 168h'],
    [["drain", "agent-1", "--timeout", "99999h"], '--timeout "99999h" is longer than 168h'],
    [["supervise", "--all", "--brake-window", "99999h"], '--brake-window "99999h" is longer than 24h'],
    [
      ["supervise", "--all", "--unreachable-grace", "99999h"],
      '--unreachable-grace "99999h" is longer than 24h',
    ],
    [
      ["supervise", "--all", "--reconcile-interval", "99999h"],
      '--reconcile-interval "99999h" is longer than 24h',
    ],
  ])("titan %j is a usage error naming the maximum", async (argv, message) => {
    const result = await runCli(argv, { env: home(), cwd: tempDir(), signal: AbortSignal.timeout(3000) });
    expect(result.stderr).toContain(`error: ${message}`);
    expect(result.code).toBe(2);
  });

  it("takes the maximum itself", async () => {
    const result = await runCli(["deploy", "--timeout", "168h"], { env: home(), cwd: tempDir() });
    expect(result.stderr).toContain("titan.yaml not found");
  });

  it.each([
    [{ offerTimeout: "99999h" }, '--offer-timeout "99999h" is longer than 24h'],
    [
      { executorRegistrationTimeout: "99999h" },
      '--executor-registration-timeout "99999h" is longer than 24h',
    ],
  ])("titan local up %j is refused before a cluster starts", (flags, message) => {
    const up = { agents: "1", agentResources: "cpus:1;mem:512", zones: "a", port: "0", foreground: false };
    expect(() => clusterConfig({ ...up, ...flags }, localPaths(tempDir()))).toThrow(message);
  });

  it("TITAN_REGISTRY_TIMEOUT past a day is refused as the flags are", async () => {
    const { env } = testEnv({ vars: { TITAN_REGISTRY_TIMEOUT: "99999h" } });
    await expect(
      imageResolverFor(env, { name: "c", masters: ["http://127.0.0.1:9"], role: "*", builtin: false }),
    ).rejects.toThrow('TITAN_REGISTRY_TIMEOUT="99999h" is longer than 24h');
  });
});
