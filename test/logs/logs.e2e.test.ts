import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { STDOUT_CLOSED } from "../../src/cli/exit-codes.js";
import { runCli } from "../support/cli.js";
import { startLabelledFramework } from "../support/labelled-tasks.js";
import { startTestCluster } from "../support/local-cluster.js";
import { tempDir } from "../support/tmp.js";

const fastCluster = { master: { allocationIntervalMs: 50 } };

function isolatedEnv(): Record<string, string> {
  const dir = tempDir();
  return { TITAN_CONFIG: join(dir, "config.yaml"), XDG_DATA_HOME: join(dir, "data") };
}

/** Runs `titan logs` until its output contains `text` (a task's first lines take a moment to be written). */
async function logsUntil(argv: string[], text: string, env: Record<string, string>) {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const result = await runCli(argv, { env });
    if (result.stdout.includes(text)) return result;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`titan ${argv.join(" ")} never printed ${text}`);
}

const numbered = (prefix: string, n: number) =>
  `i=1; while [ $i -le ${n} ]; do echo ${prefix}-$i; echo ${prefix}-err-$i >&2; i=$((i+1)); done; sleep 30`;

describe("titan logs against the local cluster", () => {
  it("prints every instance's stdout and stderr, each line marked; --tail, --stdout, --stderr, APP/INSTANCE", async () => {
    const local = await startTestCluster({ agents: 2, ...fastCluster });
    const api = await startLabelledFramework(local.url, "api");
    const zero = api.launch({ instance: 0, command: numbered("zero", 5) });
    const one = api.launch({ instance: 1, command: numbered("one", 5) });
    await api.waitFor(zero);
    await api.waitFor(one);
    const env = isolatedEnv();
    const base = ["logs", "api", "--master", local.url];

    const all = await logsUntil(base, "one-err-5", env);
    await logsUntil(base, "zero-err-5", env);
    expect(all.code).toBe(0);
    const lines = (await runCli(base, { env })).stdout.trimEnd().split("\n");
    expect(lines.filter((l) => l.startsWith("api[0] "))).toHaveLength(10);
    expect(lines.filter((l) => l.startsWith("api[1] "))).toHaveLength(10);
    expect(lines[0]).toMatch(/^api\[0\] agent-\d\.local out \| zero-1$/);
    expect(lines).toContainEqual(expect.stringMatching(/^api\[0\] agent-\d\.local err \| zero-err-1$/));

    const stdout = (await runCli([...base, "--stdout"], { env })).stdout.trimEnd().split("\n");
    expect(stdout).toHaveLength(10);
    expect(stdout[0]).toMatch(/^api\[0\] agent-\d\.local \| zero-1$/);
    expect(stdout.some((l) => l.includes("err"))).toBe(false);

    const tail = await runCli([...base, "--stdout", "--tail", "2"], { env });
    expect(
      tail.stdout
        .trimEnd()
        .split("\n")
        .map((l) => l.split(" | ")[1]),
    ).toEqual(["zero-4", "zero-5", "one-4", "one-5"]);

    const stderr = await logsUntil([...base, "--stderr", "--tail", "1"], "one-err-5", env);
    expect(stderr.stdout).toMatch(
      /^api\[0\] agent-\d\.local \| zero-err-5\napi\[1\] agent-\d\.local \| one-err-5\n$/,
    );

    const both = await runCli(["logs", "api/1", "--master", local.url, "--tail", "1"], { env });
    expect(both.stdout).toMatch(
      /^api\[1\] agent-\d\.local out \| one-5\napi\[1\] agent-\d\.local err \| one-err-5\n$/,
    );
    const picked = await runCli(
      ["logs", "api/1", "--master", local.url, "--stdout", "--stderr", "--tail", "1"],
      {
        env,
      },
    );
    expect(picked.stdout).toBe(both.stdout);

    const json = await runCli(["logs", "api/0", "--master", local.url, "--stdout", "--tail", "1", "--json"], {
      env,
    });
    const record = JSON.parse(json.stdout.trim()) as Record<string, unknown>;
    expect(record).toMatchObject({
      app: "api",
      instance: 0,
      task_id: zero,
      stream: "stdout",
      line: "zero-5",
    });
    expect(String(record.host)).toMatch(/^agent-\d\.local$/);
  });

  it("reads the last lines of a large file, keeps a final partial line and survives bytes that are not UTF-8", async () => {
    const local = await startTestCluster({ agents: 1, ...fastCluster });
    const api = await startLabelledFramework(local.url, "api");
    const big =
      "i=1; while [ $i -le 20000 ]; do echo line-$i-padding-padding-padding; i=$((i+1)); done; printf 'no newline'; sleep 30";
    await api.waitFor(api.launch({ instance: 0, command: big }));
    await api.waitFor(api.launch({ instance: 1, command: "printf 'bad \\377\\376 bytes\\n'; sleep 30" }));
    const env = isolatedEnv();
    const tail = await logsUntil(["logs", "api/0", "--master", local.url, "--tail", "3"], "no newline", env);
    expect(
      tail.stdout
        .trimEnd()
        .split("\n")
        .map((l) => l.split(" | ")[1]),
    ).toEqual(["line-19999-padding-padding-padding", "line-20000-padding-padding-padding", "no newline"]);
    const whole = await runCli(["logs", "api/0", "--master", local.url], { env });
    expect(whole.stdout.trimEnd().split("\n")).toHaveLength(20001);
    const bad = await logsUntil(["logs", "api/1", "--master", local.url], "bytes", env);
    expect(bad.code).toBe(0);
    expect(bad.stdout).toContain("bad \uFFFD\uFFFD bytes");
  });

  it("reads the latest ended run of an instance, and with --since every run that ended within the window", async () => {
    const local = await startTestCluster({ agents: 1, ...fastCluster });
    const api = await startLabelledFramework(local.url, "api");
    const first = api.launch({ instance: 0, incarnation: 0, command: "echo first-run" });
    await api.waitFor(first, (s) => s === "TASK_FINISHED");
    const second = api.launch({ instance: 0, incarnation: 1, command: "echo second-run" });
    await api.waitFor(second, (s) => s === "TASK_FINISHED");
    const env = isolatedEnv();
    const latest = await logsUntil(["logs", "api", "--master", local.url], "second-run", env);
    expect(latest.stdout).not.toContain("first-run");
    const since = await runCli(["logs", "api", "--master", local.url, "--since", "10m", "--json"], { env });
    const records = since.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { task_id: string; line: string });
    expect(records.map((r) => [r.task_id, r.line])).toEqual([
      [first, "first-run"],
      [second, "second-run"],
    ]);
  });

  it("refuses an unknown app with a hint, and bad flags as usage errors", async () => {
    const local = await startTestCluster({ agents: 1, ...fastCluster });
    const env = isolatedEnv();
    const missing = await runCli(["logs", "ghost", "--master", local.url], { env });
    // An app titan knows nothing of gets the error every command gives (ps, releases, stop, status).
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('error: titan knows no app named "ghost" on this cluster');
    expect(missing.stderr).toContain("hint:");
    const following = await runCli(["logs", "ghost", "-f", "--master", local.url], { env });
    expect(following.code).toBe(2);
    expect(following.stderr).toContain('error: titan knows no app named "ghost" on this cluster');
    const target = await runCli(["logs", "api/x", "--master", local.url], { env });
    expect(target.code).toBe(2);
    const tail = await runCli(["logs", "api", "--tail", "-3", "--master", local.url], { env });
    expect(tail.code).toBe(2);
    const since = await runCli(["logs", "api", "--since", "yesterday", "--master", local.url], { env });
    expect(since.code).toBe(2);
  });

  it("--release keeps the runs of one release, --grep the lines that match; bad values are usage errors", async () => {
    const local = await startTestCluster({ agents: 2, ...fastCluster });
    const api = await startLabelledFramework(local.url, "api");
    const old = api.launch({ instance: 0, release: 1, command: numbered("old", 3) });
    const fresh = api.launch({ instance: 1, release: 2, command: numbered("new", 12) });
    await api.waitFor(old);
    await api.waitFor(fresh);
    const env = isolatedEnv();
    const base = ["logs", "api", "--master", local.url];
    await logsUntil(base, "new-err-12", env);
    await logsUntil(base, "old-err-3", env);

    const second = (await runCli([...base, "--release", "2", "--stdout"], { env })).stdout
      .trimEnd()
      .split("\n");
    expect(second).toHaveLength(12);
    expect(second.every((l) => /^api\[1\] agent-\d\.local \| new-\d+$/.test(l))).toBe(true);

    const matched = await runCli([...base, "--grep", "^(old|new)-1\\d?$"], { env });
    expect(matched.code).toBe(0);
    expect(
      matched.stdout
        .trimEnd()
        .split("\n")
        .map((l) => l.split(" | ")[1]),
    ).toEqual(["old-1", "new-1", "new-10", "new-11", "new-12"]);
    const tailed = await runCli([...base, "--stdout", "--tail", "2", "--grep", "1"], { env });
    expect(
      tailed.stdout
        .trimEnd()
        .split("\n")
        .map((l) => l.split(" | ")[1]),
    ).toEqual(["new-11", "new-12"]);

    const none = await runCli([...base, "--release", "9"], { env });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("no task of api (release 9) was found");
    const badRegex = await runCli([...base, "--grep", "(unclosed"], { env });
    expect(badRegex.code).toBe(2);
    expect(badRegex.stderr).toContain('error: --grep "(unclosed" is not a regular expression');
    const badRelease = await runCli([...base, "--release", "latest"], { env });
    expect(badRelease.code).toBe(2);
    expect(badRelease.stderr).toContain('error: --release "latest" is not a release number');
  });

  it.each([
    ["titan logs api | head -1", []],
    ["titan logs api -f | head -1", ["-f", "--tail", "300000"]],
  ])(
    "stops quietly, exit 130, when the reader of its output goes away (%s)",
    async (_, more) => {
      const local = await startTestCluster({ agents: 1, ...fastCluster });
      const api = await startLabelledFramework(local.url, "api");
      await api.waitFor(api.launch({ instance: 0, command: "seq 1 300000; sleep 30" }));
      const env = isolatedEnv();
      await logsUntil(["logs", "api", "--stdout", "--master", local.url], "| 300000", env);
      const bin = join(import.meta.dirname, "..", "..", "bin", "titan.js");
      const child = spawn(
        process.execPath,
        [bin, "logs", "api", "--stdout", ...more, "--master", local.url],
        {
          env: { ...process.env, ...env, NO_COLOR: "1" },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString("utf8");
      });
      const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      try {
        await new Promise((resolve) => child.stdout.once("data", resolve));
        child.stdout.destroy();
        expect(await exit).toBe(130);
        expect(stderr).toBe("");
      } finally {
        if (child.exitCode === null) child.kill("SIGKILL");
      }
    },
    30_000,
  );

  it.each([
    ["ends -f cleanly with exit 0 when the signal aborts (Ctrl-C)", undefined, 0],
    ["ends -f with exit 130 and no word when the reader of stdout went away", STDOUT_CLOSED, 130],
  ] as const)("%s", async (_name, reason, code) => {
    const local = await startTestCluster({ agents: 1, ...fastCluster });
    const api = await startLabelledFramework(local.url, "api");
    await api.waitFor(api.launch({ instance: 0, command: "echo hello; sleep 30" }));
    const env = isolatedEnv();
    await logsUntil(["logs", "api", "--master", local.url], "hello", env);
    const controller = new AbortController();
    const running = runCli(["logs", "api", "-f", "--master", local.url], { env, signal: controller.signal });
    setTimeout(() => controller.abort(reason), 300);
    const result = await running;
    expect(result.code).toBe(code);
    expect(result.stderr).toBe("");
  });
});

describe("help", () => {
  it.each([
    ["ps", ["--all-regions", "--watch", "--json", "--context", "--master", "--region", "Exit codes"]],
    [
      "logs",
      [
        "--follow",
        "--tail",
        "--stdout",
        "--stderr",
        "--since",
        "--release",
        "--grep",
        "--json",
        "Exit codes",
      ],
    ],
  ])("titan %s --help names its flags, examples and exit codes", async (command, words) => {
    const result = await runCli([command, "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Examples:");
    for (const word of words) expect(result.stdout).toContain(word);
  });
});
