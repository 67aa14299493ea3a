import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { basename } from "node:path";
import { BUILD_INFO } from "../build-info.js";
import { authenticate, type HttpCredentials, type Refusal, refuseForeignHost } from "../http-guard.js";
import { parseJson, toJson } from "../json.js";
import { acceptsMediaType, methodNotAllowedBody, NOT_FOUND_BODY, writeBody } from "../media-type.js";
import { hasMalformedQueryEscape, matchRoute } from "../routes.js";
import type { AccountNames } from "./accounts.js";
import { monitorStatistics, sampleUsage } from "./container-usage.js";
import {
  type AttachedPath,
  attachedPathsDebug,
  browseAttached,
  FilesError,
  jsonStringOfBytes,
  legacyFileInfo,
  readAttachedFile,
  requiredPath,
  resolveAttached,
} from "./files.js";
import { handleOperatorCall } from "./operator-api.js";
import { type AgentView, legacyState, MESOS_VERSION } from "./state-json.js";

export interface AgentHttpSource {
  view(): AgentView;
  attached(): AttachedPath[];
  /** While true the agent is cut off: every connection is dropped without an answer. */
  partitioned(): boolean;
  accounts: AccountNames;
  credentials?: HttpCredentials;
}

/** Realms of the agent's endpoints (src/slave/main.cpp `DEFAULT_HTTP_*_REALM`); /health and /version are open. */
function agentRealm(path: string): string | undefined {
  // A path no route serves is libprocess' 404 before any authentication.
  if (path === "/health" || path === "/version" || !AGENT_ROUTES.has(path)) return undefined;
  return path === "/api/v1" ? "mesos-agent-readwrite" : "mesos-agent-readonly";
}

function refused(req: IncomingMessage, path: string, source: AgentHttpSource): Refusal | undefined {
  const foreign = refuseForeignHost(req);
  if (foreign) return foreign;
  const realm = agentRealm(path);
  if (realm === undefined) return undefined;
  const auth = authenticate(req, source.credentials, realm);
  return "status" in auth ? auth : undefined;
}

const JSON_TYPE = "application/json";
const PROTOBUF_TYPE = "application/x-protobuf";
const RECORDIO_TYPE = "application/recordio";

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  extra: Record<string, string> = {},
): void {
  writeBody(res, status, { ...extra, "Content-Type": "text/plain; charset=utf-8" }, text);
}

function sendJson(res: ServerResponse, status: number, json: unknown, jsonp?: string | null): void {
  // As the master writes it: a task's int64 fields may be bigints, kept exact.
  const body = toJson(json);
  // libprocess' OK(json, jsonp): any `jsonp` given, even an empty one, wraps the JSON, with no semicolon after it.
  if (jsonp !== undefined && jsonp !== null) {
    writeBody(res, status, { "Content-Type": "text/javascript" }, `${jsonp}(${body})`);
    return;
  }
  writeBody(res, status, { "Content-Type": JSON_TYPE }, body);
}

function sendFilesError(res: ServerResponse, error: unknown): void {
  if (error instanceof FilesError) {
    if (error.status === 404) {
      res.writeHead(404);
      res.end();
    } else sendText(res, error.status, error.message);
    return;
  }
  throw error;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

async function operatorApi(
  req: IncomingMessage,
  res: ServerResponse,
  source: AgentHttpSource,
): Promise<void> {
  // The checks of src/slave/http.cpp `Http::api`, in its order and with its texts. Protobuf and RecordIO bodies and
  // answers are valid for a real agent; the local one speaks JSON only (docs/local-cluster.md).
  if (req.method !== "POST") {
    sendText(res, 405, methodNotAllowedBody(["POST"], req.method ?? ""), { Allow: "POST" });
    return;
  }
  const contentType = req.headers["content-type"];
  if (contentType === undefined) {
    sendText(res, 400, "Expecting 'Content-Type' to be present");
    return;
  }
  if (contentType !== JSON_TYPE) {
    sendText(res, 415, `Expecting 'Content-Type' of ${JSON_TYPE} or ${PROTOBUF_TYPE} or ${RECORDIO_TYPE}`);
    return;
  }
  if (req.headers["message-content-type"] !== undefined) {
    sendText(res, 415, "Expecting 'Message-Content-Type' to be not set for non-streaming requests");
    return;
  }
  if (!acceptsMediaType(header(req, "accept"), JSON_TYPE)) {
    sendText(res, 406, `Expecting 'Accept' to allow ${JSON_TYPE} or ${PROTOBUF_TYPE} or ${RECORDIO_TYPE}`);
    return;
  }
  if (req.headers["message-accept"] !== undefined) {
    sendText(res, 406, "Expecting 'Message-Accept' to be not set for non-streaming responses");
    return;
  }
  let call: unknown;
  try {
    call = parseJson(await readBody(req));
  } catch (error) {
    sendText(
      res,
      400,
      `Failed to parse body into JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
    return;
  }
  const answer = handleOperatorCall(call, {
    view: source.view(),
    attached: source.attached(),
    accounts: source.accounts,
  });
  if (answer.json !== undefined) sendJson(res, answer.status, answer.json);
  else sendText(res, answer.status, answer.text ?? "");
}

function filesRead(res: ServerResponse, query: URLSearchParams, source: AgentHttpSource): void {
  try {
    const result = readAttachedFile(query, source.attached());
    const body =
      result.kind === "size"
        ? Buffer.from(JSON.stringify({ data: "", offset: result.size }))
        : Buffer.concat([
            Buffer.from('{"data":'),
            jsonStringOfBytes(result.data),
            Buffer.from(`,"offset":${result.offset}}`),
          ]);
    // OK(object, jsonp), as every files endpoint answers (libprocess wraps the JSON in the callback).
    const jsonp = query.get("jsonp");
    const wrapped = jsonp === null ? body : Buffer.concat([Buffer.from(`${jsonp}(`), body, Buffer.from(")")]);
    writeBody(res, 200, { "Content-Type": wrapped === body ? JSON_TYPE : "text/javascript" }, wrapped);
  } catch (error) {
    sendFilesError(res, error);
  }
}

function filesBrowse(res: ServerResponse, query: URLSearchParams, source: AgentHttpSource): void {
  try {
    const entries = browseAttached(query, source.attached());
    sendJson(
      res,
      200,
      entries.map((entry) => legacyFileInfo(entry, source.accounts)),
      query.get("jsonp"),
    );
  } catch (error) {
    sendFilesError(res, error);
  }
}

function filesDownload(res: ServerResponse, query: URLSearchParams, source: AgentHttpSource): void {
  try {
    const real = resolveAttached(requiredPath(query), source.attached());
    const data = readFileSync(real);
    res.writeHead(200, {
      "Content-Type": "application/octet-stream",
      "Content-Disposition": `attachment; filename=${basename(real)}`,
      "Content-Length": data.length,
    });
    res.end(data);
  } catch (error) {
    // `_download` answers its own `NotFound()`, with libprocess' default body, where read and browse answer an empty one.
    if (error instanceof FilesError && error.status === 404) {
      sendText(res, 404, NOT_FOUND_BODY);
      return;
    }
    if (error instanceof FilesError) {
      sendFilesError(res, error);
      return;
    }
    if ((error as NodeJS.ErrnoException).code === "EISDIR") {
      sendText(res, 400, "Cannot download a directory.\n");
      return;
    }
    throw error;
  }
}

/** The agent's routes the local agent serves (src/slave/slave.cpp `route(...)`, the files and monitor processes). */
const AGENT_ROUTES: ReadonlySet<string> = new Set([
  "/api/v1",
  "/state",
  "/health",
  "/monitor/statistics",
  "/files/read",
  "/files/browse",
  "/files/download",
  "/files/debug",
]);
const EXACT_ROUTES: ReadonlySet<string> = new Set(["/version"]);

/** The routes of the agent process itself, which `/slave(1)/...` also reaches; the files and version processes are others. */
const SLAVE_PROCESS_ROUTES: ReadonlySet<string> = new Set([
  "/api/v1",
  "/state",
  "/health",
  "/monitor/statistics",
]);

/** Routes of a Mesos agent that titan uses; `/slave(1)/...` aliases the agent process's own endpoints. */
async function route(req: IncomingMessage, res: ServerResponse, source: AgentHttpSource): Promise<void> {
  if (hasMalformedQueryEscape(req.url ?? "")) {
    req.socket.destroy();
    return;
  }
  const url = new URL(req.url ?? "/", "http://agent");
  const path = url.pathname.startsWith("/slave(1)/")
    ? (matchRoute(url.pathname.slice("/slave(1)".length), SLAVE_PROCESS_ROUTES) ?? url.pathname)
    : (matchRoute(url.pathname, AGENT_ROUTES, EXACT_ROUTES) ?? url.pathname);
  const refusal = refused(req, path, source);
  if (refusal) {
    sendText(res, refusal.status, refusal.body, refusal.headers);
    return;
  }
  if (path === "/api/v1") return operatorApi(req, res, source);
  // Any method: an agent refuses all but GET on /monitor/statistics only when it has an authorizer (http.cpp
  // `Http::statistics`), which a local agent never has; /state, /health and the files endpoints never look.
  switch (path) {
    case "/state":
      sendJson(res, 200, legacyState(source.view()), url.searchParams.get("jsonp"));
      return;
    // Only this path: the `.json` form went away after 0.25 (docs/upgrades.md), so a 1.12 agent answers it 404.
    case "/monitor/statistics":
      sendJson(res, 200, monitorStatistics(source.view(), sampleUsage()), url.searchParams.get("jsonp"));
      return;
    case "/health":
      res.writeHead(200, { "Content-Length": 0 });
      res.end();
      return;
    case "/version":
      sendJson(res, 200, { version: MESOS_VERSION, ...BUILD_INFO });
      return;
    case "/files/read":
      return filesRead(res, url.searchParams, source);
    case "/files/browse":
      return filesBrowse(res, url.searchParams, source);
    case "/files/download":
      return filesDownload(res, url.searchParams, source);
    case "/files/debug":
      sendJson(res, 200, attachedPathsDebug(source.attached()), url.searchParams.get("jsonp"));
      return;
    default:
      sendText(res, 404, NOT_FOUND_BODY);
  }
}

export function createAgentServer(source: AgentHttpSource): Server {
  const server = createServer((req, res) => {
    if (source.partitioned()) {
      req.socket.destroy();
      return;
    }
    route(req, res, source).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else sendText(res, 500, error instanceof Error ? error.message : String(error));
    });
  });
  return server;
}
