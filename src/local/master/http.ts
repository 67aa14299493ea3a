import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { type JsonObject, toJson } from "../json.js";
import { encodeRecord } from "../recordio.js";
import { checkOperatorCall, checkSchedulerCall } from "./calls.js";
import type { LocalMaster } from "./master.js";
import type { Subscription } from "./model.js";
import {
  getAgents,
  getExecutors,
  getFrameworks,
  getMaster,
  getState,
  getTasks,
  legacyFrameworks,
  legacySlaves,
  legacyState,
  legacyTasks,
  versionInfo,
} from "./views.js";

/**
 * The master's HTTP face on 127.0.0.1, answering as libprocess and the Mesos master do: status codes, plain-text
 * error bodies, exact Content-Type matching, Accept negotiation, RecordIO SUBSCRIBE streams, 307 redirects.
 */

const JSON_TYPE = "application/json";
const PROTOBUF_TYPE = "application/x-protobuf";
const TEXT = "text/plain; charset=utf-8";
/** libprocess compresses bodies of at least this many bytes when the client accepts gzip. */
const GZIP_MIN_BYTES = 1024;
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export const ADMIN_PATH = "/__titan_local/faults";

export type AdminHandler = (method: string, body: unknown) => Promise<{ status: number; body: JsonObject }>;

export interface MasterServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** libprocess `Request::acceptsMediaType`: type/subtype, then type/*, then * /*; q=0 excludes; no header accepts all. */
export function acceptsMediaType(header: string | undefined, mediaType: string): boolean {
  if (header === undefined) return true;
  const [type] = mediaType.split("/");
  const ranges = new Map<string, number>();
  for (const part of header.split(",")) {
    const [range, ...params] = part.trim().split(";");
    if (!range) continue;
    let q = 1;
    for (const p of params) {
      const [k, v] = p.trim().split("=");
      if (k === "q" && v !== undefined) q = Number(v);
    }
    ranges.set(range.trim().toLowerCase(), Number.isFinite(q) ? q : 0);
  }
  for (const candidate of [mediaType, `${type}/*`, "*/*"]) {
    const q = ranges.get(candidate);
    if (q !== undefined) return q > 0;
  }
  return false;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(", ") : v;
}

function sendText(
  res: ServerResponse,
  status: number,
  body = "",
  extra: Record<string, string> = {},
): undefined {
  const headers: Record<string, string | number> = { ...extra, "Content-Length": Buffer.byteLength(body) };
  if (body !== "") headers["Content-Type"] = TEXT;
  res.writeHead(status, headers);
  res.end(body);
}

function sendJson(
  req: IncomingMessage,
  res: ServerResponse,
  value: unknown,
  contentType = JSON_TYPE,
): undefined {
  let body = Buffer.from(toJson(value), "utf8");
  const headers: Record<string, string | number> = { "Content-Type": contentType };
  if (body.length >= GZIP_MIN_BYTES && acceptsEncoding(header(req, "accept-encoding"), "gzip")) {
    body = gzipSync(body);
    headers["Content-Encoding"] = "gzip";
  }
  headers["Content-Length"] = body.length;
  res.writeHead(200, headers);
  res.end(body);
}

function acceptsEncoding(value: string | undefined, encoding: string): boolean {
  if (value === undefined) return false;
  return value.split(",").some((part) => {
    const [name, ...params] = part.trim().split(";");
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    return name?.trim() === encoding && (q === undefined || Number(q.slice(2)) > 0);
  });
}

function methodNotAllowed(res: ServerResponse, method: string): undefined {
  sendText(res, 405, `Expecting one of { 'POST' }, but received '${method}'`, { Allow: "POST" });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new Error("Request body too large");
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString("utf8");
}

type Parsed = { ok: true; value: unknown } | { ok: false };

/** Content-Type and JSON checks shared by /api/v1 and /api/v1/scheduler; answers the error itself. */
function parseCallBody(req: IncomingMessage, res: ServerResponse, body: string): Parsed {
  const contentType = header(req, "content-type");
  if (contentType === undefined) {
    sendText(res, 400, "Expecting 'Content-Type' to be present");
    return { ok: false };
  }
  if (contentType !== JSON_TYPE) {
    // Protobuf bodies are valid for a real master; the local cluster reads JSON only (docs/local-cluster.md).
    sendText(res, 415, `Expecting 'Content-Type' of ${JSON_TYPE} or ${PROTOBUF_TYPE}`);
    return { ok: false };
  }
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch (error) {
    sendText(
      res,
      400,
      `Failed to parse body into JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
    return { ok: false };
  }
}

function notAcceptable(res: ServerResponse): undefined {
  sendText(res, 406, `Expecting 'Accept' to allow '${PROTOBUF_TYPE}' or '${JSON_TYPE}'`);
}

function openSubscription(res: ServerResponse): Subscription {
  const streamId = randomUUID();
  res.writeHead(200, { "Content-Type": JSON_TYPE, "Mesos-Stream-Id": streamId });
  res.flushHeaders();
  res.socket?.setNoDelay(true);
  return {
    streamId,
    send: (event) => {
      if (!res.writableEnded && !res.destroyed) res.write(encodeRecord(toJson(event)));
    },
    close: () => {
      if (!res.writableEnded) res.end();
    },
    drop: () => {
      res.destroy();
      res.socket?.destroy();
    },
  };
}

function handleScheduler(
  master: LocalMaster,
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
): undefined {
  if (req.method !== "POST") return methodNotAllowed(res, req.method ?? "");
  const parsed = parseCallBody(req, res, body);
  if (!parsed.ok) return;
  const checked = checkSchedulerCall(parsed.value);
  if (!checked.ok) return sendText(res, 400, checked.error);
  const call = checked.value;
  const streamId = header(req, "mesos-stream-id");
  if (call.type === "SUBSCRIBE") {
    if (!acceptsMediaType(header(req, "accept"), JSON_TYPE)) return notAcceptable(res);
    if (streamId !== undefined) {
      return sendText(res, 400, "Subscribe calls should not include the 'Mesos-Stream-Id' header");
    }
    const subscription = openSubscription(res);
    res.on("close", () => master.disconnected(subscription));
    master.subscribe(call, subscription);
    return;
  }
  const framework = master.frameworkForCall(call, streamId);
  if ("error" in framework) return sendText(res, framework.status, framework.error);
  if (call.type === "UNKNOWN") return sendText(res, 501);
  const result = master.handleCall(framework, call);
  if (result.status === 202) return sendText(res, 202);
  if (result.status === 200) return sendText(res, 200);
  return sendText(res, result.status, result.error);
}

function handleOperator(
  master: LocalMaster,
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
): undefined {
  if (req.method !== "POST") return methodNotAllowed(res, req.method ?? "");
  const parsed = parseCallBody(req, res, body);
  if (!parsed.ok) return;
  const checked = checkOperatorCall(parsed.value);
  if (!checked.ok) return sendText(res, 400, checked.error);
  if (!acceptsMediaType(header(req, "accept"), JSON_TYPE)) return notAcceptable(res);
  const type = String(checked.value.type);
  const respond = (key: string, value: JsonObject) => sendJson(req, res, { type, [key]: value });
  switch (type) {
    case "GET_HEALTH":
      return respond("get_health", { healthy: true });
    case "GET_VERSION":
      return respond("get_version", { version_info: versionInfo() });
    case "GET_MASTER":
      return respond("get_master", getMaster(master));
    case "GET_STATE":
      return respond("get_state", getState(master));
    case "GET_AGENTS":
      return respond("get_agents", getAgents(master));
    case "GET_FRAMEWORKS":
      return respond("get_frameworks", getFrameworks(master));
    case "GET_TASKS":
      return respond("get_tasks", getTasks(master));
    case "GET_EXECUTORS":
      return respond("get_executors", getExecutors(master));
    case "GET_FLAGS":
      return respond("get_flags", {
        flags: Object.entries(legacyState(master).flags as Record<string, string>).map(([name, value]) => ({
          name,
          value,
        })),
      });
    default:
      // UNKNOWN, and calls the local cluster does not implement (see docs/local-cluster.md).
      return sendText(res, 501);
  }
}

function withJsonp(req: IncomingMessage, res: ServerResponse, url: URL, value: unknown): undefined {
  const callback = url.searchParams.get("jsonp");
  if (callback === null) return sendJson(req, res, value);
  const body = `${callback}(${toJson(value)});`;
  res.writeHead(200, { "Content-Type": "text/javascript", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

async function route(
  master: LocalMaster,
  admin: AdminHandler | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<undefined> {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const body = await readBody(req);
  const path = url.pathname;
  switch (path) {
    case "/api/v1/scheduler":
    case "/master/api/v1/scheduler":
      return handleScheduler(master, req, res, body);
    case "/api/v1":
    case "/master/api/v1":
      return handleOperator(master, req, res, body);
    case "/master/state":
    case "/state":
      return withJsonp(req, res, url, legacyState(master));
    case "/master/slaves":
    case "/slaves":
      return withJsonp(req, res, url, { slaves: legacySlaves(master), recovered_slaves: [] });
    case "/master/frameworks":
    case "/frameworks":
      return withJsonp(req, res, url, legacyFrameworks(master));
    case "/master/tasks":
    case "/tasks":
      return withJsonp(req, res, url, legacyTasks(master, url.searchParams));
    case "/master/redirect":
    case "/redirect":
      return sendText(res, 307, "", { Location: `//127.0.0.1:${master.port}` });
    case "/version":
      return sendJson(req, res, versionInfo());
    case "/health":
    case "/master/health":
      return sendText(res, 200);
    case ADMIN_PATH: {
      if (!admin) return sendText(res, 404);
      let parsed: unknown = {};
      if (body.trim() !== "") {
        try {
          parsed = JSON.parse(body);
        } catch {
          return sendText(res, 400, "Failed to parse body into JSON");
        }
      }
      const answer = await admin(req.method ?? "GET", parsed);
      const text = toJson(answer.body);
      res.writeHead(answer.status, { "Content-Type": JSON_TYPE, "Content-Length": Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    default:
      return sendText(res, 404);
  }
}

/** Starts the master's HTTP server on 127.0.0.1:`port` (0 = a free port). */
export async function startMasterServer(
  master: LocalMaster,
  port: number,
  admin?: AdminHandler,
): Promise<MasterServer> {
  const server: Server = createServer((req, res) => {
    route(master, admin, req, res).catch((error: unknown) => {
      if (!res.headersSent) sendText(res, 500, error instanceof Error ? error.message : String(error));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  master.port = actual;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
