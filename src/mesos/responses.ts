import { STATUS_CODES } from "node:http";
import type { TitanError } from "../cli/errors.js";
import { BadResponseError, TemporarilyUnavailableError, UnauthorizedError } from "./errors.js";
import { sanitizeExcerpt } from "./excerpt.js";
import { nanosecondsAsStrings, parseMesosJson } from "./json.js";
import type { HttpResponse, HttpResponseHead, SentCredentials } from "./transport.js";

export function statusLine(status: number): string {
  const text = STATUS_CODES[status];
  return text === undefined ? String(status) : `${status} ${text}`;
}

/**
 * A short excerpt of an error body, or nothing when it says no more than the status: Mesos answers many errors with
 * libprocess' default body, the status line and a period ("404 Not Found."), which titan already writes.
 */
function excerptOf(status: number, body: Buffer | undefined): string {
  if (body === undefined || body.length === 0) return "";
  const text = sanitizeExcerpt(body.subarray(0, 4096).toString("utf8"));
  if (text === `${statusLine(status)}.`) return "";
  return text === "" ? "" : `: "${text}"`;
}

/**
 * The typed error for a response whose status is not the success the caller wanted. `credentialsSent` tells a
 * 401 caused by missing credentials (or credentials withheld from an unknown host) from wrong ones.
 */
export function errorForStatus(
  head: HttpResponseHead,
  body: Buffer | undefined,
  options: { what: string; credentialsSent: SentCredentials },
): TitanError {
  const who = head.url.origin;
  const detail = excerptOf(head.status, body);
  const type = head.contentType === "" ? "" : ` (${head.contentType.split(";")[0]?.trim()})`;
  switch (head.status) {
    case 401:
      return new UnauthorizedError(
        `${options.what}: ${who} answered ${statusLine(401)}${detail}`,
        401,
        options.credentialsSent === "colon"
          ? "Mesos splits HTTP Basic credentials at every ':', so a principal or secret holding one is never accepted: configure credentials without ':'"
          : options.credentialsSent
            ? "the principal or secret was rejected; check the configured credentials"
            : "this cluster requires HTTP authentication: give it a principal and secret with `titan config set-cluster NAME --master URL --principal P --secret env:VAR` (credentials are only sent to the configured masters and a leader they name)",
      );
    case 403:
      return new UnauthorizedError(
        `${options.what}: ${who} answered ${statusLine(403)}${detail}`,
        403,
        "the principal is not authorised for this call; ask the cluster operator for the ACL",
      );
    case 503:
      return new TemporarilyUnavailableError(`${options.what}: ${who} answered ${statusLine(503)}${detail}`);
    default:
      return new BadResponseError(
        `${options.what}: ${who} answered ${statusLine(head.status)}${type}${detail}`,
        {
          status: head.status,
        },
      );
  }
}

/**
 * Parses a 200 JSON body, or throws a one-line typed error (never a JSON parser stack). `latin1` decodes each
 * byte as one character, for bodies that embed raw bytes in JSON strings (`/files/read`).
 */
export function parseJsonBody(
  response: HttpResponse,
  options: {
    what: string;
    credentialsSent: SentCredentials;
    encoding?: "utf8" | "latin1";
    /** Read int64 `nanoseconds` as exact strings, for a document titan sends back (json.ts). */
    exactNanoseconds?: boolean;
  },
): unknown {
  if (response.status !== 200) throw errorForStatus(response, response.body, options);
  const type = response.contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  const body = response.body.toString(options.encoding ?? "utf8");
  const text = options.exactNanoseconds === true ? nanosecondsAsStrings(body) : body;
  if (type !== "" && !type.endsWith("json")) {
    throw new BadResponseError(
      `${options.what}: ${response.url.origin} answered ${statusLine(200)} with ${type} instead of JSON${excerptOf(response.status, response.body)}`,
      { status: 200 },
    );
  }
  try {
    return parseMesosJson(text);
  } catch {
    throw new BadResponseError(
      `${options.what}: ${response.url.origin} answered invalid JSON${excerptOf(response.status, response.body)}`,
      { status: 200 },
    );
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
