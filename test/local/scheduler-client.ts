import { type IncomingMessage, request } from "node:http";

/**
 * A deliberately tiny v1 scheduler client for testing the local cluster over real HTTP. It shares nothing with
 * titan's own Mesos client, so a misunderstanding there cannot be mirrored here.
 */

export type Json = Record<string, unknown>;

export interface HttpAnswer {
  status: number;
  headers: IncomingMessage["headers"];
  body: string;
}

export async function post(
  url: string,
  path: string,
  body: string,
  headers: Record<string, string> = { "Content-Type": "application/json", Accept: "application/json" },
  method = "POST",
): Promise<HttpAnswer> {
  return new Promise<HttpAnswer>((resolve, reject) => {
    const req = request(`${url}${path}`, {
      method,
      headers: { ...headers, "Content-Length": Buffer.byteLength(body) },
    });
    req.on("error", reject);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
      res.on("error", reject);
    });
    req.end(body);
  });
}

export async function operator(url: string, call: Json): Promise<Json> {
  const answer = await post(url, "/api/v1", JSON.stringify(call));
  if (answer.status !== 200)
    throw new Error(`operator ${String(call.type)}: ${answer.status} ${answer.body}`);
  return JSON.parse(answer.body) as Json;
}

/** Splits RecordIO bytes into records, buffering across chunks. */
export class RecordIoDecoder {
  private buffer = Buffer.alloc(0);

  push(chunk: Buffer): string[] {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const records: string[] = [];
    for (;;) {
      const newline = this.buffer.indexOf(0x0a);
      if (newline < 0) break;
      const length = Number(this.buffer.subarray(0, newline).toString("ascii"));
      if (!Number.isInteger(length) || length <= 0) throw new Error("bad RecordIO length");
      if (this.buffer.length < newline + 1 + length) break;
      records.push(this.buffer.subarray(newline + 1, newline + 1 + length).toString("utf8"));
      this.buffer = this.buffer.subarray(newline + 1 + length);
    }
    return records;
  }
}

export class TestScheduler {
  readonly events: Json[] = [];
  readonly raw: string[] = [];
  frameworkId = "";
  ended = false;
  /** Acknowledge every update that carries a uuid as soon as it arrives (as a well-behaved scheduler does). */
  autoAck = true;
  private waiters: Array<() => void> = [];

  private constructor(
    readonly url: string,
    readonly response: IncomingMessage,
    readonly streamId: string,
  ) {
    const decoder = new RecordIoDecoder();
    response.on("data", (chunk: Buffer) => {
      for (const record of decoder.push(chunk)) {
        this.raw.push(record);
        const event = JSON.parse(record) as Json;
        this.events.push(event);
        if (event.type === "SUBSCRIBED") {
          this.frameworkId = String(((event.subscribed as Json).framework_id as Json).value);
        }
        const status = event.type === "UPDATE" ? ((event.update as Json).status as Json) : undefined;
        if (this.autoAck && status?.uuid !== undefined) void this.acknowledge(status).catch(() => undefined);
      }
      this.wake();
    });
    const end = () => {
      this.ended = true;
      this.wake();
    };
    response.on("end", end);
    response.on("close", end);
    response.on("error", end);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** SUBSCRIBEs and waits for the first event. */
  static async subscribe(
    url: string,
    frameworkInfo: Json,
    frameworkId?: string,
    extra: Json = {},
  ): Promise<TestScheduler> {
    const call: Json = {
      type: "SUBSCRIBE",
      subscribe: {
        framework_info: frameworkId ? { ...frameworkInfo, id: { value: frameworkId } } : frameworkInfo,
        ...extra,
      },
    };
    if (frameworkId) call.framework_id = { value: frameworkId };
    const body = JSON.stringify(call);
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(`${url}/api/v1/scheduler`, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "Content-Length": Buffer.byteLength(body),
        },
      });
      req.on("response", resolve);
      req.on("error", reject);
      req.end(body);
    });
    if (response.statusCode !== 200) {
      response.resume();
      throw new Error(`SUBSCRIBE answered ${response.statusCode}`);
    }
    const scheduler = new TestScheduler(url, response, String(response.headers["mesos-stream-id"]));
    await scheduler.next((e) => e.type === "SUBSCRIBED" || e.type === "ERROR");
    return scheduler;
  }

  /** Waits for the first event (from `from` on) that matches; returns it. */
  async next(match: (event: Json) => boolean, timeoutMs = 5000, from = 0): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.slice(from).find(match);
      if (found) return found;
      if (this.ended) throw new Error(`stream ended; events: ${this.types()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for an event; got: ${this.types()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async waitEnded(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error("stream did not end");
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  types(): string {
    return this.events.map((e) => String(e.type)).join(",");
  }

  /** Waits for an OFFERS event after index `from` and returns its offers. */
  async offers(from = 0, timeoutMs = 5000): Promise<Json[]> {
    const event = await this.next((e) => e.type === "OFFERS", timeoutMs, from);
    return (event.offers as Json).offers as Json[];
  }

  /** Waits for a task UPDATE matching state (and optionally more). */
  async update(taskId: string, state: string, from = 0, timeoutMs = 5000): Promise<Json> {
    const event = await this.next(
      (e) => {
        if (e.type !== "UPDATE") return false;
        const status = (e.update as Json).status as Json;
        return (status.task_id as Json).value === taskId && status.state === state;
      },
      timeoutMs,
      from,
    );
    return (event.update as Json).status as Json;
  }

  updates(taskId: string): Json[] {
    return this.events
      .filter((e) => e.type === "UPDATE")
      .map((e) => (e.update as Json).status as Json)
      .filter((s) => (s.task_id as Json).value === taskId);
  }

  async call(call: Json, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    return post(
      this.url,
      "/api/v1/scheduler",
      JSON.stringify({ framework_id: { value: this.frameworkId }, ...call }),
      { "Content-Type": "application/json", "Mesos-Stream-Id": this.streamId, ...headers },
    );
  }

  async accept(offerIds: string[], tasks: Json[], filters?: Json): Promise<HttpAnswer> {
    return this.call({
      type: "ACCEPT",
      accept: {
        offer_ids: offerIds.map((value) => ({ value })),
        operations: [{ type: "LAUNCH", launch: { task_infos: tasks } }],
        ...(filters ? { filters } : {}),
      },
    });
  }

  async acknowledge(status: Json): Promise<HttpAnswer> {
    return this.call({
      type: "ACKNOWLEDGE",
      acknowledge: { agent_id: status.agent_id, task_id: status.task_id, uuid: status.uuid },
    });
  }

  close(): void {
    this.response.destroy();
  }
}

export const FRAMEWORK: Json = {
  user: "root",
  name: "titan-test",
  roles: ["titan"],
  failover_timeout: 60,
  checkpoint: true,
  capabilities: [
    { type: "MULTI_ROLE" },
    { type: "PARTITION_AWARE" },
    { type: "TASK_KILLING_STATE" },
    { type: "RESERVATION_REFINEMENT" },
  ],
};

/** A command task that takes `cpus`/`mem` from an offer. */
export function commandTask(taskId: string, offer: Json, command = "sleep 30", cpus = 0.1, mem = 32): Json {
  return {
    name: taskId,
    task_id: { value: taskId },
    agent_id: offer.agent_id,
    resources: [
      { name: "cpus", type: "SCALAR", scalar: { value: cpus } },
      { name: "mem", type: "SCALAR", scalar: { value: mem } },
    ],
    command: { value: command },
  };
}
