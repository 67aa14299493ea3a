/**
 * A fake Mesos master and agents, just enough for `titan logs`: the master answers GET_STATE with titan's tasks
 * and its agents (GET_AGENTS), each agent answers GET_STATE (where the sandboxes are) and `/files/read` from files
 * a test holds and may grow. Everything listens on loopback port 0 and is closed after each test
 * (scripted-server.ts).
 *
 *   const agent = await fakeAgent();
 *   const cluster = await fakeLogsCluster([{ app: "api", instance: 0, agent, stdout: "a\nb\n" }]);
 *   await runCli(["logs", "api", "--master", cluster.master.url], { env });
 *   agent.append("api.1.0.0", "stdout", "c\n");   // the file grows
 *   agent.handleFiles(stall);                      // the agent stops answering /files/read
 *   cluster.master.handle(stall);                  // the master stops answering; cluster.answer(res) later
 */
import type { ServerResponse } from "node:http";
import { taskLabels } from "../../src/cluster/labels.js";
import { type RecordedRequest, type ScriptedServer, scriptedServer } from "./scripted-server.js";

const FRAMEWORK = "fw-titan";

export interface FakeRun {
  app: string;
  instance: number;
  /** The agent the run is on; a string is an agent id the master does not list. */
  agent: FakeAgent | string;
  state?: string;
  release?: number;
  stdout?: string;
  stderr?: string;
}

export interface FakeAgent {
  readonly id: string;
  readonly server: ScriptedServer;
  readonly url: string;
  /** Sandbox files by task id and stream. */
  readonly files: Map<string, Buffer>;
  append(taskId: string, stream: "stdout" | "stderr", text: string | Buffer): void;
  /** Takes over `/files/read` (the agent's GET_STATE still answers) until `restore()`. */
  handleFiles(handler: (request: RecordedRequest, response: ServerResponse) => void): void;
  restore(): void;
}

export interface FakeLogsCluster {
  master: ScriptedServer;
  /** The GET_STATE answer, to change between discoveries. */
  runs: FakeRun[];
  /**
   * The master failed over and its agents have not re-registered: GET_STATE lists no task and every agent among
   * `recovered_agents`, as a real master does until each agent comes back.
   */
  recovering: boolean;
  /** Answers a GET_STATE as the master does (for a request a test held back with `master.handle`). */
  answer(response: ServerResponse): void;
}

let agents = 0;

export function taskIdOf(run: Pick<FakeRun, "app" | "instance" | "release">): string {
  return `${run.app}.${run.release ?? 1}.${run.instance}.0`;
}

function sandbox(taskId: string): string {
  return `/frameworks/${FRAMEWORK}/executors/${taskId}/runs/latest`;
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "Content-Type": "application/json" });
  response.end(JSON.stringify(body));
}

/** Answers `/files/read` from the agent's files as a real agent does (offset -1 is a size probe). */
export function answerFilesRead(
  files: ReadonlyMap<string, Buffer>,
  request: RecordedRequest,
  response: ServerResponse,
): void {
  const url = new URL(request.path, "http://agent");
  const file = files.get(url.searchParams.get("path") ?? "");
  if (file === undefined) {
    response.writeHead(404);
    response.end();
    return;
  }
  const offset = Number(url.searchParams.get("offset"));
  const length = Number(url.searchParams.get("length") ?? file.length);
  if (offset === -1) json(response, 200, { data: "", offset: file.length });
  else json(response, 200, { data: file.subarray(offset, offset + length).toString("latin1"), offset });
}

export async function fakeAgent(): Promise<FakeAgent> {
  agents += 1;
  const id = `agent-${agents}`;
  const files = new Map<string, Buffer>();
  let filesHandler: ((request: RecordedRequest, response: ServerResponse) => void) | undefined;
  const server = await scriptedServer((request, response) => {
    if (request.path.startsWith("/files/read")) {
      if (filesHandler !== undefined) filesHandler(request, response);
      else answerFilesRead(files, request, response);
      return;
    }
    const tasks = [...files.keys()]
      .map((path) => /\/executors\/([^/]+)\//.exec(path)?.[1])
      .filter((taskId): taskId is string => taskId !== undefined);
    json(response, 200, {
      type: "GET_STATE",
      get_state: {
        get_tasks: {
          launched_tasks: [...new Set(tasks)].map((taskId) => ({
            task_id: { value: taskId },
            framework_id: { value: FRAMEWORK },
            agent_id: { value: id },
            name: taskId,
            state: "TASK_RUNNING",
          })),
        },
        get_executors: { executors: [] },
      },
    });
  });
  return {
    id,
    server,
    url: server.url,
    files,
    append(taskId, stream, text) {
      const path = `${sandbox(taskId)}/${stream}`;
      files.set(path, Buffer.concat([files.get(path) ?? Buffer.alloc(0), Buffer.from(text)]));
    },
    handleFiles(handler) {
      filesHandler = handler;
    },
    restore() {
      filesHandler = undefined;
    },
  };
}

function masterState(runs: readonly FakeRun[], recovering: boolean): unknown {
  const listed = new Map<string, FakeAgent>();
  for (const run of runs) if (typeof run.agent !== "string") listed.set(run.agent.id, run.agent);
  const now = Date.now() / 1000;
  const agentInfo = (agent: FakeAgent) => ({
    id: { value: agent.id },
    hostname: agent.id,
    port: Number(new URL(agent.url).port),
  });
  return {
    type: "GET_STATE",
    get_state: {
      get_tasks: {
        tasks: (recovering ? [] : runs).map((run) => {
          const id = taskIdOf(run);
          const state = run.state ?? "TASK_RUNNING";
          return {
            name: run.app,
            task_id: { value: id },
            framework_id: { value: FRAMEWORK },
            agent_id: { value: typeof run.agent === "string" ? run.agent : run.agent.id },
            state,
            resources: [],
            statuses: [{ task_id: { value: id }, state, timestamp: now - 60 }],
            labels: {
              labels: taskLabels({
                app: run.app,
                instance: run.instance,
                release: run.release ?? 1,
                digest: "sha256:abc",
              }),
            },
          };
        }),
      },
      get_agents: recovering
        ? { recovered_agents: [...listed.values()].map(agentInfo) }
        : {
            agents: [...listed.values()].map((agent) => ({
              active: true,
              agent_info: agentInfo(agent),
              pid: `slave(1)@127.0.0.1:${new URL(agent.url).port}`,
            })),
          },
      get_frameworks: {
        frameworks: [{ framework_info: { id: { value: FRAMEWORK }, name: "titan:api", user: "titan" } }],
      },
    },
  };
}

/** A master whose GET_STATE lists `runs` (changing `cluster.runs` changes what the next discovery finds). */
export async function fakeLogsCluster(runs: FakeRun[]): Promise<FakeLogsCluster> {
  for (const run of runs) {
    if (typeof run.agent === "string") continue;
    if (run.stdout !== undefined) run.agent.append(taskIdOf(run), "stdout", run.stdout);
    if (run.stderr !== undefined) run.agent.append(taskIdOf(run), "stderr", run.stderr);
  }
  const cluster: FakeLogsCluster = {
    runs,
    recovering: false,
    master: await scriptedServer((_request, response) => cluster.answer(response)),
    answer: (response) => json(response, 200, masterState(cluster.runs, cluster.recovering)),
  };
  return cluster;
}
