import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  commandTask,
  eventually,
  FRAMEWORK,
  FRAMEWORK_ID,
  processAlive,
  shellTask,
  startTestAgent,
} from "./support.js";

describe("local agent: command tasks", () => {
  it("runs a shell command in a Mesos-style sandbox with stdout and stderr files", async () => {
    const { agent, workDir, waitFor, of } = await startTestAgent();
    agent.launch(FRAMEWORK_ID, shellTask("hello", "echo out; echo err >&2"), FRAMEWORK);
    const finished = await waitFor("hello", "TASK_FINISHED");
    expect(of("hello").map((s) => s.state)).toEqual(["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]);
    expect(finished).toMatchObject({ source: "SOURCE_EXECUTOR", message: "Command exited with status 0" });
    expect(finished.reason).toBeUndefined();
    const [view] = agent.tasks();
    const runs = join(workDir, "slaves", agent.id, "frameworks", FRAMEWORK_ID, "executors", "hello", "runs");
    expect(view?.sandbox).toBe(join(runs, view?.containerId ?? "?"));
    expect(readFileSync(join(runs, "latest", "stdout"), "utf8")).toBe("out\n");
    expect(readFileSync(join(runs, "latest", "stderr"), "utf8")).toBe("err\n");
  });

  it("reports updates after launch() returns, each with a fresh uuid and the executor id", async () => {
    const { agent, statuses, waitFor } = await startTestAgent();
    agent.launch(FRAMEWORK_ID, shellTask("async", "true"), FRAMEWORK);
    expect(statuses).toEqual([]);
    await waitFor("async", "TASK_FINISHED");
    const uuids = statuses.map((s) => s.uuid);
    expect(new Set(uuids).size).toBe(3);
    for (const uuid of uuids) expect(Buffer.from(uuid ?? "", "base64")).toHaveLength(16);
    expect(statuses.every((s) => s.executorId === "async")).toBe(true);
    const running = statuses.find((s) => s.state === "TASK_RUNNING");
    expect(running?.containerStatus?.container_id?.value).toBe(agent.tasks()[0]?.containerId);
  });

  it("gives the task the Mesos environment plus its CommandInfo variables", async () => {
    const { agent, waitFor } = await startTestAgent();
    const script =
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a JavaScript template
      'echo "$MESOS_SANDBOX|$MESOS_TASK_ID|$MESOS_FRAMEWORK_ID|$MESOS_EXECUTOR_ID|$MESOS_AGENT_ENDPOINT|$MESOS_CONTAINER_NAME|$GREETING|$(pwd)|${PORT-unset}"';
    agent.launch(
      FRAMEWORK_ID,
      commandTask("env", { value: script, environment: { variables: [{ name: "GREETING", value: "hi" }] } }),
      FRAMEWORK,
    );
    await waitFor("env", "TASK_FINISHED");
    const [view] = agent.tasks();
    const sandbox = view?.sandbox ?? "";
    const fields = readFileSync(join(sandbox, "stdout"), "utf8").trim().split("|");
    const port = new URL(agent.url).port;
    expect(fields).toEqual([
      sandbox,
      "env",
      FRAMEWORK_ID,
      "env",
      `127.0.0.1:${port}`,
      `mesos-${view?.containerId}`,
      "hi",
      sandbox,
      "unset",
    ]);
  });

  it("runs shell=false commands with arguments as the complete argv, argv[0] included", async () => {
    const { agent, waitFor } = await startTestAgent();
    agent.launch(
      FRAMEWORK_ID,
      commandTask("exec", {
        shell: false,
        value: "/bin/sh",
        arguments: ["custom-argv0", "-c", 'echo "$0 $1"', "x", "y"],
      }),
      FRAMEWORK,
    );
    await waitFor("exec", "TASK_FINISHED");
    expect(readFileSync(join(agent.tasks()[0]?.sandbox ?? "", "stdout"), "utf8")).toBe("x y\n");
  });

  it("reports a non-zero exit as TASK_FAILED with the status in the message", async () => {
    const { agent, waitFor } = await startTestAgent();
    agent.launch(FRAMEWORK_ID, shellTask("fails", "exit 3"), FRAMEWORK);
    const failed = await waitFor("fails", "TASK_FAILED");
    expect(failed.message).toBe("Command exited with status 3");
    expect(failed.source).toBe("SOURCE_EXECUTOR");
  });

  it("names the signal that ended a task the way strsignal does", async () => {
    const { agent, waitFor } = await startTestAgent();
    agent.launch(FRAMEWORK_ID, shellTask("segv", "kill -SEGV $$"), FRAMEWORK);
    const failed = await waitFor("segv", "TASK_FAILED");
    expect(failed.message).toBe("Command terminated with signal Segmentation fault");
  });

  it("fails a task whose executable does not exist and says why in stderr and the message", async () => {
    const { agent, waitFor } = await startTestAgent();
    agent.launch(FRAMEWORK_ID, commandTask("missing", { shell: false, value: "/no/such/binary" }), FRAMEWORK);
    const failed = await waitFor("missing", "TASK_FAILED");
    expect(failed.message).toBe("Failed to execute command: No such file or directory");
    const stderr = readFileSync(join(agent.tasks()[0]?.sandbox ?? "", "stderr"), "utf8");
    expect(stderr).toContain("Failed to execute command: No such file or directory");
  });

  it("kills with SIGTERM and reports TASK_KILLED; TASK_KILLING only for frameworks that can handle it", async () => {
    const { agent, waitFor, of } = await startTestAgent();
    agent.launch(FRAMEWORK_ID, shellTask("plain", "sleep 30"), FRAMEWORK);
    const capable = { ...FRAMEWORK, capabilities: [{ type: "TASK_KILLING_STATE" }] };
    agent.launch(FRAMEWORK_ID, shellTask("killing", "sleep 30"), capable);
    await waitFor("plain", "TASK_RUNNING");
    await waitFor("killing", "TASK_RUNNING");
    agent.kill(FRAMEWORK_ID, "plain");
    agent.kill(FRAMEWORK_ID, "killing");
    const killed = await waitFor("plain", "TASK_KILLED");
    await waitFor("killing", "TASK_KILLED");
    expect(killed.message).toBe("Command terminated with signal Terminated");
    expect(of("plain").map((s) => s.state)).toEqual(["TASK_STARTING", "TASK_RUNNING", "TASK_KILLED"]);
    expect(of("killing").map((s) => s.state)).toEqual([
      "TASK_STARTING",
      "TASK_RUNNING",
      "TASK_KILLING",
      "TASK_KILLED",
    ]);
  });

  it("lets a task that traps SIGTERM clean up within the grace period, then reports TASK_KILLED", async () => {
    const { agent, waitFor } = await startTestAgent();
    const script = "trap 'echo cleaning; exit 0' TERM; echo ready; while :; do sleep 0.05; done";
    agent.launch(FRAMEWORK_ID, shellTask("graceful", script), FRAMEWORK);
    await waitFor("graceful", "TASK_RUNNING");
    const stdout = join(agent.tasks()[0]?.sandbox ?? "", "stdout");
    await eventually(() => readFileSync(stdout, "utf8").includes("ready"));
    agent.kill(FRAMEWORK_ID, "graceful", 5000);
    const killed = await waitFor("graceful", "TASK_KILLED");
    // A kill is a kill even when the task exits 0 on SIGTERM (the command executor checks `killed` first).
    expect(killed.message).toBe("Command exited with status 0");
    expect(readFileSync(stdout, "utf8")).toContain("cleaning");
  });

  it("escalates to SIGKILL when a task ignores SIGTERM past the kill policy's grace period", async () => {
    const { agent, waitFor } = await startTestAgent();
    const script = "trap '' TERM; echo ready; while :; do sleep 0.05; done";
    agent.launch(
      FRAMEWORK_ID,
      shellTask("stubborn", script, { kill_policy: { grace_period: { nanoseconds: 200_000_000 } } }),
      FRAMEWORK,
    );
    await waitFor("stubborn", "TASK_RUNNING");
    const stdout = join(agent.tasks()[0]?.sandbox ?? "", "stdout");
    await eventually(() => readFileSync(stdout, "utf8").includes("ready"));
    agent.kill(FRAMEWORK_ID, "stubborn");
    const killed = await waitFor("stubborn", "TASK_KILLED");
    expect(killed.message).toBe("Command terminated with signal Killed");
  });

  it("lets a repeated kill shorten the remaining grace period, never extend it", async () => {
    const { agent, waitFor } = await startTestAgent();
    agent.launch(
      FRAMEWORK_ID,
      shellTask("retried", "trap '' TERM; echo ready; while :; do sleep 0.05; done"),
      FRAMEWORK,
    );
    await waitFor("retried", "TASK_RUNNING");
    const stdout = join(agent.tasks()[0]?.sandbox ?? "", "stdout");
    await eventually(() => readFileSync(stdout, "utf8").includes("ready"));
    agent.kill(FRAMEWORK_ID, "retried", 60_000);
    agent.kill(FRAMEWORK_ID, "retried", 120_000);
    agent.kill(FRAMEWORK_ID, "retried", 100);
    const killed = await waitFor("retried", "TASK_KILLED");
    expect(killed.message).toBe("Command terminated with signal Killed");
  });

  it("kills the task's whole process group, children included", async () => {
    const { agent, waitFor } = await startTestAgent();
    agent.launch(
      FRAMEWORK_ID,
      shellTask("family", "sleep 30 & echo $! > child.pid; sleep 30 & wait"),
      FRAMEWORK,
    );
    await waitFor("family", "TASK_RUNNING");
    const pidFile = join(agent.tasks()[0]?.sandbox ?? "", "child.pid");
    const childPid = await eventually(() => {
      try {
        const pid = Number(readFileSync(pidFile, "utf8").trim());
        return pid > 0 ? pid : undefined;
      } catch {
        return undefined;
      }
    });
    expect(processAlive(childPid)).toBe(true);
    agent.kill(FRAMEWORK_ID, "family", 1000);
    await waitFor("family", "TASK_KILLED");
    await eventually(() => !processAlive(childPid));
  });

  it("ends what a finished task left running in its group", async () => {
    const { agent, waitFor } = await startTestAgent();
    agent.launch(FRAMEWORK_ID, shellTask("orphan", "sleep 30 & echo $! > child.pid"), FRAMEWORK);
    await waitFor("orphan", "TASK_FINISHED");
    const childPid = Number(readFileSync(join(agent.tasks()[0]?.sandbox ?? "", "child.pid"), "utf8").trim());
    await eventually(() => !processAlive(childPid));
  });

  it("runs a Docker-containerizer task directly when no Docker engine is available and says so", async () => {
    const { agent, waitFor } = await startTestAgent();
    const container = { type: "DOCKER" as const, docker: { image: "alpine:3", network: "HOST" } };
    agent.launch(FRAMEWORK_ID, shellTask("image", "echo direct", { container }), FRAMEWORK);
    const running = await waitFor("image", "TASK_RUNNING");
    expect(running.message).toContain("No Docker engine available");
    expect(running.message).toContain("alpine:3");
    await waitFor("image", "TASK_FINISHED");
  });

  it("refuses a second task under the same command executor", async () => {
    const { agent, waitFor, of } = await startTestAgent();
    agent.launch(FRAMEWORK_ID, shellTask("twice", "sleep 30"), FRAMEWORK);
    await waitFor("twice", "TASK_RUNNING");
    agent.launch(FRAMEWORK_ID, shellTask("twice", "true"), FRAMEWORK);
    const failed = await waitFor("twice", "TASK_FAILED");
    expect(failed.message).toBe('Attempted to run multiple tasks using a "command" executor');
    expect(agent.tasks()[0]?.state).toBe("TASK_RUNNING");
    expect(of("twice").filter((s) => s.state === "TASK_STARTING")).toHaveLength(1);
  });

  it("stop() kills every task and leaves no process behind", async () => {
    const { agent, waitFor } = await startTestAgent();
    agent.launch(FRAMEWORK_ID, shellTask("a", "sleep 30"), FRAMEWORK);
    agent.launch(FRAMEWORK_ID, shellTask("b", "trap 'exit 0' TERM; while :; do sleep 0.05; done"), FRAMEWORK);
    await waitFor("a", "TASK_RUNNING");
    await waitFor("b", "TASK_RUNNING");
    const pids = agent.tasks().map((t) => t.pid ?? 0);
    await agent.stop();
    expect(agent.tasks().map((t) => t.state)).toEqual(["TASK_KILLED", "TASK_KILLED"]);
    for (const pid of pids) expect(processAlive(pid)).toBe(false);
  });
});
