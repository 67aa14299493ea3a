import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { browseAttached, FilesError, readAttachedFile, requiredPath } from "../agent/files.js";
import {
  authenticate,
  fromBrowser,
  type HttpCredentials,
  type Refusal,
  refuseForeignHost,
} from "../http-guard.js";
import { IDENTITY_PATH, identityProof } from "../instance-proof.js";
import { isObject, type JsonObject, parseJson, toJson } from "../json.js";
import {
  acceptsMediaType,
  methodNotAllowedBody,
  NOT_FOUND_BODY,
  NOT_IMPLEMENTED_BODY,
  writeBody,
} from "../media-type.js";
import { encodeRecord } from "../recordio.js";
import { hasMalformedQueryEscape, matchRoute } from "../routes.js";
import { checkOperatorCall, checkSchedulerCall } from "./calls.js";
import { MAINTENANCE_CALLS, maintenanceCall } from "./maintenance-calls.js";
import type { LocalMaster } from "./master.js";
import type { FrameworkRecord, Subscription } from "./model.js";
import { QUOTA_CALLS } from "./quota.js";
import { reserveResources } from "./reserve.js";
import {
  getAgents,
  getExecutors,
  getFrameworks,
  getMaster,
  getState,
  getTasks,
  legacyFrameworks,
  legacyRecoveredSlaves,
  legacySlaves,
  legacyState,
  legacyTasks,
  masterFlags,
  versionInfo,
} from "./views.js";

/**
 * The master's HTTP face on 127.0.0.1, answering as libprocess and the Mesos master do: status codes, plain-text
 * error bodies, exact Content-Type matching, Accept negotiation, RecordIO SUBSCRIBE streams, 307 redirects.
 */

const JSON_TYPE = "application/json";
const PROTOBUF_TYPE = "application/x-protobuf";
const TEXT = "text/plain; charset=utf-8";
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export const ADMIN_PATH = "/__titan_local/faults";
/** `titan local agents`: list, add and remove agents of a running local cluster (no Mesos master has it). */
export const CONTROL_PATH = "/__titan_local/agents";

export type AdminHandler = (method: string, body: unknown) => Promise<{ status: number; body: JsonObject }>;

export interface MasterServerOptions {
  /** The test-only fault endpoint; absent unless the cluster was started for tests. */
  admin?: AdminHandler;
  /** The agents control endpoint of `titan local agents`. */
  control?: AdminHandler;
  /** HTTP Basic credentials the protected endpoints require (none: the cluster runs without authentication). */
  credentials?: HttpCredentials;
  /** The cluster's instance token, proven on the identity endpoint (absent: no such endpoint). */
  instance?: string;
}

/** libprocess authentication realms of the master's endpoints (src/master/main.cpp, `DEFAULT_HTTP_*_REALM`). */
const REALM_SCHEDULER = "mesos-master-scheduler";
const REALM_READWRITE = "mesos-master-readwrite";
const REALM_READONLY = "mesos-master-readonly";

export interface MasterServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
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
  const headers: Record<string, string | number> = { ...extra };
  if (body !== "") headers["Content-Type"] = TEXT;
  writeBody(res, status, headers, body);
}

function sendJson(res: ServerResponse, value: unknown, contentType = JSON_TYPE): undefined {
  writeBody(res, 200, { "Content-Type": contentType }, toJson(value));
}

function methodNotAllowed(res: ServerResponse, method: string): undefined {
  sendText(res, 405, methodNotAllowedBody(["POST"], method), { Allow: "POST" });
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
    return { ok: true, value: parseJson(body) };
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
  principal: string | null,
): undefined {
  if (req.method !== "POST") return methodNotAllowed(res, req.method ?? "");
  const parsed = parseCallBody(req, res, body);
  if (!parsed.ok) return;
  const checked = checkSchedulerCall(parsed.value);
  if (!checked.ok) return sendText(res, 400, checked.error);
  const call = checked.value;
  const principalError = checkPrincipal(master, call, principal);
  if (principalError !== undefined) return sendText(res, 400, principalError);
  const streamId = header(req, "mesos-stream-id");
  // Master::Http::scheduler negotiates a response type for the two calls that may answer with a body.
  if (
    (call.type === "SUBSCRIBE" || call.type === "RECONCILE_OPERATIONS") &&
    !acceptsMediaType(header(req, "accept"), JSON_TYPE)
  ) {
    return notAcceptable(res);
  }
  if (call.type === "SUBSCRIBE") {
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
  if (call.type === "UNKNOWN") return sendText(res, 501, NOT_IMPLEMENTED_BODY);
  const apply = (): undefined => {
    const result = master.handleCall(framework, call);
    if (result.status === 202) return sendText(res, 202);
    if (result.status === 200) return sendText(res, 200);
    return sendText(res, result.status, result.error);
  };
  if (call.type === "ACCEPT" && master.heldAccepts.toHold > 0) return holdAccept(master, res, apply);
  if (call.type === "ACCEPT" && master.lostAccepts > 0) return loseAccept(master, framework, call, res);
  return apply();
}

/**
 * The LOSE_ACCEPTS fault: the call is answered 202 as it arrives, as a master answers every ACCEPT, and then lost,
 * as with a master that fails over before passing the launch on: no task, no status update, and its offers back
 * with the allocator (a new master knows none of the old one's offers).
 */
function loseAccept(
  master: LocalMaster,
  framework: FrameworkRecord,
  call: JsonObject,
  res: ServerResponse,
): undefined {
  master.lostAccepts--;
  const accept = isObject(call.accept) ? call.accept : {};
  master.handleCall(framework, { type: "DECLINE", decline: { offer_ids: accept.offer_ids ?? [] } });
  return sendText(res, 202);
}

/**
 * The HOLD_ACCEPTS fault: the call is neither applied nor answered until the fault is lifted (a slow master);
 * when the caller goes away (or gives up) first, it is dropped like a call lost in flight, its tasks never launched.
 */
function holdAccept(master: LocalMaster, res: ServerResponse, apply: () => undefined): undefined {
  const { waiting } = master.heldAccepts;
  master.heldAccepts.toHold--;
  const release = (): void => {
    waiting.delete(release);
    apply();
  };
  waiting.add(release);
  res.on("close", () => waiting.delete(release));
  return undefined;
}

/**
 * With --authenticate_http_frameworks, a SUBSCRIBE's FrameworkInfo.principal must be the authenticated one (the
 * master fills it in when absent), and every later call must come from the framework's principal
 * (src/master/http.cpp `Master::Http::scheduler`).
 */
function checkPrincipal(master: LocalMaster, call: JsonObject, principal: string | null): string | undefined {
  if (principal === null) return undefined;
  if (call.type === "SUBSCRIBE") {
    const info = isObject(call.subscribe) ? call.subscribe.framework_info : undefined;
    if (!isObject(info)) return undefined;
    if (info.principal === undefined) {
      info.principal = principal;
      return undefined;
    }
    // Found by scheduler::call::validate (master/validation.cpp), whose errors the handler prefixes (http.cpp).
    if (info.principal !== principal) {
      return `Failed to validate scheduler::Call: Authenticated principal '${principal}' does not match principal '${String(info.principal)}' set in \`FrameworkInfo\``;
    }
    return undefined;
  }
  const frameworkId = isObject(call.framework_id) ? call.framework_id.value : undefined;
  const framework = typeof frameworkId === "string" ? master.frameworks.get(frameworkId) : undefined;
  const owner = framework?.info.principal;
  if (framework !== undefined && owner !== principal) {
    return `Authenticated principal '${principal}' does not match principal '${String(owner ?? "")}' set in \`FrameworkInfo\``;
  }
  return undefined;
}

async function handleOperator(
  master: LocalMaster,
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
): Promise<undefined> {
  if (req.method !== "POST") return methodNotAllowed(res, req.method ?? "");
  const parsed = parseCallBody(req, res, body);
  if (!parsed.ok) return;
  const checked = checkOperatorCall(parsed.value);
  if (!checked.ok) return sendText(res, 400, checked.error);
  if (!acceptsMediaType(header(req, "accept"), JSON_TYPE)) return notAcceptable(res);
  const type = String(checked.value.type);
  const respond = (key: string, value: JsonObject) => sendJson(res, { type, [key]: value });
  if (MAINTENANCE_CALLS.has(type)) {
    const answer = await maintenanceCall(master, checked.value);
    if (answer.status === 400) return sendText(res, 400, answer.error);
    return answer.key === undefined ? sendText(res, 200) : respond(answer.key, answer.body);
  }
  if (QUOTA_CALLS.has(type)) {
    if (type === "GET_QUOTA") return respond("get_quota", { status: master.quota.status() });
    const answer = master.quota.update(checked.value.update_quota as JsonObject, master.quotaContext());
    if (answer.status === 400) return sendText(res, 400, answer.error);
    master.allocateNow();
    return sendText(res, 200);
  }
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
      return respond("get_executors", getExecutors());
    case "GET_FLAGS":
      return respond("get_flags", {
        flags: Object.entries(masterFlags(master)).map(([name, value]) => ({
          name,
          value,
        })),
      });
    case "MARK_AGENT_GONE": {
      const call = checked.value.mark_agent_gone;
      const id = isObject(call) && isObject(call.agent_id) ? call.agent_id.value : undefined;
      const answer = master.markAgentGone(typeof id === "string" ? id : "");
      return answer.status === 200 ? sendText(res, 200) : sendText(res, 404, answer.error);
    }
    case "RESERVE_RESOURCES": {
      const result = reserveResources(master, checked.value);
      return result.status === 202 ? sendText(res, 202) : sendText(res, result.status, result.error);
    }
    default:
      // UNKNOWN, and calls the local cluster does not implement (see docs/local-cluster.md).
      return sendText(res, 501, NOT_IMPLEMENTED_BODY);
  }
}

function withJsonp(res: ServerResponse, url: URL, value: unknown): undefined {
  const callback = url.searchParams.get("jsonp");
  if (callback === null) return sendJson(res, value);
  // libprocess' OK(json, jsonp) wraps the JSON in the callback with no semicolon after it (process/http.cpp).
  writeBody(res, 200, { "Content-Type": "text/javascript" }, `${callback}(${toJson(value)})`);
}

function refuse(res: ServerResponse, refusal: Refusal): undefined {
  return sendText(res, refusal.status, refusal.body, refusal.headers);
}

/** The realm protecting a path, as the real master's routes are set up; undefined for open endpoints. */
function realmOf(path: string): string | undefined {
  switch (path) {
    case "/api/v1/scheduler":
    case "/master/api/v1/scheduler":
      return REALM_SCHEDULER;
    case "/api/v1":
    case "/master/api/v1":
    case ADMIN_PATH:
    case CONTROL_PATH:
      return REALM_READWRITE;
    case "/master/state":
    case "/state":
    case "/master/flags":
    case "/flags":
    case "/master/slaves":
    case "/slaves":
    case "/master/frameworks":
    case "/frameworks":
    case "/master/tasks":
    case "/tasks":
    case "/files/read":
    case "/files/browse":
    case "/files/download":
    case "/files/debug":
      return REALM_READONLY;
    default:
      // /redirect, /version, /health and unknown paths (404) need no credentials, as on a real master.
      return undefined;
  }
}

/** The master's routes (src/master/master.cpp `route(...)`, and the files process), each also under `/master`. */
const MASTER_ROUTES: ReadonlySet<string> = new Set(
  [
    "/api/v1/scheduler",
    "/api/v1",
    "/state",
    "/flags",
    "/slaves",
    "/frameworks",
    "/tasks",
    "/redirect",
    "/health",
  ]
    .flatMap((route) => [route, `/master${route}`])
    .concat(["/files/read", "/files/browse", "/files/download", "/files/debug"]),
);
const EXACT_ROUTES: ReadonlySet<string> = new Set(["/version"]);

async function route(
  master: LocalMaster,
  options: MasterServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<undefined> {
  const foreign = refuseForeignHost(req);
  if (foreign) return refuse(res, foreign);
  if (hasMalformedQueryEscape(req.url ?? "")) {
    req.socket.destroy();
    return;
  }
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const requested = url.pathname;
  // The test, control and identity endpoints are not libprocess routes: only their exact path.
  const path =
    requested === ADMIN_PATH || requested === CONTROL_PATH || requested === IDENTITY_PATH
      ? requested
      : (matchRoute(requested, MASTER_ROUTES, EXACT_ROUTES) ?? requested);
  const absent =
    (path === ADMIN_PATH && !options.admin) ||
    (path === CONTROL_PATH && !options.control) ||
    (path === IDENTITY_PATH && options.instance === undefined);
  const realm = absent ? undefined : realmOf(path);
  let principal: string | null = null;
  if (realm !== undefined) {
    const auth = authenticate(req, options.credentials, realm);
    if ("status" in auth) return refuse(res, auth);
    principal = auth.principal;
  }
  const body = await readBody(req);
  switch (path) {
    case "/api/v1/scheduler":
    case "/master/api/v1/scheduler":
      return handleScheduler(master, req, res, body, principal);
    case "/api/v1":
    case "/master/api/v1":
      return handleOperator(master, req, res, body);
    case "/master/state":
    case "/state":
      return withJsonp(res, url, legacyState(master));
    case "/master/flags":
    case "/flags":
      return withJsonp(res, url, { flags: masterFlags(master) });
    case "/master/slaves":
    case "/slaves":
      return withJsonp(res, url, {
        slaves: legacySlaves(master, true),
        recovered_slaves: legacyRecoveredSlaves(master),
      });
    case "/master/frameworks":
    case "/frameworks":
      return withJsonp(res, url, legacyFrameworks(master));
    case "/master/tasks":
    case "/tasks":
      return withJsonp(res, url, legacyTasks(master, url.searchParams));
    case "/master/redirect":
    case "/redirect":
      // Master::Http::redirect: below its own path (a trailing slash too) it is NotFound().
      if (requested !== path) return sendText(res, 404, NOT_FOUND_BODY);
      return sendText(res, 307, "", { Location: `//127.0.0.1:${master.port}` });
    case "/files/read":
    case "/files/browse":
    case "/files/download":
    case "/files/debug":
      return masterFiles(res, path, url);
    case "/version":
      return sendJson(res, versionInfo());
    case "/health":
    case "/master/health":
      return sendText(res, 200);
    case ADMIN_PATH:
      return handleAdmin(options.admin, req, res, body);
    case CONTROL_PATH:
      return handleAdmin(options.control, req, res, body);
    case IDENTITY_PATH:
      return handleIdentity(options.instance, req, res, url);
    default:
      return sendText(res, 404, NOT_FOUND_BODY);
  }
}

/**
 * The master's files endpoints (src/files/files.cpp, set up by src/master/main.cpp): a master attaches only its log,
 * and only with `--log_dir`, which this one does not have, so every path is unknown once the query is valid.
 */
function masterFiles(res: ServerResponse, path: string, url: URL): undefined {
  if (path === "/files/debug") return withJsonp(res, url, {});
  try {
    if (path === "/files/read") readAttachedFile(url.searchParams, []);
    else if (path === "/files/browse") browseAttached(url.searchParams, []);
    else {
      requiredPath(url.searchParams);
      // `_download` answers its own NotFound(), with libprocess' default body.
      return sendText(res, 404, NOT_FOUND_BODY);
    }
  } catch (error) {
    if (error instanceof FilesError) return sendText(res, error.status, error.message);
    throw error;
  }
  return sendText(res, 404);
}

/**
 * The test-only fault endpoint — absent (404, as on a real master) unless the cluster was started for tests — and
 * the agents control endpoint, both never answering a browser (a page could otherwise fail the master over with a text/plain POST): requests with
 * `Origin` or `Sec-Fetch-*` headers get 403, POST bodies other than exactly `application/json` get 415.
 */
async function handleAdmin(
  admin: AdminHandler | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
): Promise<undefined> {
  if (!admin) return sendText(res, 404, NOT_FOUND_BODY);
  if (fromBrowser(req)) return sendText(res, 403, "This endpoint does not answer browsers");
  const method = req.method ?? "GET";
  if (method === "POST" && header(req, "content-type") !== JSON_TYPE) {
    return sendText(res, 415, `Expecting 'Content-Type' of ${JSON_TYPE}`);
  }
  let parsed: unknown = {};
  if (body.trim() !== "") {
    try {
      parsed = JSON.parse(body);
    } catch {
      return sendText(res, 400, "Failed to parse body into JSON");
    }
  }
  const answer = await admin(method, parsed);
  const text = toJson(answer.body);
  res.writeHead(answer.status, { "Content-Type": JSON_TYPE, "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/**
 * The identity endpoint: `GET ?nonce=<text>` answers this process's pid and the proof that it holds the instance
 * token, which titan checks against a cluster's record before it trusts the pid recorded there (cluster-identity.ts).
 * Open, as /health is: it shows nothing a caller could use, and a stranger on a dead cluster's port must not be sent
 * the cluster's credentials to be asked.
 */
function handleIdentity(
  instance: string | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): undefined {
  if (instance === undefined) return sendText(res, 404, NOT_FOUND_BODY);
  if (fromBrowser(req)) return sendText(res, 403, "This endpoint does not answer browsers");
  if (req.method !== "GET")
    return sendText(res, 405, methodNotAllowedBody(["GET"], req.method ?? ""), { Allow: "GET" });
  const nonce = url.searchParams.get("nonce") ?? "";
  if (nonce === "" || nonce.length > 128)
    return sendText(res, 400, "Expecting 'nonce' of 1 to 128 characters");
  return sendJson(res, { pid: process.pid, proof: identityProof(instance, nonce) });
}

/** Starts the master's HTTP server on 127.0.0.1:`port` (0 = a free port). */
export async function startMasterServer(
  master: LocalMaster,
  port: number,
  options: MasterServerOptions = {},
): Promise<MasterServer> {
  const server: Server = createServer((req, res) => {
    route(master, options, req, res).catch((error: unknown) => {
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
