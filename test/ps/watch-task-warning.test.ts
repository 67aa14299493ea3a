import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { fakeLogsCluster } from "../support/fake-logs-cluster.js";
import { isolatedHome } from "../support/state-home.js";

const stops: AbortController[] = [];
afterEach(() => {
  for (const controller of stops.splice(0)) controller.abort();
});

/** Runs `ps --watch` with `args` for `polls` reads of the master; its stderr. */
async function watchFor(args: readonly string[], polls: number, evil = "evil"): Promise<string> {
  const cluster = await fakeLogsCluster([
    { app: "web", instance: 0, agent: "agent-1" },
    // A label titan cannot read: the task is left out with a warning.
    { app: evil, instance: -3, agent: "agent-1" },
  ]);
  const controller = new AbortController();
  stops.push(controller);
  const watching = runCli(["ps", ...args, "--watch", "--interval", "100ms", "--master", cluster.master.url], {
    env: isolatedHome().env,
    signal: controller.signal,
  });
  for (let i = 0; i < 400 && cluster.master.requests.length < polls; i += 1)
    await new Promise((r) => setTimeout(r, 25));
  controller.abort();
  const { code, stderr } = await watching;
  expect(code).toBe(0);
  return stderr;
}

describe("titan ps --watch and a task whose labels titan cannot read", () => {
  it("warns of it once, not at every poll", async () => {
    const stderr = await watchFor([], 4);
    expect(stderr.split("\n").filter((line) => line.startsWith("warning:"))).toEqual([
      'warning: task evil.1.-3.0 of evil: titan.instance is "-3"',
    ]);
  });

  it("shows the cluster's words in it as text, never as terminal control", async () => {
    const stderr = await watchFor([], 2, "evil\x1b[2J");
    expect(stderr).not.toContain("\x1b");
    expect(stderr).toContain('warning: task evil\\x1b[2J.1.-3.0 of evil\\x1b[2J: titan.instance is "-3"');
  });

  it("says nothing of it when only another app was asked about", async () => {
    expect(await watchFor(["web"], 3)).toBe("");
  });
});
