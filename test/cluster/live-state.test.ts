import { readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { LiveMasterSource } from "../../src/cluster/live-source.js";
import { parseSnapshot } from "../../src/cluster/snapshot.js";
import { answeredGetMaster, answeredGetQuota } from "../support/master-info.js";
import { scriptedServer } from "../support/scripted-server.js";

const fixture = readFileSync(new URL("../../fixtures/snapshots/eu-west.json", import.meta.url), "utf8");

function source(url: string): LiveMasterSource {
  return new LiveMasterSource({ masters: [url], role: "*", label: "test" });
}

/** Writes `pieces` one after another, waiting whenever the socket's buffer is full. */
async function writeAll(res: ServerResponse, pieces: Iterable<string>): Promise<void> {
  for (const piece of pieces) {
    if (!res.write(piece)) await new Promise((resolve) => res.once("drain", resolve));
  }
  res.end();
}

/** The fixture with `executors` (each about 1 KB) added: a GET_STATE larger than titan once could hold. */
function* bigState(executors: number): Generator<string> {
  const state = JSON.parse(fixture);
  const text = JSON.stringify({ ...state, get_state: { ...state.get_state, get_executors: "@" } });
  const [head, tail] = text.split('"@"') as [string, string];
  yield `${head}{"executors":[`;
  const command = "x".repeat(900);
  for (let i = 0; i < executors; i += 1) {
    yield `${i === 0 ? "" : ","}{"executor_info":{"executor_id":{"value":"e-${i}"},"command":{"value":"${command}"}},"agent_id":{"value":"a"}}`;
  }
  yield `]}${tail}`;
}

describe("the live cluster state for plan and deploy", () => {
  it("asks for gzip and sees the cluster exactly as the same state read from a file", async () => {
    const server = await scriptedServer((req, res) => {
      if (answeredGetMaster(req, res, "eu-west") || answeredGetQuota(req, res)) return;
      const gzip = String(req.headers["accept-encoding"] ?? "").includes("gzip");
      res.writeHead(200, {
        "content-type": "application/json",
        ...(gzip ? { "content-encoding": "gzip" } : {}),
      });
      res.end(gzip ? gzipSync(fixture) : fixture);
    });
    const live = await source(server.url).read(new AbortController().signal);
    expect(server.requests[0]?.headers["accept-encoding"]).toContain("gzip");
    expect(JSON.parse(server.requests[0]?.body ?? "")).toEqual({ type: "GET_STATE" });
    const file = parseSnapshot(fixture, "eu-west.json", { role: "*" });
    expect(live.agents).toEqual(file.agents);
    expect(live.running).toEqual(file.running);
    expect(live.titanTasks).toEqual(file.titanTasks);
    expect(live.warnings).toEqual(file.warnings);
  });

  it("reads a state larger than 64 MiB as a stream, executors scanned past", async () => {
    const server = await scriptedServer((req, res) => {
      if (answeredGetMaster(req, res, "eu-west") || answeredGetQuota(req, res)) return;
      res.writeHead(200, { "content-type": "application/json" });
      void writeAll(res, bigState(72_000));
    });
    const live = await source(server.url).read(new AbortController().signal);
    const file = parseSnapshot(fixture, "eu-west.json", { role: "*" });
    expect(live.agents).toEqual(file.agents);
    expect(live.titanTasks).toEqual(file.titanTasks);
  }, 60_000);

  it("skips agents in another region than the master's, as a master offers them only to REGION_AWARE frameworks", async () => {
    const state = JSON.parse(fixture);
    const [first] = state.get_state.get_agents.agents;
    first.agent_info.domain.fault_domain.region.name = "us-east";
    const text = JSON.stringify(state);
    const server = await scriptedServer((req, res) => {
      if (answeredGetMaster(req, res, "eu-west") || answeredGetQuota(req, res)) return;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(text);
    });
    const live = await source(server.url).read(new AbortController().signal);
    const all = parseSnapshot(fixture, "eu-west.json", { role: "*" });
    expect(live.agents.map((a) => a.id)).toEqual(
      all.agents.map((a) => a.id).filter((id) => id !== first.agent_info.id.value),
    );
    expect(live.warnings).toContain(
      `agent ${first.agent_info.hostname} is skipped: in region us-east, remote to the master's eu-west (a master offers remote agents only to REGION_AWARE frameworks)`,
    );
    expect(server.requests.map((r) => JSON.parse(r.body).type)).toEqual([
      "GET_STATE",
      "GET_MASTER",
      "GET_QUOTA",
    ]);
  });

  it("reads the bare Infinity a master writes for a foreign task's unlimited limits", async () => {
    const state = JSON.parse(fixture);
    const foreign = state.get_state.get_tasks.tasks.find(
      (t: { labels?: { labels?: Array<{ key: string }> } }) =>
        !(t.labels?.labels ?? []).some((l) => l.key === "titan.app"),
    );
    foreign.limits = { cpus: { value: "@INF" } };
    const text = JSON.stringify(state).replace('"@INF"', "Infinity");
    const server = await scriptedServer((req, res) => {
      if (answeredGetMaster(req, res, "eu-west") || answeredGetQuota(req, res)) return;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(text);
    });
    const live = await source(server.url).read(new AbortController().signal);
    expect(live.running).toEqual(parseSnapshot(fixture, "eu-west.json", { role: "*" }).running);
  });
});
