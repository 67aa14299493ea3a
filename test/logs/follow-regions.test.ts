/**
 * `titan logs -f` over several regions when one region's master stops answering: the runs of that region that are
 * followed are not taken as ended. Drives `follow` with a scripted finder and one fake agent.
 */
import { afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../../src/cli/env.js";
import { follow } from "../../src/commands/logs/follow.js";
import { LogPrinter } from "../../src/commands/logs/reader.js";
import type { Discovery, LogSource } from "../../src/commands/logs/sources.js";
import { AgentFiles } from "../../src/mesos/files.js";
import { HttpTransport } from "../../src/mesos/transport.js";
import { LineSplitter } from "../../src/observe/line-splitter.js";
import { testEnv } from "../support/env.js";
import { fakeAgent } from "../support/fake-logs-cluster.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe("titan logs -f when one region's master does not answer", () => {
  it("keeps following that region's runs, which its failed look did not list", async () => {
    const agent = await fakeAgent();
    const taskId = "web.1.0.0";
    agent.append(taskId, "stdout", "w-0\n");
    const [path] = agent.files.keys();
    if (path === undefined) throw new Error("no file");
    const transport = new HttpTransport();
    cleanups.push(() => transport.close());
    const source: LogSource = {
      key: `fw/${taskId}/stdout`,
      origin: { app: "web", instance: 0, taskId, host: agent.id, stream: "stdout", region: "eu" },
      agentId: agent.id,
      files: new AgentFiles(transport, new URL(agent.url)),
      path,
      splitter: new LineSplitter(),
      offset: 0,
      before: Buffer.alloc(0),
      ended: false,
      failing: false,
      agentLeft: false,
    };
    let looks = 0;
    let euAnswers = true;
    const discovery = (): Discovery => ({
      added: [],
      current: euAnswers ? new Set([`fw/${taskId}`]) : new Set(),
      recovering: new Set(),
      agents: euAnswers ? new Set([agent.id]) : new Set(),
      unanswered: euAnswers ? new Set() : new Set(["eu"]),
      selected: euAnswers ? 1 : 0,
      appKnown: true,
      unreadable: euAnswers ? 0 : 1,
    });
    const stop = new AbortController();
    cleanups.push(() => stop.abort());
    const t = testEnv({ signal: stop.signal });
    const env = { ...t.env, clock: systemClock };
    const following = follow(
      env,
      {
        discover: async () => {
          looks += 1;
          return discovery();
        },
      },
      [source],
      10,
      new LogPrinter(env, { json: false, showStream: false }),
      { minPollMs: 20, maxPollMs: 60, discoverMs: 40, readDeadlineMs: 10_000 },
    );
    const until = async (check: () => boolean, what: string) => {
      const started = Date.now();
      while (!check() && Date.now() - started < 3000) await new Promise((r) => setTimeout(r, 5));
      if (!check()) throw new Error(`never saw ${what}; stdout:\n${t.out()}`);
    };
    await until(() => t.out().includes("| w-0\n"), "the first line");
    euAnswers = false;
    const seen = looks;
    await until(() => looks >= seen + 4, "several looks that the region did not answer");
    agent.append(taskId, "stdout", "w-1\n");
    await until(() => t.out().includes("| w-1\n"), "a line written meanwhile");
    stop.abort();
    await following;
    expect(t.out()).toMatch(/^eu web\[0\] agent-\d+ \| w-0\neu web\[0\] agent-\d+ \| w-1\n$/);
  });
});
