import { dirname, isAbsolute, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { AppSpec } from "../manifest/types.js";

/** A `file://` fetch, which the agent reads from its own disk (the Mesos fetcher's local-file case). */
export interface FileFetch {
  app: string;
  uri: string;
  /** The path lies next to the manifest: written as a relative path, it names a file on this machine. */
  nextToManifest: boolean;
}

/** Hosts that are this machine: the whole 127/8 block, ::1 and localhost. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return (
    host === "localhost" || host.endsWith(".localhost") || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host)
  );
}

/** Whether the agents may be on another machine: some master is not on loopback. */
export function clusterIsRemote(masters: readonly string[]): boolean {
  return masters.some((m) => {
    try {
      return !isLoopbackHost(new URL(m).hostname);
    } catch {
      return true;
    }
  });
}

/** Every `file://` fetch of the apps, and whether it points next to the app's manifest on this machine. */
export function fileFetches(apps: readonly AppSpec[], cwd: string): FileFetch[] {
  const found: FileFetch[] = [];
  for (const app of apps) {
    const manifest = app.source.file;
    const base = manifest === "-" || manifest === "" ? undefined : dirname(resolve(cwd, manifest));
    for (const f of app.fetch) {
      if (!f.uri.startsWith("file:")) continue;
      let path: string;
      try {
        path = fileURLToPath(f.uri);
      } catch {
        continue;
      }
      const rel = base === undefined ? undefined : relative(base, path);
      const nextToManifest = rel !== undefined && !rel.startsWith("..") && !isAbsolute(rel);
      found.push({ app: app.name, uri: f.uri, nextToManifest });
    }
  }
  return found;
}

/** The line for one file fetch on a cluster whose agents are elsewhere. */
export function describeFileFetch(f: FileFetch): string {
  return f.nextToManifest
    ? `${f.app} fetches ${f.uri}, a file next to the manifest on this machine, but the cluster's agents are not on this machine: each agent would look for it on its own disk and fail the launch ("Failed to fetch all URIs")`
    : `${f.app} fetches ${f.uri} from each agent's own disk: it must exist on every agent`;
}

export const SHIP_HINT =
  "serve the file over http(s) (fetch: https://…), or build it into the app's image; see docs/manifest.md, Fetching files";
