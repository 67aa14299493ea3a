import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startTestCluster } from "../support/local-cluster.js";
import { events, FAST, home, liveTaskIds, titan } from "./harness.js";

/**
 * Instances that ignore SIGTERM, so each kill takes the whole kill_grace (then SIGKILL): three times as long as
 * progress_deadline. Stopping or scaling down is not a release that has to become healthy, so it never fails for
 * that, and never rolls back to start again what it was asked to stop.
 */
const YAML = `name: slow
shell: "trap '' TERM; while true; do sleep 1; done"
instances: 3
resources: { cpus: 0.1, mem: 32Mi }
kill_grace: 3s
update: { max_surge: 1, min_healthy_time: 200ms, healthy_deadline: 1s, progress_deadline: 1s }
`;

/** A local cluster running three instances of the app, and the CLI against it. */
async function deployed() {
  const local = await startTestCluster({ ...FAST, agents: 1 });
  const h = home();
  const m = ["--master", local.url, "--yes", "--json"];
  const file = join(h.cwd, "slow.yaml");
  writeFileSync(file, YAML);
  const first = await titan(["deploy", "-f", file, ...m], h);
  expect(first.code, first.stderr).toBe(0);
  return { local, cli: (argv: string[]) => titan([...argv, ...m], h) };
}

describe("kills that outlast progress_deadline", () => {
  it("titan stop waits for them and exits 0: no rollback starts the app again", async () => {
    const { local, cli } = await deployed();
    const stopped = await cli(["stop", "slow"]);
    expect(stopped.code, stopped.stderr).toBe(0);
    const stopping = events(stopped.stdout);
    expect(stopping.filter((e) => e.type === "launch")).toEqual([]);
    expect(stopping.find((e) => e.type === "done")).toMatchObject({ outcome: "deployed", release: 2 });
    expect(await liveTaskIds(local.url, "slow")).toEqual([]);
  }, 60_000);

  it("titan scale to fewer instances waits for the surplus ones and exits 0, launching nothing", async () => {
    const { local, cli } = await deployed();
    const scaled = await cli(["scale", "slow", "1"]);
    expect(scaled.code, scaled.stderr).toBe(0);
    const scaling = events(scaled.stdout);
    expect(scaling.filter((e) => e.type === "launch")).toEqual([]);
    expect(scaling.find((e) => e.type === "done")).toMatchObject({ outcome: "deployed", release: 2 });
    expect(await liveTaskIds(local.url, "slow")).toHaveLength(1);
  }, 60_000);
});
