import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it, onTestFinished } from "vitest";
import { containerTestProblem, pushHelloImage } from "../../support/hello-image.js";
import { startRegistry } from "../../support/registry.js";
import { tempDir } from "../../support/tmp.js";
import { eventually, processAlive } from "./support.js";

const AGENT_SOURCES = new URL("../../../src/local/agent/", import.meta.url);
/** Modules of src/local that the agent imports from outside its own directory. */
const SHARED_SOURCES = [
  "build-info.ts",
  "call-protos.ts",
  "common-validation.ts",
  "fault-domain.ts",
  "http-guard.ts",
  "json.ts",
  "media-type.ts",
  "mesos-duration.ts",
  "pools.ts",
  "proto-json.ts",
  "resources.ts",
  "routes.ts",
];

function transpile(source: string): string {
  return ts.transpileModule(source, {
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
    },
  }).outputText;
}

/** The agent's modules compiled to plain ESM in a temp dir, so a separate Node process can host an agent. */
function compileAgent(): string {
  const out = tempDir("titan-agent-js-");
  writeFileSync(join(out, "package.json"), '{"type":"module"}');
  const dir = join(out, "agent");
  mkdirSync(dir);
  for (const file of readdirSync(AGENT_SOURCES).filter((f) => f.endsWith(".ts"))) {
    const source = readFileSync(new URL(file, AGENT_SOURCES), "utf8");
    writeFileSync(join(dir, file.replace(/\.ts$/, ".js")), transpile(source));
  }
  for (const file of SHARED_SOURCES) {
    const source = readFileSync(new URL(`../${file}`, AGENT_SOURCES), "utf8");
    writeFileSync(join(out, file.replace(/\.ts$/, ".js")), transpile(source));
  }
  return out;
}

const HOST_SCRIPT = `
import { createLocalAgent } from "./agent/agent.js";
const agent = createLocalAgent({
  id: "S0", hostname: "h", attributes: {}, resources: { cpus: 1, mem: 128, disk: 128, ports: [] },
  workDir: process.argv[2],
  onStatus: (s) => { if (s.state === "TASK_RUNNING") process.stdout.write("running\\n"); },
});
await agent.start();
agent.launch("F", {
  name: "t", task_id: { value: "t" }, agent_id: { value: "S0" }, resources: [],
  command: { value: "sleep 60 & echo $! > child.pid; sleep 60" },
});
process.stdin.on("data", (d) => { if (String(d).startsWith("exit")) process.exit(0); });
`;

/** A host whose one task runs the image named by its second argument, under runc. */
const IMAGE_HOST_SCRIPT = `
import { createLocalAgent } from "./agent/agent.js";
const agent = createLocalAgent({
  id: "S0", hostname: "h", attributes: {}, resources: { cpus: 1, mem: 128, disk: 128, ports: [] },
  workDir: process.argv[2],
  onStatus: (s) => process.stdout.write(s.state + "\\n"),
});
await agent.start();
agent.launch("F", {
  name: "t", task_id: { value: "t" }, agent_id: { value: "S0" }, resources: [],
  command: { value: "sleep 60" },
  container: { type: "MESOS", mesos: { image: { type: "DOCKER", docker: { name: process.argv[3] } } } },
});
`;

/** Starts a Node process hosting an agent with one running task; resolves with the task's pids. */
async function hostWithTask(): Promise<{ host: ChildProcess; pids: number[] }> {
  const dir = compileAgent();
  writeFileSync(join(dir, "host.js"), HOST_SCRIPT);
  const workDir = tempDir("titan-agent-work-");
  const host = spawn(process.execPath, [join(dir, "host.js"), workDir], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  onTestFinished(() => {
    host.kill("SIGKILL");
  });
  let output = "";
  host.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  await eventually(() => output.includes("running"), 15_000);
  const runs = join(workDir, "slaves", "S0", "frameworks", "F", "executors", "t", "runs", "latest");
  const childPid = await eventually(() => {
    try {
      return Number(readFileSync(join(runs, "child.pid"), "utf8").trim()) || undefined;
    } catch {
      return undefined;
    }
  });
  const leader = Number(readFileSync(`/proc/${childPid}/stat`, "utf8").split(") ")[1]?.split(" ")[2]);
  onTestFinished(() => {
    try {
      process.kill(-leader, "SIGKILL");
    } catch {
      // already gone, as expected
    }
  });
  return { host, pids: [leader, childPid] };
}

const imageProblem = containerTestProblem();

function runcList(root: string): string[] {
  if (!existsSync(root)) return [];
  const out = execFileSync("runc", ["--root", root, "list", "-q"], { encoding: "utf8" });
  return out.split("\n").filter((line) => line !== "");
}

describe("local agent: crash safety", () => {
  it("takes every task process down when the hosting process is killed with SIGKILL", async () => {
    const { host, pids } = await hostWithTask();
    for (const pid of pids) expect(processAlive(pid)).toBe(true);
    host.kill("SIGKILL");
    await eventually(() => pids.every((pid) => !processAlive(pid)));
  });

  it.skipIf(imageProblem !== undefined)(
    "deletes an image task's container and removes its bundle (rootfs, config.json) when the host is killed with SIGKILL",
    async () => {
      const registry = await startRegistry();
      const { image, digest } = await pushHelloImage(registry.host);
      const dir = compileAgent();
      writeFileSync(join(dir, "host.js"), IMAGE_HOST_SCRIPT);
      // The agent's work dir stays (a cluster's is not always temporary): only what the task left must go.
      const workDir = tempDir("titan-agent-work-");
      const host = spawn(
        process.execPath,
        [join(dir, "host.js"), workDir, `${image.replace(/:[^:/]+$/, "")}@${digest}`],
        { stdio: ["pipe", "pipe", "inherit"] },
      );
      onTestFinished(() => {
        host.kill("SIGKILL");
      });
      let output = "";
      host.stdout?.on("data", (chunk: Buffer) => {
        output += chunk.toString();
      });
      await eventually(() => output.includes("TASK_RUNNING"), 30_000);
      const containers = join(workDir, "provisioner", "containers");
      const runcRoot = join(workDir, "runc");
      await eventually(() => runcList(runcRoot).length === 1);
      expect(readdirSync(containers)).toHaveLength(1);
      host.kill("SIGKILL");
      await eventually(() => runcList(runcRoot).length === 0 && readdirSync(containers).length === 0);
      expect(existsSync(join(workDir, "store"))).toBe(true);
    },
  );

  it("takes every task process down when the hosting process exits", async () => {
    const { host, pids } = await hostWithTask();
    host.stdin?.write("exit\n");
    await eventually(() => pids.every((pid) => !processAlive(pid)));
  });
});
