import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { scriptedServer } from "../../support/scripted-server.js";
import { tempDir } from "../../support/tmp.js";
import { commandTask, FRAMEWORK, FRAMEWORK_ID, startTestAgent } from "./support.js";

describe("local agent: the fetcher", () => {
  it("copies file:// URIs into the sandbox before the command starts, executable when asked", async () => {
    const files = tempDir();
    writeFileSync(join(files, "greeting.txt"), "hello from a fetched file\n");
    writeFileSync(join(files, "run.sh"), "#!/bin/sh\ncat greeting.txt\n");
    const { agent, waitFor } = await startTestAgent();
    agent.launch(
      FRAMEWORK_ID,
      commandTask("fetched", {
        value: "./run.sh",
        uris: [
          { value: pathToFileURL(join(files, "greeting.txt")).href },
          { value: pathToFileURL(join(files, "run.sh")).href, executable: true },
        ],
      }),
      FRAMEWORK,
    );
    await waitFor("fetched", "TASK_FINISHED");
    const sandbox = agent.tasks()[0]?.sandbox ?? "";
    expect(readFileSync(join(sandbox, "stdout"), "utf8")).toBe("hello from a fetched file\n");
    expect(statSync(join(sandbox, "run.sh")).mode & 0o111).not.toBe(0);
  });

  it("downloads http URIs under output_file and unpacks archives", async () => {
    const build = tempDir();
    mkdirSync(join(build, "site"));
    writeFileSync(join(build, "site", "index.html"), "<h1>hi</h1>\n");
    execFileSync("tar", ["-C", build, "-czf", join(build, "site.tgz"), "site"]);
    const archive = readFileSync(join(build, "site.tgz"));
    const server = await scriptedServer((request, response) => {
      if (request.path === "/site.tgz") {
        response.writeHead(200, { "Content-Type": "application/gzip" });
        response.end(archive);
      } else {
        response.writeHead(200);
        response.end("echo tool\n");
      }
    });
    const { agent, waitFor } = await startTestAgent();
    agent.launch(
      FRAMEWORK_ID,
      commandTask("web", {
        value: "cat site/index.html; sh tool.sh",
        uris: [{ value: `${server.url}/site.tgz` }, { value: `${server.url}/x?y=1`, output_file: "tool.sh" }],
      }),
      FRAMEWORK,
    );
    await waitFor("web", "TASK_FINISHED");
    const sandbox = agent.tasks()[0]?.sandbox ?? "";
    expect(readFileSync(join(sandbox, "stdout"), "utf8")).toBe("<h1>hi</h1>\ntool\n");
  });

  it("fails the launch as Mesos does when a URI cannot be fetched", async () => {
    const { agent, waitFor, of } = await startTestAgent();
    agent.launch(
      FRAMEWORK_ID,
      commandTask("missing", { value: "true", uris: [{ value: "file:///nonexistent/titan-fetch-test" }] }),
      FRAMEWORK,
    );
    const failed = await waitFor("missing", "TASK_FAILED");
    expect(failed).toMatchObject({ source: "SOURCE_AGENT", reason: "REASON_CONTAINER_LAUNCH_FAILED" });
    expect(failed.message).toMatch(
      /^Failed to launch container: Failed to fetch all URIs for container '.+': /,
    );
    expect(of("missing").map((s) => s.state)).toEqual(["TASK_FAILED"]);
  });

  it("fails a task whose fetch stalls once --executor_registration_timeout runs out, as Slave::registerExecutorTimeout", async () => {
    // A server that takes the request and never answers.
    const server = await scriptedServer(() => new Promise<void>(() => undefined));
    const { agent, waitFor, of } = await startTestAgent({ executorRegistrationTimeoutMs: 500 });
    agent.launch(
      FRAMEWORK_ID,
      commandTask("stalled", { value: "true", uris: [{ value: `${server.url}/big.tgz` }] }),
      FRAMEWORK,
    );
    const failed = await waitFor("stalled", "TASK_FAILED");
    expect(failed).toMatchObject({
      source: "SOURCE_AGENT",
      reason: "REASON_EXECUTOR_REGISTRATION_TIMEOUT",
      message: "Executor did not register within 500ms",
    });
    expect(server.requests).toHaveLength(1);
    // Nothing follows: the aborted fetch sends no second terminal update.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(of("stalled").map((s) => s.state)).toEqual(["TASK_FAILED"]);
    const state = (await (await fetch(`${agent.url}/state`)).json()) as { flags: Record<string, string> };
    expect(state.flags.executor_registration_timeout).toBe("500ms");
  });
});
