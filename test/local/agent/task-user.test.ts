import { statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lookupAccount, taskUser } from "../../../src/local/agent/task-user.js";
import { FRAMEWORK, FRAMEWORK_ID, shellTask, startTestAgent } from "./support.js";

const isRoot = process.getuid?.() === 0;
const nobody = lookupAccount("nobody");

describe("local agent: the task user", () => {
  it("takes CommandInfo.user over FrameworkInfo.user", () => {
    expect(taskUser("alice", "bob")).toBe("alice");
    expect(taskUser(undefined, "bob")).toBe("bob");
    expect(taskUser("", "")).toBeUndefined();
  });

  it("drops a task whose user this machine does not have, with the real agent's message", async () => {
    const { agent, waitFor, of } = await startTestAgent();
    const framework = { ...FRAMEWORK, user: "titan-no-such-user" };
    agent.launch(FRAMEWORK_ID, shellTask("ghost", "true"), framework);
    const dropped = await waitFor("ghost", "TASK_DROPPED");
    expect(dropped).toMatchObject({
      source: "SOURCE_AGENT",
      reason: "REASON_EXECUTOR_TERMINATED",
      message: "Failed to chown directory to 'titan-no-such-user': No such user 'titan-no-such-user'",
    });
    expect(of("ghost").map((s) => s.state)).toEqual(["TASK_DROPPED"]);
    // Without PARTITION_AWARE the same drop is TASK_LOST, and CommandInfo.user wins over the framework's user.
    const old = { ...FRAMEWORK, capabilities: [] };
    agent.launch(FRAMEWORK_ID, shellTask("ghost2", "true", {}), old);
    await waitFor("ghost2", "TASK_FINISHED");
    const task = shellTask("ghost3", "true");
    agent.launch(FRAMEWORK_ID, { ...task, command: { ...task.command, user: "titan-no-such-user" } }, old);
    await waitFor("ghost3", "TASK_LOST");
  });

  it("keeps the sandbox to its owner (0700)", async () => {
    const { agent, waitFor } = await startTestAgent();
    agent.launch(FRAMEWORK_ID, shellTask("private", "true"), FRAMEWORK);
    await waitFor("private", "TASK_FINISHED");
    const sandbox = agent.tasks()[0]?.sandbox ?? "";
    expect(statSync(sandbox).mode & 0o777).toBe(0o700);
    expect(statSync(join(sandbox, "stdout")).mode & 0o077).toBe(0);
  });

  it.runIf(isRoot && nobody !== undefined)(
    "runs the task as its user (uid/gid) with --switch_user as root",
    async () => {
      const { agent, waitFor, of } = await startTestAgent({ switchUser: true });
      agent.launch(FRAMEWORK_ID, shellTask("as-nobody", "id -u > uid; id -g >> uid; cat uid"), {
        ...FRAMEWORK,
        user: "nobody",
      });
      await waitFor("as-nobody", "TASK_FINISHED");
      expect(of("as-nobody").at(-1)?.message).toBe("Command exited with status 0");
      const sandbox = agent.tasks()[0]?.sandbox ?? "";
      const stat = statSync(sandbox);
      expect([stat.uid, stat.gid]).toEqual([nobody?.uid, nobody?.gid]);
      expect(statSync(join(sandbox, "uid")).uid).toBe(nobody?.uid);
    },
  );
});

describe("local agent: framework input never crashes it", () => {
  it("fails a task with a NUL byte in an environment value, without printing the value", async () => {
    const { agent, waitFor } = await startTestAgent();
    const task = shellTask("nul", "true");
    agent.launch(
      FRAMEWORK_ID,
      {
        ...task,
        command: { ...task.command, environment: { variables: [{ name: "TOKEN", value: "sec\u0000ret" }] } },
      },
      FRAMEWORK,
    );
    const failed = await waitFor("nul", "TASK_FAILED");
    expect(failed).toMatchObject({
      source: "SOURCE_AGENT",
      reason: "REASON_CONTAINER_LAUNCH_FAILED",
      message: "Failed to launch container: environment variable 'TOKEN' contains a NUL byte",
    });
    // The agent still runs tasks.
    agent.launch(FRAMEWORK_ID, shellTask("after", "true"), FRAMEWORK);
    await waitFor("after", "TASK_FINISHED");
  });

  it("fails a task with a NUL byte in its command, also after fetching", async () => {
    const { agent, waitFor } = await startTestAgent();
    agent.launch(FRAMEWORK_ID, shellTask("nul-cmd", "echo a\u0000b"), FRAMEWORK);
    expect((await waitFor("nul-cmd", "TASK_FAILED")).message).toBe(
      "Failed to launch container: the command contains a NUL byte",
    );
  });
});
