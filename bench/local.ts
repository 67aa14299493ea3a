import { mkdtempSync, rmSync } from "node:fs";
import { type IncomingMessage, request } from "node:http";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { createLocalAgent } from "../src/local/agent/agent.js";
import { type AgentFactory, startLocalCluster } from "../src/local/cluster.js";
import { fakeAgents } from "../test/local/fake-agent.js";

/**
 * The local cluster under load: 1,000 command tasks launched on a 10-agent cluster until all are RUNNING, driven by a
 * minimal v1 scheduler over real HTTP. Measures launch-to-RUNNING throughput and the CPU time of this process, which
 * hosts the master (and the in-process agents). Also times starting and stopping a 3-agent cluster.
 */

type Json = Record<string, unknown>;

const TASKS = 1000;
const AGENTS = 10;

function decodeRecords(onRecord: (json: Json) => void): (chunk: Buffer) => void {
  let buffer = Buffer.alloc(0);
  return (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const newline = buffer.indexOf(0x0a);
      if (newline < 0) return;
      const length = Number(buffer.subarray(0, newline).toString("ascii"));
      if (buffer.length < newline + 1 + length) return;
      onRecord(JSON.parse(buffer.subarray(newline + 1, newline + 1 + length).toString("utf8")) as Json);
      buffer = buffer.subarray(newline + 1 + length);
    }
  };
}

function post(url: string, body: Json, headers: Record<string, string>): Promise<IncomingMessage> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(`${url}/api/v1/scheduler`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "Content-Length": Buffer.byteLength(text),
        ...headers,
      },
    });
    req.on("response", resolve);
    req.on("error", reject);
    req.end(text);
  });
}

interface LaunchRun {
  wallMs: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  heapMb: number;
}

async function launchThousand(workDir: string, createAgent: AgentFactory): Promise<LaunchRun> {
  const cluster = await startLocalCluster({
    agents: AGENTS,
    agentResources: { cpus: 8, mem: 16384, disk: 20000, ports: [{ begin: 31000, end: 32000 }] },
    zones: ["a", "b", "c"],
    port: 0,
    workDir,
    createAgent,
  });
  let stream: IncomingMessage | undefined;
  try {
    let frameworkId = "";
    let streamId = "";
    let next = 0;
    let running = 0;
    let startedAt = 0;
    let cpuStart = process.cpuUsage();
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => {
      done = resolve;
    });
    const call = (body: Json) =>
      post(cluster.url, { framework_id: { value: frameworkId }, ...body }, { "Mesos-Stream-Id": streamId })
        .then((r) => r.resume())
        // Acknowledgements still in flight when the cluster stops at the end of the run.
        .catch(() => undefined);
    const onEvent = (event: Json) => {
      if (event.type === "SUBSCRIBED")
        frameworkId = String(((event.subscribed as Json).framework_id as Json).value);
      if (event.type === "OFFERS") {
        for (const offer of (event.offers as Json).offers as Json[]) {
          const tasks: Json[] = [];
          while (next < TASKS && tasks.length < 100) {
            const id = `bench.${next++}`;
            tasks.push({
              name: id,
              task_id: { value: id },
              agent_id: offer.agent_id,
              resources: [
                { name: "cpus", type: "SCALAR", scalar: { value: 0.01 } },
                { name: "mem", type: "SCALAR", scalar: { value: 8 } },
              ],
              command: { value: "sleep 120" },
            });
          }
          if (startedAt === 0 && tasks.length > 0) {
            startedAt = performance.now();
            cpuStart = process.cpuUsage();
          }
          void call({
            type: "ACCEPT",
            accept: {
              offer_ids: [offer.id],
              operations: tasks.length > 0 ? [{ type: "LAUNCH", launch: { task_infos: tasks } }] : [],
            },
          });
        }
      }
      if (event.type === "UPDATE") {
        const status = (event.update as Json).status as Json;
        if (status.uuid !== undefined) {
          void call({
            type: "ACKNOWLEDGE",
            acknowledge: { agent_id: status.agent_id, task_id: status.task_id, uuid: status.uuid },
          });
        }
        if (status.state === "TASK_RUNNING" && status.source !== "SOURCE_MASTER") {
          running += 1;
          if (running === TASKS) done();
        }
      }
    };
    stream = await post(
      cluster.url,
      {
        type: "SUBSCRIBE",
        subscribe: {
          framework_info: {
            user: "bench",
            name: "bench",
            roles: ["bench"],
            capabilities: [{ type: "MULTI_ROLE" }],
          },
        },
      },
      {},
    );
    streamId = String(stream.headers["mesos-stream-id"]);
    stream.on("data", decodeRecords(onEvent));
    await finished;
    const wallMs = performance.now() - startedAt;
    const cpu = process.cpuUsage(cpuStart);
    return {
      wallMs,
      cpuUserMs: cpu.user / 1000,
      cpuSystemMs: cpu.system / 1000,
      heapMb: process.memoryUsage().heapUsed / 1024 / 1024,
    };
  } finally {
    stream?.destroy();
    await cluster.stop();
  }
}

async function startStopThreeAgents(workDir: string): Promise<{ startMs: number; stopMs: number }> {
  const t0 = performance.now();
  const cluster = await startLocalCluster({
    agents: 3,
    agentResources: { cpus: 4, mem: 8192, disk: 20000, ports: [{ begin: 31000, end: 32000 }] },
    zones: ["a", "b", "c"],
    port: 0,
    workDir,
    createAgent: createLocalAgent,
  });
  const health = await fetch(`${cluster.url}/health`);
  await health.arrayBuffer();
  const t1 = performance.now();
  await cluster.stop();
  return { startMs: t1 - t0, stopMs: performance.now() - t1 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export async function run(): Promise<{ title: string; markdown: string }> {
  const workDir = mkdtempSync(join(tmpdir(), "titan-bench-local-"));
  try {
    const starts: Array<{ startMs: number; stopMs: number }> = [];
    for (let i = 0; i < 5; i++) starts.push(await startStopThreeAgents(join(workDir, `start-${i}`)));
    const launch = await launchThousand(join(workDir, "launch"), createLocalAgent);
    const masterOnly = await launchThousand(join(workDir, "in-memory"), fakeAgents().create);
    const cpu = (r: LaunchRun) => r.cpuUserMs + r.cpuSystemMs;
    const machine = `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, Node ${process.versions.node}`;
    const row = (name: string, real: string, memory: string) => `| ${name} | ${real} | ${memory} |`;
    const markdown = [
      `${TASKS} command tasks (\`sleep 120\`, 0.01 cpus / 8 MB each) launched through the v1 scheduler API on a ${AGENTS}-agent local cluster until every one reported TASK_RUNNING; the scheduler accepts each offer with up to 100 tasks and acknowledges every update (STARTING, then RUNNING: one update per task is in flight at a time). CPU time is \`process.cpuUsage()\` of the process that hosts the master, its in-process agents and the small benchmark scheduler, over the same window. The baseline run, in the same process, replaces the agents with in-memory ones that start no processes, so its CPU time is the master's own share (plus the scheduler's).`,
      "",
      `Machine: ${machine}.`,
      "",
      "| measure | real agents (processes) | in-memory agents (master alone) |",
      "|---|---|---|",
      row(
        `launch to ${TASKS} RUNNING (wall)`,
        `${launch.wallMs.toFixed(0)} ms`,
        `${masterOnly.wallMs.toFixed(0)} ms`,
      ),
      row(
        "throughput",
        `${((TASKS / launch.wallMs) * 1000).toFixed(0)} tasks/s`,
        `${((TASKS / masterOnly.wallMs) * 1000).toFixed(0)} tasks/s`,
      ),
      row(
        "CPU time (user + system)",
        `${cpu(launch).toFixed(0)} ms (${launch.cpuUserMs.toFixed(0)} + ${launch.cpuSystemMs.toFixed(0)})`,
        `${cpu(masterOnly).toFixed(0)} ms (${masterOnly.cpuUserMs.toFixed(0)} + ${masterOnly.cpuSystemMs.toFixed(0)})`,
      ),
      row(
        "CPU per task",
        `${(cpu(launch) / TASKS).toFixed(2)} ms`,
        `${(cpu(masterOnly) / TASKS).toFixed(2)} ms`,
      ),
      row("heap after the run", `${launch.heapMb.toFixed(0)} MB`, `${masterOnly.heapMb.toFixed(0)} MB`),
      "",
      `Real agents vs master alone: ${(launch.wallMs / masterOnly.wallMs).toFixed(1)}x the wall time, ${(cpu(launch) / cpu(masterOnly)).toFixed(1)}x the CPU time (the difference is spawning and watching ${TASKS} processes).`,
      "",
      "| 3-agent cluster (real agents), median of 5 | value |",
      "|---|---|",
      `| start, until /health answers | ${median(starts.map((s) => s.startMs)).toFixed(0)} ms |`,
      `| stop | ${median(starts.map((s) => s.stopMs)).toFixed(0)} ms |`,
    ].join("\n");
    return { title: "Local cluster: 1,000 tasks to RUNNING", markdown };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
