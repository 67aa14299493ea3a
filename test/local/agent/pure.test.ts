import { constants, realpathSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  commandLine,
  InvalidCommandError,
  withCommandEnvironment,
} from "../../../src/local/agent/command-line.js";
import { dockerImageOf, dockerRunCommand } from "../../../src/local/agent/docker.js";
import { formatFileMode } from "../../../src/local/agent/file-mode.js";
import { FilesError, jsonStringOfBytes, resolveAttached } from "../../../src/local/agent/files.js";
import {
  applyHealthResult,
  healthCheckTimings,
  INITIAL_HEALTH_STATE,
} from "../../../src/local/agent/health-policy.js";
import { flatResources, formatRanges, mergeRanges } from "../../../src/local/agent/resources.js";
import { secretResolutionFailure } from "../../../src/local/agent/secrets.js";
import { commandExecutorName } from "../../../src/local/agent/state-json.js";
import { describeWaitStatus } from "../../../src/local/agent/wait-status.js";

describe("commandLine", () => {
  it("wraps shell commands (the default) in /bin/sh -c and ignores arguments", () => {
    expect(commandLine({ value: "echo hi", arguments: ["x"] })).toEqual({
      file: "/bin/sh",
      args: ["-c", "echo hi"],
      argv0: "sh",
    });
  });

  it("execs shell=false commands with arguments as argv, argv[0] first", () => {
    expect(commandLine({ shell: false, value: "/bin/echo", arguments: ["echo", "a", "b"] })).toEqual({
      file: "/bin/echo",
      args: ["a", "b"],
      argv0: "echo",
    });
    expect(commandLine({ shell: false, value: "/bin/true" })).toEqual({
      file: "/bin/true",
      args: [],
      argv0: "/bin/true",
    });
  });

  it("refuses a command without a value", () => {
    expect(() => commandLine({})).toThrow(InvalidCommandError);
    expect(() => commandLine({ shell: false })).toThrow(InvalidCommandError);
  });

  it("overrides inherited variables with CommandInfo ones and gives VALUE secrets their bytes", () => {
    const env = withCommandEnvironment(
      { A: "inherited", B: "kept" },
      {
        variables: [
          { name: "A", value: "task" },
          { name: "S", type: "SECRET" },
          {
            name: "V",
            type: "SECRET",
            secret: { type: "VALUE", value: { data: Buffer.from("pw").toString("base64") } },
          },
          { name: "EMPTY", type: "VALUE" },
        ],
      },
    );
    expect(env).toEqual({ A: "task", B: "kept", V: "pw", EMPTY: "" });
  });

  it("fails a REFERENCE secret as Mesos' default secret resolver does", () => {
    const reference = {
      name: "S",
      type: "SECRET" as const,
      secret: { type: "REFERENCE" as const, reference: { name: "db" } },
    };
    expect(secretResolutionFailure({ variables: [{ name: "A", value: "a" }, reference] })).toBe(
      "Default secret resolver cannot resolve references",
    );
    expect(secretResolutionFailure({ variables: [{ name: "A", value: "a" }] })).toBeUndefined();
    expect(
      secretResolutionFailure({ variables: [{ name: "S", type: "SECRET", secret: { type: "VALUE" } }] }),
    ).toBe("Secret has no value");
  });
});

describe("describeWaitStatus", () => {
  it("words exits and signals as Mesos' WSTRINGIFY", () => {
    expect(describeWaitStatus(0, null)).toBe("exited with status 0");
    expect(describeWaitStatus(137, null)).toBe("exited with status 137");
    expect(describeWaitStatus(null, "SIGTERM")).toBe("terminated with signal Terminated");
    expect(describeWaitStatus(null, "SIGKILL")).toBe("terminated with signal Killed");
    expect(describeWaitStatus(null, "SIGPIPE")).toBe("terminated with signal Broken pipe");
  });
});

describe("health policy", () => {
  const timings = healthCheckTimings({
    type: "TCP",
    tcp: { port: 1 },
    grace_period_seconds: 1,
    consecutive_failures: 2,
  });

  it("fills in the proto defaults and treats a zero timeout as infinite", () => {
    expect(healthCheckTimings({ type: "TCP", tcp: { port: 1 } })).toEqual({
      delayMs: 15_000,
      intervalMs: 10_000,
      timeoutMs: 20_000,
      gracePeriodMs: 10_000,
      consecutiveFailures: 3,
    });
    expect(healthCheckTimings({ type: "TCP", tcp: { port: 1 }, timeout_seconds: 0 }).timeoutMs).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it("ignores failures inside the grace period before the first success", () => {
    const step = applyHealthResult(INITIAL_HEALTH_STATE, timings, false, 500);
    expect(step).toEqual({ state: INITIAL_HEALTH_STATE, ignored: true });
  });

  it("counts failures after the grace period and asks for a kill at consecutive_failures", () => {
    const first = applyHealthResult(INITIAL_HEALTH_STATE, timings, false, 1500);
    expect(first.verdict).toEqual({ healthy: false, killTask: false, consecutiveFailures: 1 });
    const second = applyHealthResult(first.state, timings, false, 1600);
    expect(second.verdict).toEqual({ healthy: false, killTask: true, consecutiveFailures: 2 });
  });

  it("no longer applies the grace period once a check succeeded", () => {
    const ok = applyHealthResult(INITIAL_HEALTH_STATE, timings, true, 100);
    expect(ok.verdict?.healthy).toBe(true);
    expect(applyHealthResult(ok.state, timings, false, 200).verdict?.healthy).toBe(false);
  });

  it("reports a success only as the first one or the first after failures", () => {
    const ok = applyHealthResult(INITIAL_HEALTH_STATE, timings, true, 0);
    expect(applyHealthResult(ok.state, timings, true, 10).verdict).toBeUndefined();
    const failed = applyHealthResult(ok.state, timings, false, 20);
    expect(applyHealthResult(failed.state, timings, true, 30).verdict).toEqual({
      healthy: true,
      killTask: false,
      consecutiveFailures: 0,
    });
  });
});

describe("legacy resource formatting", () => {
  it("merges and prints ranges as Mesos does", () => {
    expect(
      mergeRanges([
        { begin: 5, end: 6 },
        { begin: 1, end: 2 },
        { begin: 3, end: 3 },
      ]),
    ).toEqual([
      { begin: 1, end: 3 },
      { begin: 5, end: 6 },
    ]);
    expect(
      formatRanges([
        { begin: 31000, end: 31004 },
        { begin: 31006, end: 32000 },
      ]),
    ).toBe("[31000-31004, 31006-32000]");
  });

  it("flattens resources with cpus, gpus, mem and disk always present", () => {
    expect(
      flatResources([
        { name: "cpus", type: "SCALAR", scalar: { value: 0.1 } },
        { name: "cpus", type: "SCALAR", scalar: { value: 0.2 } },
        { name: "ports", type: "RANGES", ranges: { range: [{ begin: 31005, end: 31005 }] } },
        { name: "zones", type: "SET", set: { item: ["a", "b"] } },
      ]),
    ).toEqual({ cpus: 0.3, gpus: 0, mem: 0, disk: 0, ports: "[31005-31005]", zones: "{a, b}" });
  });
});

describe("files helpers", () => {
  it("writes bytes verbatim into a JSON string, escaping only what JSON requires", () => {
    const bytes = Buffer.concat([Buffer.from('a"\\\n\t\u0001'), Buffer.from([0xc3])]);
    expect(jsonStringOfBytes(bytes)).toEqual(
      Buffer.concat([Buffer.from('"a\\"\\\\\\n\\t\\u0001'), Buffer.from([0xc3, 0x22])]),
    );
  });

  it("formats modes like ls -l", () => {
    expect(formatFileMode(constants.S_IFREG | 0o644)).toBe("-rw-r--r--");
    expect(formatFileMode(constants.S_IFDIR | 0o755)).toBe("drwxr-xr-x");
    expect(formatFileMode(constants.S_IFREG | 0o4755)).toBe("-rwsr-xr-x");
    expect(formatFileMode(constants.S_IFDIR | 0o1777)).toBe("drwxrwxrwt");
  });

  it("does not resolve paths that are not under an attached directory (404) or leave it (400, files.cpp resolve)", () => {
    const attached = [{ virtualPath: "/frameworks/f", realPath: "/tmp" }];
    const failure = (path: string) => {
      try {
        resolveAttached(path, attached);
        return undefined;
      } catch (error) {
        return error instanceof FilesError ? { status: error.status, message: error.message } : error;
      }
    };
    expect(failure("/etc/passwd")).toEqual({ status: 404, message: "" });
    expect(failure("/frameworks/f/../../etc")).toEqual({
      status: 400,
      message: `'${realpathSync("/tmp")}/../../etc' is inaccessible.\n`,
    });
    expect(failure("/frameworks/f/")).toBeUndefined();
  });
});

describe("executor naming and Docker", () => {
  it("names command executors as the Mesos agent does", () => {
    const task = (command: object) => ({
      name: "t",
      task_id: { value: "t1" },
      agent_id: { value: "a" },
      resources: [],
      command,
    });
    expect(commandExecutorName(task({ value: "sleep 1000" }))).toBe(
      "Command Executor (Task: t1) (Command: sh -c 'sleep 1000')",
    );
    expect(commandExecutorName(task({ value: "python -m http.server 8080" }))).toBe(
      "Command Executor (Task: t1) (Command: sh -c 'python -m ht...')",
    );
    expect(commandExecutorName(task({ shell: false }))).toBe(
      "Command Executor (Task: t1) (Command: NO EXECUTABLE)",
    );
    expect(commandExecutorName(task({ shell: false, value: "/bin/echo", arguments: ["echo", "x"] }))).toBe(
      "Command Executor (Task: t1) (Command: [/bin/echo, e...])",
    );
    expect(commandExecutorName(task({ shell: false, value: "/bin/ls" }))).toBe(
      "Command Executor (Task: t1) (Command: [/bin/ls, ])",
    );
    expect(commandExecutorName(task({}))).toBe("Command Executor (Task: t1) (Command: NO COMMAND)");
  });

  it("finds the image in either containerizer's ContainerInfo", () => {
    expect(dockerImageOf({ type: "DOCKER", docker: { image: "nginx:1" } })).toBe("nginx:1");
    expect(
      dockerImageOf({ type: "MESOS", mesos: { image: { type: "DOCKER", docker: { name: "alpine" } } } }),
    ).toBe("alpine");
    expect(dockerImageOf({ type: "MESOS" })).toBeUndefined();
    expect(dockerImageOf(undefined)).toBeUndefined();
  });

  it("builds docker run like the Docker containerizer: shell overrides the entrypoint, exec keeps it", () => {
    const base = { cli: "/usr/bin/docker", image: "app:1", containerName: "mesos-c1", sandbox: "/sb" };
    const env = { MESOS_SANDBOX: "/sb", MESOS_TASK_ID: "t1", HOME: "/root" };
    const shell = dockerRunCommand({ ...base, env, command: { value: "serve" } });
    expect(shell.args.slice(0, 8)).toEqual([
      "run",
      "--rm",
      "--name",
      "mesos-c1",
      "--net",
      "host",
      "-v",
      "/sb:/mnt/mesos/sandbox",
    ]);
    expect(shell.args).toContain("MESOS_SANDBOX=/mnt/mesos/sandbox");
    expect(shell.args).not.toContain("HOME=/root");
    expect(shell.args.slice(-5)).toEqual(["--entrypoint", "/bin/sh", "app:1", "-c", "serve"]);
    const exec = dockerRunCommand({
      ...base,
      env: {},
      command: { shell: false, arguments: ["--port", "80"] },
    });
    expect(exec.args.slice(-3)).toEqual(["app:1", "--port", "80"]);
  });
});
