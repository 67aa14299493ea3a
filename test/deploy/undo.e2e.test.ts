import { describe, expect, it } from "vitest";
import { systemClock } from "../../src/cli/env.js";
import { runStop } from "../../src/commands/stop/run.js";
import { runCli } from "../support/cli.js";
import { testEnv } from "../support/env.js";
import { startTestCluster } from "../support/local-cluster.js";
import { home, titan, writeWebApp } from "./harness.js";

async function liveTasks(url: string, app: string): Promise<string[]> {
  const body = (await (await fetch(`${url}/master/tasks`)).json()) as {
    tasks: Array<{ id: string; state: string }>;
  };
  return body.tasks
    .filter((t) => t.id.startsWith(`${app}.`) && /STAGING|STARTING|RUNNING/.test(t.state))
    .map((t) => t.id)
    .sort();
}

describe("undoing a scale or a stop", () => {
  it("rollback goes to the release before the running one, even with the same spec, and says what changes", async () => {
    const local = await startTestCluster({ master: { allocationIntervalMs: 100 } });
    const h = home();
    const m = ["--master", local.url, "--yes"];
    const file = writeWebApp(h.cwd, { instances: 2 });
    expect((await titan(["deploy", "-f", file, ...m], h)).code).toBe(0);
    expect((await titan(["scale", "web", "3", ...m], h)).code).toBe(0);
    expect(await liveTasks(local.url, "web")).toHaveLength(3);

    const undoScale = await titan(["rollback", "web", ...m], h);
    expect(undoScale.code).toBe(0);
    expect(undoScale.stdout).toMatch(
      /Rollback of web from release 2 \(3 instances, command, spec \w+\) to release 1 \(2 instances, command, spec \w+\)/,
    );
    expect(undoScale.stdout).toMatch(/→ 2 instances/);
    expect(await liveTasks(local.url, "web")).toHaveLength(2);

    expect((await titan(["stop", "web", ...m], h)).code).toBe(0);
    expect(await liveTasks(local.url, "web")).toEqual([]);
    const undoStop = await titan(["rollback", "web", ...m], h);
    expect(undoStop.code).toBe(0);
    expect(undoStop.stdout).toContain("from release 4 (0 instances");
    expect(undoStop.stdout).toContain("to release 3 (2 instances");
    expect(await liveTasks(local.url, "web")).toHaveLength(2);
  }, 90_000);

  it("stops several apps at once, and a purged app is gone from ps", async () => {
    const local = await startTestCluster({ master: { allocationIntervalMs: 100 } });
    const h = home();
    const m = ["--master", local.url, "--yes"];
    const web = writeWebApp(h.cwd, { name: "web", instances: 1 });
    expect((await titan(["deploy", "-f", web, ...m], h)).code).toBe(0);
    const ticker = writeWebApp(h.cwd, { name: "ticker", instances: 1 });
    expect((await titan(["deploy", "-f", ticker, ...m], h)).code).toBe(0);

    const stopped = await titan(["stop", "web", "ticker", "--purge", ...m], h);
    expect(stopped.code).toBe(0);
    expect(await liveTasks(local.url, "web")).toEqual([]);
    expect(await liveTasks(local.url, "ticker")).toEqual([]);

    const all = await runCli(["ps", "--all", "--master", local.url], { env: h.vars, cwd: h.cwd });
    expect(all.code).toBe(0);
    expect(all.stdout).not.toMatch(/^(web|ticker) /m);
    const named = await runCli(["ps", "web", "--master", local.url], { env: h.vars, cwd: h.cwd });
    expect(named.code).toBe(2);
    expect(named.stderr).toContain('titan knows no app named "web"');
  }, 90_000);

  it("a declined confirmation changes nothing and exits 0", async () => {
    const local = await startTestCluster({ master: { allocationIntervalMs: 100 } });
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 1 });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    const before = await liveTasks(local.url, "web");

    const t = testEnv({ tty: true, vars: h.vars, answers: [{ match: "Stop web", answer: false }] });
    const code = await runStop({ ...t.env, clock: systemClock }, ["web"], {
      master: local.url,
      json: false,
      yes: false,
      adopt: false,
      forceUnlock: false,
      autoRollback: true,
      dryRun: false,
    });
    expect(code).toBe(0);
    expect(t.err()).toContain("Nothing changed: the stop of web was declined.");
    expect(t.err()).not.toMatch(/error|interrupt/i);
    expect(await liveTasks(local.url, "web")).toEqual(before);
  }, 60_000);
});
