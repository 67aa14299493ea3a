import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { TaskState, TaskStatus } from "../../src/mesos/types/mesos.js";
import { scriptedServer } from "../support/scripted-server.js";

export const FRAMEWORK_ID = "7a1c2b3d-0000-4000-8000-00000000f00d-0000";
export const AGENT_ID = "7a1c2b3d-0000-4000-8000-00000000f00d-S0";

/** A scheduler call as the fake master received it. */
export type Call = Record<string, unknown> & { type: string };

/** An answer to a call other than a master's own: a status with a body of a content type (a proxy's page). */
export interface ForeignAnswer {
  status: number;
  contentType: string;
  body: string;
}

/** What the fake master does with a call: answer it (status), and push events to the subscriber. */
/** A status to answer with (202 when undefined), another server's answer, or "hold": no answer at all. */
export type CallHandler = (call: Call, master: FakeMaster) => number | ForeignAnswer | "hold" | undefined;

export interface LaunchedTask {
  task_id: { value: string };
  agent_id: { value: string };
  resources: Array<Record<string, unknown> & { name: string }>;
}

/**
 * A scripted leading master for one framework: SUBSCRIBE opens a RecordIO stream starting with SUBSCRIBED, every
 * other call is recorded and answered 202 unless the test's handler says otherwise. The test pushes OFFERS and
 * UPDATE events and may cut the stream mid-record.
 */
export interface FakeMaster {
  url: string;
  calls(type?: string): Call[];
  subscriptions(): number;
  push(event: unknown): void;
  /** Ends the current stream after the first bytes of a record, as a dying proxy would. */
  cutMidRecord(): void;
  onCall(handler: CallHandler): void;
}

function frame(event: unknown): string {
  const text = JSON.stringify(event);
  return `${Buffer.byteLength(text)}\n${text}`;
}

export async function fakeMaster(): Promise<FakeMaster> {
  let stream: ServerResponse | undefined;
  let handler: CallHandler = () => undefined;
  let subscriptions = 0;
  const calls: Call[] = [];
  const server = await scriptedServer((request, response) => {
    const call = JSON.parse(request.body) as Call;
    if (call.type === "SUBSCRIBE") {
      subscriptions += 1;
      response.writeHead(200, {
        "content-type": "application/json",
        "mesos-stream-id": `stream-${subscriptions}`,
      });
      response.write(
        frame({
          type: "SUBSCRIBED",
          subscribed: { framework_id: { value: FRAMEWORK_ID }, heartbeat_interval_seconds: 15 },
        }),
      );
      stream = response;
      return;
    }
    calls.push(call);
    const answer = handler(call, master) ?? 202;
    if (answer === "hold") return;
    if (typeof answer !== "number") {
      response.writeHead(answer.status, { "content-type": answer.contentType });
      response.end(answer.body);
      return;
    }
    response.writeHead(answer, { "content-type": "text/plain" });
    response.end(answer === 503 ? "No leader elected" : "");
  });
  const master: FakeMaster = {
    url: server.url,
    calls: (type) => calls.filter((c) => type === undefined || c.type === type),
    subscriptions: () => subscriptions,
    push: (event) => {
      stream?.write(frame(event));
    },
    cutMidRecord: () => {
      const open = stream;
      stream = undefined;
      open?.end('120\n{"type":"UPD');
    },
    onCall: (next) => {
      handler = next;
    },
  };
  return master;
}

export function offer(id: string, resources: ReadonlyArray<Record<string, unknown>>): unknown {
  return {
    type: "OFFERS",
    offers: {
      offers: [
        {
          id: { value: id },
          framework_id: { value: FRAMEWORK_ID },
          agent_id: { value: AGENT_ID },
          hostname: "agent-0.local",
          resources,
        },
      ],
    },
  };
}

/** A status update as an agent (with a uuid, to be acknowledged) or the master (without one) sends it. */
export function update(
  taskId: string,
  state: TaskState,
  extra: Partial<TaskStatus> & { fromMaster?: boolean } = {},
): unknown {
  const { fromMaster, ...fields } = extra;
  const status: TaskStatus = {
    task_id: { value: taskId },
    state,
    agent_id: { value: AGENT_ID },
    timestamp: Date.now() / 1000,
    source: fromMaster ? "SOURCE_MASTER" : "SOURCE_EXECUTOR",
    ...(fromMaster ? {} : { uuid: randomBytes(16).toString("base64") }),
    ...fields,
  };
  return { type: "UPDATE", update: { status } };
}

/** The tasks of every LAUNCH operation in an ACCEPT call. */
export function launchedTasks(call: Call): LaunchedTask[] {
  const accept = call.accept as {
    operations?: Array<{ type: string; launch?: { task_infos: LaunchedTask[] } }>;
  };
  return (accept.operations ?? []).flatMap((op) =>
    op.type === "LAUNCH" ? (op.launch?.task_infos ?? []) : [],
  );
}

/** Task ids of an explicit RECONCILE call (empty for the implicit one). */
export function reconciledIds(call: Call): string[] {
  const reconcile = call.reconcile as { tasks?: Array<{ task_id: { value: string } }> } | undefined;
  return (reconcile?.tasks ?? []).map((t) => t.task_id.value);
}
