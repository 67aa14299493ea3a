import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { TaskInfoJson } from "../../src/local/agent/api.js";
import { containerTestProblem, pushHelloImage } from "../support/hello-image.js";
import { startRegistry, startServer, startTokenServer } from "../support/registry.js";
import { commandTask, FRAMEWORK, FRAMEWORK_ID, startTestAgent } from "./agent/support.js";

const problem = containerTestProblem();

function imageTask(
  id: string,
  image: string,
  command: TaskInfoJson["command"],
  extra: Partial<TaskInfoJson> = {},
) {
  return commandTask(id, command ?? { shell: false }, {
    container: { type: "MESOS", mesos: { image: { type: "DOCKER", docker: { name: image } } } },
    ...extra,
  });
}

function pinned(image: string, digest: string): string {
  return `${image.replace(/:[^:/]+$/, "")}@${digest}`;
}

describe.skipIf(problem !== undefined)("local agent: image tasks under runc", () => {
  it("runs the task in its own PID namespace on the image's rootfs, with the sandbox mounted, as the task user", async () => {
    const registry = await startRegistry();
    const { image, digest } = await pushHelloImage(registry.host);
    const { agent, waitFor } = await startTestAgent();
    const script = [
      'echo "pid=$$"',
      'echo "user=$(id -u):$(id -g)"',
      'echo "sandbox=$MESOS_SANDBOX"',
      'echo "greeting=$GREETING"',
      'echo "root=$(ls / | tr "\\n" " ")"',
      'echo "debian=$(test -e /etc/debian_version && echo yes || echo no)"',
      'echo written > "$MESOS_SANDBOX/from-container"',
    ].join("; ");
    agent.launch(
      FRAMEWORK_ID,
      imageTask("inside", pinned(image, digest), { shell: true, value: script, user: "nobody" }),
      FRAMEWORK,
    );
    const finished = await waitFor("inside", "TASK_FINISHED");
    expect(finished.message).toBe("Command exited with status 0");
    const sandbox = agent.tasks()[0]?.sandbox ?? "";
    const out = Object.fromEntries(
      readFileSync(join(sandbox, "stdout"), "utf8")
        .trim()
        .split("\n")
        .map((line) => line.split("=") as [string, string]),
    );
    expect(out.pid).toBe("1");
    expect(out.user).toBe("65534:65534");
    expect(out.sandbox).toBe("/mnt/mesos/sandbox");
    expect(out.greeting).toBe("hello from titan (image)");
    expect(out.root?.trim().split(" ").sort()).toEqual([
      "bin",
      "dev",
      "etc",
      "mnt",
      "proc",
      "sys",
      "tmp",
      "www",
    ]);
    expect(out.debian).toBe("no");
    expect(readFileSync(join(sandbox, "from-container"), "utf8")).toBe("written\n");
  });

  it("keeps the container's bundle (its config.json holds the task's secrets) to root, while the task user runs in it", async () => {
    const registry = await startRegistry();
    const { image, digest } = await pushHelloImage(registry.host);
    const { agent, waitFor, workDir } = await startTestAgent();
    const secret = { type: "VALUE" as const, value: { data: Buffer.from("hunter2").toString("base64") } };
    agent.launch(
      FRAMEWORK_ID,
      imageTask("secretive", pinned(image, digest), {
        shell: true,
        value: 'echo "user=$(id -u) token=$TOKEN"; sleep 30',
        user: "nobody",
        environment: { variables: [{ name: "TOKEN", type: "SECRET", secret }] },
      }),
      FRAMEWORK,
    );
    // A cluster's work dir lets other users through (0711), as the sandboxes below it are guarded one by one.
    chmodSync(workDir, 0o711);
    await waitFor("secretive", "TASK_RUNNING");
    const sandbox = agent.tasks()[0]?.sandbox ?? "";
    await waitForText(join(sandbox, "stdout"), "token=hunter2");
    expect(readFileSync(join(sandbox, "stdout"), "utf8")).toContain("user=65534 token=hunter2");
    const containers = join(workDir, "provisioner", "containers");
    const [id = ""] = leftovers(containers);
    const bundle = join(containers, id);
    expect(readFileSync(join(bundle, "config.json"), "utf8")).toContain("hunter2");
    expect(statSync(bundle).mode & 0o777).toBe(0o700);
    expect(statSync(join(bundle, "config.json")).mode & 0o777).toBe(0o600);
    // Another local user (nobody here) cannot read it.
    expect(() =>
      execFileSync(
        "setpriv",
        ["--reuid=65534", "--regid=65534", "--clear-groups", "cat", join(bundle, "config.json")],
        {
          stdio: "pipe",
        },
      ),
    ).toThrow(/Permission denied/);
  });

  it("runs as the framework's user without CommandInfo.user, looked up on the agent's machine, not as the image's", async () => {
    const registry = await startRegistry();
    const { image, digest } = await pushHelloImage(registry.host);
    const { agent, waitFor } = await startTestAgent();
    const script = 'echo "user=$(id -u):$(id -g)"';
    agent.launch(
      FRAMEWORK_ID,
      imageTask("framework-user", pinned(image, digest), { shell: true, value: script }),
      {
        ...FRAMEWORK,
        user: "nobody",
      },
    );
    await waitFor("framework-user", "TASK_FINISHED");
    const sandbox = agent.tasks()[0]?.sandbox ?? "";
    expect(readFileSync(join(sandbox, "stdout"), "utf8").trim()).toBe("user=65534:65534");
    // A user this machine does not have fails before the image is pulled, as with a command task.
    agent.launch(
      FRAMEWORK_ID,
      imageTask("ghost-user", pinned(image, digest), { shell: true, value: "true" }),
      {
        ...FRAMEWORK,
        user: "titan-no-such-user",
      },
    );
    const dropped = await waitFor("ghost-user", "TASK_DROPPED");
    expect(dropped.message).toContain("No such user 'titan-no-such-user'");
  });

  it("runs the image's entrypoint when the task has no command, and kills it with the kill policy's grace", async () => {
    const registry = await startRegistry();
    const { image, digest } = await pushHelloImage(registry.host);
    const { agent, waitFor, workDir } = await startTestAgent();
    const port = await freePort();
    const task = imageTask(
      "server",
      pinned(image, digest),
      {
        shell: false,
        environment: { variables: [{ name: "PORT_HTTP", value: String(port) }] },
      },
      { kill_policy: { grace_period: { nanoseconds: 5_000_000_000 } } },
    );
    agent.launch(FRAMEWORK_ID, task, FRAMEWORK);
    await waitFor("server", "TASK_RUNNING");
    expect(await fetchEventually(`http://127.0.0.1:${port}/healthz`)).toBe("ok\n");
    agent.kill(FRAMEWORK_ID, "server");
    const killed = await waitFor("server", "TASK_KILLED");
    expect(killed.source).toBe("SOURCE_EXECUTOR");
    const sandbox = agent.tasks()[0]?.sandbox ?? "";
    const stdout = readFileSync(join(sandbox, "stdout"), "utf8");
    expect(stdout).toContain(`listening on :${port} as root, pid 1`);
    expect(stdout).toContain("stopping");
    // runc forgot the container and the rootfs is gone.
    const list = execFileSync("runc", ["--root", join(workDir, "runc"), "list", "-q"], { encoding: "utf8" });
    expect(list.trim()).toBe("");
    expect(leftovers(join(workDir, "provisioner", "containers"))).toEqual([]);
  });

  it("fails a task whose layer does not match its digest, and caches nothing of it", async () => {
    const registry = await startRegistry();
    const { image, digest } = await pushHelloImage(registry.host);
    // A proxy that flips a byte of every blob it passes on.
    const { url } = await startServer(async (req, res) => {
      const upstream = await fetch(`${registry.url}${req.url}`, {
        headers: { accept: String(req.headers.accept ?? "*/*") },
      });
      const bytes = Buffer.from(await upstream.arrayBuffer());
      if (req.url?.includes("/blobs/") && bytes.length > 1000) bytes[500] = (bytes[500] ?? 0) ^ 0xff;
      res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "" });
      res.end(bytes);
    });
    const proxied = pinned(image, digest).replace(registry.host, new URL(url).host);
    const { agent, waitFor, workDir } = await startTestAgent();
    agent.launch(FRAMEWORK_ID, imageTask("bad", proxied, { shell: true, value: "true" }), FRAMEWORK);
    const failed = await waitFor("bad", "TASK_FAILED");
    expect(failed.reason).toBe("REASON_CONTAINER_LAUNCH_FAILED");
    expect(failed.message).toMatch(
      /^Failed to launch container: Failed to pull image '.*': Blob digest mismatch: expected 'sha256:[0-9a-f]{64}', got 'sha256:[0-9a-f]{64}'$/,
    );
    const blobs = join(workDir, "store", "docker", "blobs", "sha256");
    const cached = existsSync(blobs) ? readdirSync(blobs) : [];
    expect(cached.filter((name) => name.includes("partial"))).toEqual([]);
    expect(leftovers(join(workDir, "provisioner", "containers"))).toEqual([]);
    // The same image straight from the registry runs: nothing bad was kept.
    agent.launch(
      FRAMEWORK_ID,
      imageTask("good", pinned(image, digest), { shell: true, value: "true" }),
      FRAMEWORK,
    );
    await waitFor("good", "TASK_FINISHED");
  });

  it("destroys a container whose image pull stalls once --executor_registration_timeout runs out", async () => {
    const registry = await startRegistry();
    const { image, digest } = await pushHelloImage(registry.host);
    // A proxy that passes manifests on, and starts each blob then stalls.
    const { url } = await startServer(async (req, res) => {
      const upstream = await fetch(`${registry.url}${req.url}`, {
        headers: { accept: String(req.headers.accept ?? "*/*") },
      });
      const bytes = Buffer.from(await upstream.arrayBuffer());
      res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "" });
      if (req.url?.includes("/blobs/")) res.write(bytes.subarray(0, 10));
      else res.end(bytes);
    });
    const proxied = pinned(image, digest).replace(registry.host, new URL(url).host);
    const { agent, waitFor, of, workDir } = await startTestAgent({ executorRegistrationTimeoutMs: 1000 });
    agent.launch(FRAMEWORK_ID, imageTask("slow", proxied, { shell: true, value: "true" }), FRAMEWORK);
    const failed = await waitFor("slow", "TASK_FAILED");
    expect(failed).toMatchObject({
      source: "SOURCE_AGENT",
      reason: "REASON_EXECUTOR_REGISTRATION_TIMEOUT",
      message: "Executor did not register within 1secs",
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(of("slow").map((s) => s.state)).toEqual(["TASK_FAILED"]);
    // The half-downloaded blob was dropped, and no container was left behind.
    const blobs = join(workDir, "store", "docker", "blobs", "sha256");
    expect(leftovers(blobs).filter((name) => name.includes("partial"))).toEqual([]);
    expect(leftovers(join(workDir, "provisioner", "containers"))).toEqual([]);
  });

  it("fails a task whose registry needs a login: the agents pull anonymously", async () => {
    const tokens = await startTokenServer({ robot: "t0ken-pass" });
    const { url } = await startServer((_req, res) => {
      res.writeHead(401, {
        "www-authenticate": `Bearer realm="${tokens.realm}",service="${tokens.service}",scope="repository:team/private:pull"`,
      });
      res.end();
    });
    const host = new URL(url).host;
    const image = `${host}/team/private@sha256:${"b".repeat(64)}`;
    const { agent, waitFor } = await startTestAgent();
    agent.launch(FRAMEWORK_ID, imageTask("private", image, { shell: true, value: "true" }), FRAMEWORK);
    const failed = await waitFor("private", "TASK_FAILED");
    expect(failed).toMatchObject({ source: "SOURCE_AGENT", reason: "REASON_CONTAINER_LAUNCH_FAILED" });
    expect(failed.message).toBe(
      `Failed to launch container: Failed to pull image '${image}': The registry ${host} requires credentials to pull 'team/private'`,
    );
    // It asked for a token without credentials.
    expect(tokens.requests).toEqual([{ scope: "repository:team/private:pull", user: undefined }]);
  });

  it("kills a container that ignores SIGTERM once the grace period is over", async () => {
    const registry = await startRegistry();
    const { image, digest } = await pushHelloImage(registry.host);
    const { agent, waitFor, workDir } = await startTestAgent();
    const task = imageTask(
      "stubborn",
      pinned(image, digest),
      { shell: true, value: "trap 'echo got TERM' TERM; echo started; while true; do sleep 1; done" },
      { kill_policy: { grace_period: { nanoseconds: 1_000_000_000 } } },
    );
    agent.launch(FRAMEWORK_ID, task, FRAMEWORK);
    await waitFor("stubborn", "TASK_RUNNING");
    const sandbox = agent.tasks()[0]?.sandbox ?? "";
    await waitForText(join(sandbox, "stdout"), "started");
    agent.kill(FRAMEWORK_ID, "stubborn");
    const killed = await waitFor("stubborn", "TASK_KILLED");
    // As the command executor reaps a task killed by SIGKILL, however runc ended.
    expect(killed.message).toBe("Command terminated with signal Killed");
    expect(readFileSync(join(sandbox, "stdout"), "utf8")).toContain("got TERM");
    const list = execFileSync("runc", ["--root", join(workDir, "runc"), "list", "-q"], { encoding: "utf8" });
    expect(list.trim()).toBe("");
  });

  it("words a container killed by a signal as a command terminated by it, not as runc's exit status 128+n", async () => {
    const registry = await startRegistry();
    const { image, digest } = await pushHelloImage(registry.host);
    const { agent, waitFor, workDir } = await startTestAgent();
    agent.launch(
      FRAMEWORK_ID,
      imageTask("oom", pinned(image, digest), { shell: true, value: "echo started; sleep 30" }),
      FRAMEWORK,
    );
    await waitFor("oom", "TASK_RUNNING");
    const [task] = agent.tasks();
    await waitForText(join(task?.sandbox ?? "", "stdout"), "started");
    // Killed from outside, as the kernel's OOM killer would: runc run exits 137.
    execFileSync("runc", ["--root", join(workDir, "runc"), "kill", task?.containerId ?? "", "KILL"]);
    const failed = await waitFor("oom", "TASK_FAILED");
    expect(failed.message).toBe("Command terminated with signal Killed");
    expect(failed.source).toBe("SOURCE_EXECUTOR");
  });

  it("runs a COMMAND health check inside the container, where the image's files are", async () => {
    const registry = await startRegistry();
    const { image, digest } = await pushHelloImage(registry.host);
    const { agent, waitFor } = await startTestAgent();
    const check = (id: string, path: string) =>
      imageTask(
        id,
        pinned(image, digest),
        { shell: true, value: "sleep 30" },
        {
          health_check: {
            type: "COMMAND",
            command: {
              shell: true,
              value: `test -e ${path}`,
            },
            delay_seconds: 0,
            interval_seconds: 0.2,
            timeout_seconds: 5,
            consecutive_failures: 1,
            grace_period_seconds: 2,
          },
        },
      );
    agent.launch(FRAMEWORK_ID, check("inside", "/www/healthz"), FRAMEWORK);
    agent.launch(FRAMEWORK_ID, check("host-only", "/etc/debian_version"), FRAMEWORK);
    await waitFor("inside", "TASK_RUNNING", (s) => s.healthy === true);
    await waitFor("host-only", "TASK_KILLED", (s) => s.healthy === false);
  });

  it("refuses a bridge-networked Docker containerizer task with a clear TASK_FAILED", async () => {
    const { agent, waitFor } = await startTestAgent();
    agent.launch(
      FRAMEWORK_ID,
      commandTask(
        "bridge",
        { shell: false },
        {
          container: {
            type: "DOCKER",
            docker: { image: `127.0.0.1:1/x@sha256:${"0".repeat(64)}`, network: "BRIDGE" },
          },
        },
      ),
      FRAMEWORK,
    );
    const failed = await waitFor("bridge", "TASK_FAILED");
    expect(failed.message).toContain("BRIDGE networking is not supported by titan local agents");
  });
});

async function waitForText(file: string, text: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(existsSync(file) && readFileSync(file, "utf8").includes(text))) {
    if (Date.now() > deadline) throw new Error(`${file} never contained ${text}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function leftovers(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

async function fetchEventually(url: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await fetch(url).catch(() => undefined);
    if (res?.ok) return res.text();
    if (Date.now() > deadline) throw new Error(`${url} did not answer within 10s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}
