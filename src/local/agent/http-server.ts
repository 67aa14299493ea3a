import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { basename } from "node:path";
import { authenticate, type HttpCredentials, type Refusal, refuseForeignHost } from "../http-guard.js";
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
  if (path === "/health" || path === "/version") return undefined;
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

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
}

function sendJson(res: ServerResponse, status: number, json: unknown, jsonp?: string | null): void {
  const body = JSON.stringify(json);
  if (jsonp !== undefined && jsonp !== null && jsonp !== "") {
    const wrapped = `${jsonp}(${body});`;
    res.writeHead(status, {
      "Content-Type": "text/javascript",
      "Content-Length": Buffer.byteLength(wrapped),
    });
    res.end(wrapped);
    return;
  }
  res.writeHead(status, { "Content-Type": JSON_TYPE, "Content-Length": Buffer.byteLength(body) });
  res.end(body);
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

/** Does an Accept header admit application/json? A missing header accepts everything. */
export function acceptsJson(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === "") return true;
  for (const part of accept.split(",")) {
    const [range, ...params] = part.trim().split(";");
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    if (q !== undefined && Number(q.slice(2)) === 0) continue;
    const media = (range ?? "").trim().toLowerCase();
    if (media === JSON_TYPE || media === "application/*" || media === "*/*") return true;
  }
  return false;
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
  if (req.method !== "POST") {
    res.writeHead(405, { Allow: "POST" });
    res.end();
    return;
  }
  const contentType = req.headers["content-type"];
  if (contentType === undefined) {
    sendText(res, 400, "Expecting 'Content-Type' to be present");
    return;
  }
  // Mesos compares the media type byte for byte; protobuf bodies are not spoken by the local cluster.
  if (contentType !== JSON_TYPE) {
    sendText(res, 415, `Expecting 'Content-Type' of ${JSON_TYPE}`);
    return;
  }
  if (!acceptsJson(req.headers.accept)) {
    sendText(res, 406, `Expecting 'Accept' to allow '${JSON_TYPE}'`);
    return;
  }
  let call: unknown;
  try {
    call = JSON.parse(await readBody(req));
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
    const wrapped =
      jsonp === null || jsonp === ""
        ? body
        : Buffer.concat([Buffer.from(`${jsonp}(`), body, Buffer.from(");")]);
    res.writeHead(200, {
      "Content-Type": wrapped === body ? JSON_TYPE : "text/javascript",
      "Content-Length": wrapped.length,
    });
    res.end(wrapped);
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

/** Routes of a Mesos agent that titan uses; `/slave(1)/...` aliases the agent's own endpoints. */
async function route(req: IncomingMessage, res: ServerResponse, source: AgentHttpSource): Promise<void> {
  const url = new URL(req.url ?? "/", "http://agent");
  const path = url.pathname.startsWith("/slave(1)/") ? url.pathname.slice("/slave(1)".length) : url.pathname;
  const refusal = refused(req, path, source);
  if (refusal) {
    res.writeHead(refusal.status, { ...refusal.headers, "Content-Length": Buffer.byteLength(refusal.body) });
    res.end(refusal.body);
    return;
  }
  const isGet = req.method === "GET" || req.method === "HEAD";
  if (path === "/api/v1") return operatorApi(req, res, source);
  if (!isGet) {
    res.writeHead(405, { Allow: "GET" });
    res.end();
    return;
  }
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
      sendJson(res, 200, { version: MESOS_VERSION });
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
      res.writeHead(404);
      res.end();
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
