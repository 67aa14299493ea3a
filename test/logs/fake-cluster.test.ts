import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runLogs } from "../../src/commands/logs/run.js";
import { runCli } from "../support/cli.js";
import { testEnv } from "../support/env.js";
import { fakeAgent, fakeLogsCluster } from "../support/fake-logs-cluster.js";
import { isolatedHome, recordReleases } from "../support/state-home.js";
import { tempDir } from "../support/tmp.js";

function isolatedEnv(): Record<string, string> {
  const dir = tempDir();
  return { TITAN_CONFIG: join(dir, "config.yaml"), XDG_DATA_HOME: join(dir, "data") };
}

describe("titan logs when a run's output cannot be read", () => {
  it.each([
    ["its agent refuses connections", "cannot ask agent"],
    [
      "its agent is missing from the master's GET_AGENTS",
      "agent agent-gone is not reachable through the master",
    ],
  ])("exits 1 when %s, after printing the others", async (why, note) => {
    const good = await fakeAgent();
    const bad = await fakeAgent();
    if (why.includes("refuses")) await bad.server.close();
    const cluster = await fakeLogsCluster([
      { app: "api", instance: 0, agent: good, stdout: "zero\n" },
      { app: "api", instance: 1, agent: why.includes("missing") ? "agent-gone" : bad, stdout: "one\n" },
    ]);
    const result = await runCli(["logs", "api", "--stdout", "--master", cluster.master.url], {
      env: isolatedEnv(),
    });
    expect(result.stdout).toBe(`api[0] ${good.id} | zero\n`);
    expect(result.stderr).toContain(`titan: api[1]: ${note}`);
    expect(result.code).toBe(1);

    const one = await runCli(["logs", "api/1", "--master", cluster.master.url], { env: isolatedEnv() });
    expect(one.stdout).toBe("");
    expect(one.code).toBe(1);
  });
});

describe("titan logs without -f", () => {
  it("prints each run whole, one after another, stdout before stderr, final partial lines included", async () => {
    const agent = await fakeAgent();
    const cluster = await fakeLogsCluster([
      { app: "api", instance: 0, agent, stdout: "a\nno newline", stderr: "e\nerr no newline" },
      { app: "api", instance: 1, agent, stdout: "b\nlast" },
    ]);
    const result = await runCli(["logs", "api", "--master", cluster.master.url], { env: isolatedEnv() });
    expect(
      result.stdout
        .trimEnd()
        .split("\n")
        .map((line) => line.replace(/ agent-\d+ /, " ")),
    ).toEqual([
      "api[0] out | a",
      "api[0] out | no newline",
      "api[0] err | e",
      "api[0] err | err no newline",
      "api[1] out | b",
      "api[1] out | last",
    ]);
    expect(result.code).toBe(0);
  });
});

describe("titan logs --tail on a file of huge lines", () => {
  it("reads back at most N pieces of 1 MiB, not the whole file", async () => {
    const agent = await fakeAgent();
    const cluster = await fakeLogsCluster([
      { app: "api", instance: 0, agent, stdout: `${"a".repeat(5 * 1024 * 1024)}end` },
    ]);
    const result = await runCli(["logs", "api", "--stdout", "--tail", "1", "--master", cluster.master.url], {
      env: isolatedEnv(),
    });
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^api\[0\] agent-\d+ \| a+end$/);
    expect(lines[0]?.length).toBeLessThanOrEqual(1024 * 1024 + 20);
    const read = agent.server.requests
      .map((r) => new URL(r.path, "http://agent").searchParams)
      .filter((q) => q.get("offset") !== "-1" && q.get("length") !== null)
      .reduce((n, q) => n + Number(q.get("length")), 0);
    expect(read).toBeLessThanOrEqual(1024 * 1024);
  });
});

describe("titan logs --tail N counting the pieces of lines over 1 MiB as lines", () => {
  const MiB = 1024 * 1024;

  async function tail(stdout: string, n: number): Promise<string[]> {
    const agent = await fakeAgent();
    const cluster = await fakeLogsCluster([{ app: "api", instance: 0, agent, stdout }]);
    const result = await runCli(
      ["logs", "api", "--stdout", "--tail", String(n), "--master", cluster.master.url],
      {
        env: isolatedEnv(),
      },
    );
    expect(result.code).toBe(0);
    return result.stdout
      .trimEnd()
      .split("\n")
      .map((line) => line.replace(/^api\[0\] agent-\d+ \| /, ""));
  }

  it("prints exactly N: the long line's last piece, then the short lines", async () => {
    const lines = await tail(`${"x".repeat(MiB)}${"y".repeat(MiB / 2)}\none\ntwo\n`, 3);
    expect(lines.map((l) => (l.length > 20 ? `${l[0]}×${l.length}` : l))).toEqual([
      `y×${MiB / 2}`,
      "one",
      "two",
    ]);
  });

  it("prints exactly N after a progress bar drawn with \\r that ran past what it reads back", async () => {
    const lines = await tail(`${"progress 50%\r".repeat(270_000)}\ndone\n`, 2);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/\rprogress 50%$/);
    expect(lines[1]).toBe("done");
  });
});

describe("titan logs of an app with releases and no task", () => {
  it("prints nothing, says why in a note and exits 1, as for any known app without a task", async () => {
    const cluster = await fakeLogsCluster([]);
    const { env, dir } = isolatedHome();
    await recordReleases(dir, "big", [{ instances: 2, outcome: "failed" }]);
    await recordReleases(dir, "gone", [
      { instances: 2, outcome: "deployed" },
      { instances: 0, outcome: "deployed" },
    ]);
    const big = await runCli(["logs", "big", "--master", cluster.master.url], { env });
    expect(big.stdout).toBe("");
    expect(big.stderr).toBe(
      "titan: big has no instance to read: no release was deployed (release 1 failed: `titan releases big`)\n",
    );
    expect(big.code).toBe(1);
    // NDJSON on stdout stays pure: the note goes to stderr, and no error document is printed.
    const gone = await runCli(["logs", "gone/1", "--json", "--master", cluster.master.url], { env });
    expect(gone.stdout).toBe("");
    expect(gone.stderr).toBe(
      "titan: gone/1 has no instance to read: it is stopped (release 2 asks for no instance)\n",
    );
    expect(gone.code).toBe(1);
  });
});

describe("titan logs APP/N past the app's instances", () => {
  it("names the instances the app has, not runs that ended long ago", async () => {
    const agent = await fakeAgent();
    const cluster = await fakeLogsCluster([{ app: "api", instance: 0, agent, stdout: "zero\n" }]);
    const { env, dir } = isolatedHome();
    await recordReleases(dir, "api", [{ instances: 1, outcome: "deployed" }]);
    const result = await runCli(["logs", "api/5", "--master", cluster.master.url], { env });
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      "error: api has no instance 5: it has instance 0 only\nhint: `titan logs api` reads every instance; `titan ps api` lists them\n",
    );
    expect(result.code).toBe(2);
  });

  it("still points at --since for an instance an earlier release ran", async () => {
    const agent = await fakeAgent();
    const cluster = await fakeLogsCluster([{ app: "api", instance: 0, agent, stdout: "zero\n" }]);
    const { env, dir } = isolatedHome();
    await recordReleases(dir, "api", [
      { instances: 3, outcome: "deployed" },
      { instances: 1, outcome: "deployed" },
    ]);
    const result = await runCli(["logs", "api/2", "--master", cluster.master.url], { env });
    expect(result.stderr).toContain("no task of api/2 was found");
    expect(result.stderr).toContain("(try --since)");
    expect(result.code).toBe(1);
  });
});

describe("titan logs -f of an instance or a release the app never had", () => {
  /** Runs `logs` with a safety stop: a follow that waits instead of ending is stopped after 3 s (exit 0). */
  async function logsWithin(argv: readonly string[], env: Record<string, string>) {
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), 3000);
    try {
      return await runCli(argv, { env, signal: stop.signal });
    } finally {
      clearTimeout(timer);
    }
  }

  it("ends as without -f: exit 2 naming the instances, or the releases, it has", async () => {
    const agent = await fakeAgent();
    const cluster = await fakeLogsCluster([{ app: "api", instance: 0, agent, stdout: "zero\n" }]);
    const { env, dir } = isolatedHome();
    await recordReleases(dir, "api", [{ instances: 1, outcome: "deployed" }]);
    for (const follow of [[], ["-f"]]) {
      const instance = await logsWithin(["logs", "api/5", ...follow, "--master", cluster.master.url], env);
      expect(instance.stderr).toBe(
        "error: api has no instance 5: it has instance 0 only\nhint: `titan logs api` reads every instance; `titan ps api` lists them\n",
      );
      expect(instance.code).toBe(2);
      const release = await logsWithin(
        ["logs", "api", "--release", "9", ...follow, "--master", cluster.master.url],
        env,
      );
      expect(release.stdout).toBe("");
      expect(release.stderr).toBe(
        "error: api has no release 9: it has release 1 only\nhint: `titan releases api` lists them\n",
      );
      expect(release.code).toBe(2);
    }
  });

  it("waits for a release titan recorded whose instances have not started yet", async () => {
    const agent = await fakeAgent();
    const cluster = await fakeLogsCluster([{ app: "api", instance: 0, agent, stdout: "zero\n" }]);
    const { env, dir } = isolatedHome();
    await recordReleases(dir, "api", [
      { instances: 1, outcome: "deployed" },
      { instances: 1, outcome: "pending" },
    ]);
    const result = await logsWithin(
      ["logs", "api", "--release", "2", "-f", "--master", cluster.master.url],
      env,
    );
    expect(result.stderr).toBe(
      "titan: no instance of api (release 2) yet; waiting for one (Ctrl-C to stop)\n",
    );
    expect(result.code).toBe(0);
  });
});

describe("titan logs of a run that ended on an agent that left the cluster", () => {
  it("says the agent left, not that it cannot be read now", async () => {
    const cluster = await fakeLogsCluster([
      { app: "api", instance: 0, agent: "agent-gone", state: "TASK_GONE_BY_OPERATOR", stdout: "zero\n" },
    ]);
    const result = await runCli(["logs", "api", "--master", cluster.master.url], { env: isolatedEnv() });
    expect(result.stderr).toBe(
      "titan: api[0]: agent agent-gone has left the cluster; the output of api.1.0.0, which ended, cannot be read any more\n",
    );
    expect(result.code).toBe(1);
  });
});

describe("titan logs of a line with terminal control in it", () => {
  const weird = "esc \u001b]0;PWNED\u0007 title \u001b[2J clear\tcol \u001b[31mred\u001b[0m\rfake";

  async function read(options: { tty: boolean; raw?: boolean; json?: boolean }) {
    const agent = await fakeAgent();
    const cluster = await fakeLogsCluster([{ app: "api", instance: 0, agent, stdout: `${weird}\n` }]);
    const t = testEnv({ tty: options.tty });
    const code = await runLogs(t.env, {
      target: "api",
      follow: false,
      stdout: true,
      stderr: false,
      allStreams: false,
      raw: options.raw === true,
      json: options.json === true,
      master: cluster.master.url,
    });
    expect(code).toBe(0);
    return t.out();
  }

  it("shows it escaped on a terminal, tabs kept, so it can neither retitle nor clear it", async () => {
    expect((await read({ tty: true })).replace(/ agent-\d+ /, " ")).toBe(
      "api[0] | esc \\x1b]0;PWNED\\x07 title \\x1b[2J clear\tcol \\x1b[31mred\\x1b[0m\\rfake\n",
    );
  });

  it("prints it exactly to a pipe, with --raw on a terminal, and in --json", async () => {
    expect(await read({ tty: false })).toMatch(
      new RegExp(`^api\\[0\\] agent-\\d+ \\| ${escapeRegExp(weird)}\\n$`),
    );
    expect(await read({ tty: true, raw: true })).toMatch(
      new RegExp(`^api\\[0\\] agent-\\d+ \\| ${escapeRegExp(weird)}\\n$`),
    );
    expect(JSON.parse(await read({ tty: true, json: true })).line).toBe(weird);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
