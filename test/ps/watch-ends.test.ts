import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { fakeLogsCluster } from "../support/fake-logs-cluster.js";
import { isolatedHome } from "../support/state-home.js";

const stops: AbortController[] = [];
afterEach(() => {
  for (const controller of stops.splice(0)) controller.abort();
});

describe("titan ps --watch off a terminal, a task that ends", () => {
  it("is told as how it ended (failed, lost), not as a row no longer reported", async () => {
    const cluster = await fakeLogsCluster([
      { app: "web", instance: 0, agent: "agent-1" },
      { app: "web", instance: 1, agent: "agent-1" },
      { app: "web", instance: 2, agent: "agent-1" },
    ]);
    const controller = new AbortController();
    stops.push(controller);
    const { env } = isolatedHome();
    const watching = runCli(["ps", "--watch", "--interval", "100ms", "--master", cluster.master.url], {
      env,
      signal: controller.signal,
    });
    const polls = async (n: number) => {
      for (let i = 0; i < 400 && cluster.master.requests.length < n; i += 1)
        await new Promise((r) => setTimeout(r, 25));
    };
    await polls(2);
    const [first, second, third] = cluster.runs;
    if (first === undefined || second === undefined || third === undefined) throw new Error("no runs");
    first.state = "TASK_FAILED";
    second.state = "TASK_LOST";
    // A run the master no longer lists at all is still no longer reported.
    cluster.runs = [first, second];
    const seen = cluster.master.requests.length;
    await polls(seen + 3);
    controller.abort();
    const { code, stdout } = await watching;
    expect(code).toBe(0);
    const changes = stdout.split("\n").filter((line) => /^\d{4}-/.test(line));
    expect(changes.map((line) => line.replace(/^\S+ {2}/, ""))).toEqual([
      "web[0]  running -> failed 1m ago  web.1.0.0",
      "web[1]  running -> lost 1m ago (agent removed)  web.1.1.0",
      "web[2]  no longer reported  web.1.2.0",
    ]);
  });
});
