import { execFile } from "node:child_process";
import { chmod, copyFile, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const ARCHIVE = /\.(tar|tar\.gz|tgz|tar\.bz2|tbz2|tar\.xz|txz|zip)$/i;
const MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024;

/** mesos.v1.CommandInfo.URI */
export interface UriJson {
  value: string;
  executable?: boolean;
  extract?: boolean;
  cache?: boolean;
  output_file?: string;
}

export class FetchError extends Error {}

/**
 * The Mesos fetcher for the local agent: every URI is copied (file://, or a plain absolute path) or downloaded
 * (http, https) into the sandbox under its output_file or last path segment; `executable` sets mode 0755;
 * archives are unpacked into the sandbox unless `extract` is false (Mesos' default is to extract).
 */
export async function fetchUris(
  uris: readonly UriJson[],
  sandbox: string,
  signal: AbortSignal,
): Promise<void> {
  for (const uri of uris) await fetchOne(uri, sandbox, signal);
}

async function fetchOne(uri: UriJson, sandbox: string, signal: AbortSignal): Promise<void> {
  const name = uri.output_file ?? basename(new URL(uri.value, "file:///").pathname);
  if (name === "" || name.includes("/") || name === "..")
    throw new FetchError(`cannot name the fetched file of '${uri.value}'`);
  const target = join(sandbox, name);
  if (/^https?:\/\//i.test(uri.value)) await download(uri.value, target, signal);
  else {
    const source = uri.value.startsWith("file://") ? fileURLToPath(uri.value) : uri.value;
    if (!source.startsWith("/"))
      throw new FetchError(`'${uri.value}' is not an absolute path or a supported URL`);
    try {
      await copyFile(source, target);
    } catch (error) {
      throw new FetchError(`Failed to copy '${source}': ${(error as Error).message}`);
    }
  }
  if (uri.executable === true) await chmod(target, 0o755);
  else if (uri.extract !== false && ARCHIVE.test(name)) await extract(target, sandbox, signal);
}

async function download(url: string, target: string, signal: AbortSignal): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { signal, redirect: "follow" });
  } catch (error) {
    throw new FetchError(`Failed to download '${url}': ${(error as Error).message}`);
  }
  if (!response.ok) throw new FetchError(`Failed to download '${url}': HTTP ${response.status}`);
  const body = Buffer.from(await response.arrayBuffer());
  if (body.length > MAX_DOWNLOAD_BYTES)
    throw new FetchError(`'${url}' is larger than the local fetcher accepts`);
  await writeFile(target, body);
}

async function extract(archive: string, sandbox: string, signal: AbortSignal): Promise<void> {
  try {
    if (archive.toLowerCase().endsWith(".zip"))
      await run("unzip", ["-o", "-q", archive, "-d", sandbox], { signal });
    else await run("tar", ["-C", sandbox, "-xf", archive], { signal });
  } catch (error) {
    throw new FetchError(
      `Failed to extract '${basename(archive)}': ${(error as Error).message.split("\n")[0]}`,
    );
  }
}
