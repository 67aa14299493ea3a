/**
 * What `fetch:` may name. The Mesos fetcher downloads http(s) and ftp(s) with curl, hdfs and s3 through the
 * agent's Hadoop client, and copies `file://` URLs and absolute paths from the agent's own disk. Anything else
 * cannot work and is refused; a path on the agent's disk works but is rarely what was meant, so it is warned
 * about. The sandbox name of a fetched file is a plain name: it must not leave the sandbox.
 */
import { fail, ok, type Result, string, type Type } from "./kit.js";

export const FETCH_SCHEMES = ["http", "https", "ftp", "ftps", "hdfs", "s3", "s3a", "s3n", "file"] as const;

const SCHEME = /^([a-z][a-z0-9+.-]*):/i;

/** The scheme of a fetch URI, or undefined for a path. */
function schemeOf(uri: string): string | undefined {
  return SCHEME.exec(uri)?.[1]?.toLowerCase();
}

function checkUri(uri: string): Result<string> {
  if (uri.trim() === "") return fail("is empty", "give a URL (https://...) or a path next to the manifest");
  const scheme = schemeOf(uri);
  if (scheme === undefined) return ok(uri);
  if (!(FETCH_SCHEMES as readonly string[]).includes(scheme)) {
    return fail(
      `the Mesos fetcher cannot fetch \`${scheme}:\` URIs`,
      `use one of ${FETCH_SCHEMES.map((s) => `${s}://`).join(", ")}, or a path (start a relative one with ./)`,
    );
  }
  if (!uri.slice(scheme.length + 1).startsWith("//"))
    return fail(`a \`${scheme}:\` URI needs \`//\` after the scheme`, `e.g. ${scheme}://host/path`);
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    return fail("is not a valid URL", "check the host and escape spaces as %20");
  }
  if (scheme !== "file" && parsed.hostname === "")
    return fail(`a \`${scheme}://\` URL needs a host`, `e.g. ${scheme}://example.com/file.tgz`);
  return ok(uri);
}

/** Whether a fetch URI, as written, reads a file from the agent's own disk (not one next to the manifest). */
export function readsAgentDisk(uri: string): boolean {
  return schemeOf(uri) === "file" || uri.startsWith("/");
}

/** The last path segment the fetcher names the file after, when no output_file is given. */
export function defaultOutputName(uri: string): string {
  let path = uri;
  try {
    if (schemeOf(uri) !== undefined) path = new URL(uri).pathname;
  } catch {
    // checkUri reports it
  }
  return decodeSafe(path.slice(path.lastIndexOf("/") + 1));
}

function decodeSafe(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export const fetchUriType = (): Type<string> => string({ check: checkUri });

/** A plain file name inside the sandbox: no directories, no `..`, nothing hidden in it. */
export function checkOutputName(name: string): Result<string> {
  if (name === "" || name === "." || name === "..")
    return fail(`\`${name}\` is not a file name`, "give a plain file name, e.g. tool or site.tgz");
  if (name.includes("/") || name.includes("\\"))
    return fail(
      "must be a plain file name inside the sandbox, without directories",
      `e.g. ${
        name
          .split(/[/\\]/)
          .filter((part) => part !== "" && part !== "." && part !== "..")
          .at(-1) ?? "tool"
      }`,
    );
  return ok(name);
}

export const outputFileType = (): Type<string> => string({ maxLength: 255, check: checkOutputName });
