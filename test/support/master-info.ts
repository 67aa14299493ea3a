import type { ServerResponse } from "node:http";
import type { RecordedRequest } from "./scripted-server.js";

/**
 * For a scripted master: answers a v1 GET_MASTER as a master started with `--domain` in `region` does, and says
 * whether the request was one. titan asks for it when the agents of a GET_STATE have fault domains.
 */
export function answeredGetMaster(
  request: RecordedRequest,
  response: ServerResponse,
  region: string,
): boolean {
  if (callType(request) !== "GET_MASTER") return false;
  response.writeHead(200, { "Content-Type": "application/json" });
  response.end(
    JSON.stringify({
      type: "GET_MASTER",
      get_master: {
        master_info: {
          id: "master-1",
          ip: 16777343,
          port: 5050,
          hostname: "127.0.0.1",
          domain: { fault_domain: { region: { name: region }, zone: { name: `${region}-a` } } },
        },
      },
    }),
  );
  return true;
}

/**
 * For a scripted master: answers a v1 GET_QUOTA with `status` (a master without quota answers an empty one), and
 * says whether the request was one. A live plan asks for it after GET_STATE.
 */
export function answeredGetQuota(
  request: RecordedRequest,
  response: ServerResponse,
  status: Record<string, unknown> = {},
): boolean {
  if (callType(request) !== "GET_QUOTA") return false;
  response.writeHead(200, { "Content-Type": "application/json" });
  response.end(JSON.stringify({ type: "GET_QUOTA", get_quota: { status } }));
  return true;
}

function callType(request: RecordedRequest): unknown {
  if (request.method !== "POST" || request.path !== "/api/v1") return undefined;
  try {
    return (JSON.parse(request.body) as { type?: unknown }).type;
  } catch {
    return undefined;
  }
}
