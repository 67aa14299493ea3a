import { afterEach, describe, expect, it, vi } from "vitest";
import { LocalClusterStartError } from "../../src/local/background.js";
import { runCli } from "../support/cli.js";
import { home, writeWebApp } from "./harness.js";

// Stands in for starting a real local cluster (on the default port): records that a command asked for one.
const starts = vi.hoisted(() => ({ count: 0 }));
vi.mock("../../src/local/ensure.js", () => ({
  ensureLocalCluster: async () => {
    starts.count++;
    throw new LocalClusterStartError("not started in this test", "none");
  },
}));

afterEach(() => {
  starts.count = 0;
});

describe("the local context with its cluster down", () => {
  it("is started by a deploy only: other changes, and any --dry-run, say it is not running", async () => {
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 1 });
    for (const argv of [
      ["scale", "web", "2", "--yes"],
      ["stop", "web", "--yes"],
      ["restart", "web", "--yes"],
      ["rollback", "web", "--yes"],
      ["drain", "agent-1", "--yes"],
      ["scale", "web", "2", "--dry-run"],
      ["deploy", "-f", file, "--dry-run"],
    ]) {
      const result = await runCli(argv, { env: h.vars, cwd: h.cwd });
      expect(result.stderr, argv.join(" ")).toContain(
        "error: the local cluster is not running\nhint: start it with `titan local up`",
      );
      expect(result.code).toBe(1);
      expect(starts.count, argv.join(" ")).toBe(0);
    }
    const deploy = await runCli(["deploy", "-f", file, "--yes"], { env: h.vars, cwd: h.cwd });
    expect(deploy.stderr).toContain("error: not started in this test");
    expect(starts.count).toBe(1);
  });
});
