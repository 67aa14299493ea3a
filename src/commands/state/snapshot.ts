import { UsageError } from "../../cli/errors.js";
import { isAppName } from "../../manifest/app-name.js";
import type { AppRecord, DeployProgress, Release, StateStore } from "../../state/types.js";

/** The document `titan state export` writes and `titan state import` reads. */
export interface StateSnapshot {
  format: "titan-state";
  version: 1;
  /** The store it came from (no credentials). */
  source: string;
  exportedAt: string;
  apps: AppRecord[];
}

/** Reads every record of the given apps (all of them when none are named) from a store. */
export async function exportSnapshot(
  store: StateStore,
  apps: readonly string[],
  now: number,
): Promise<StateSnapshot> {
  const names = apps.length > 0 ? [...apps] : await store.apps();
  const records: AppRecord[] = [];
  for (const app of names) {
    const [frameworkId, releases, progress] = await Promise.all([
      store.frameworkId(app),
      store.releases(app),
      store.progress(app),
    ]);
    if (frameworkId === undefined && releases.length === 0 && progress === undefined) continue;
    records.push({
      app,
      ...(frameworkId === undefined ? {} : { frameworkId }),
      releases,
      ...(progress === undefined ? {} : { progress }),
    });
  }
  return {
    format: "titan-state",
    version: 1,
    source: store.describe(),
    exportedAt: new Date(now).toISOString(),
    apps: records,
  };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Checks a parsed export document; every problem is a usage error naming the file and the place. */
export function parseSnapshot(value: unknown, file: string): StateSnapshot {
  const bad = (where: string, why: string): UsageError =>
    new UsageError(`${file}: ${where}: ${why}`, "import a file written by `titan state export`, unedited");
  if (!isObject(value) || value.format !== "titan-state")
    throw bad("format", 'not a titan state export (expected "format": "titan-state")');
  if (value.version !== 1)
    throw bad("version", `version ${String(value.version)} is not supported (expected 1)`);
  if (!Array.isArray(value.apps)) throw bad("apps", "expected a list");
  const seen = new Set<string>();
  const apps = value.apps.map((item: unknown, i): AppRecord => {
    const at = `apps[${i}]`;
    if (!isObject(item) || typeof item.app !== "string" || !isAppName(item.app))
      throw bad(`${at}.app`, "expected an app name (a DNS label)");
    if (seen.has(item.app)) throw bad(`${at}.app`, `${item.app} appears twice`);
    seen.add(item.app);
    if (item.frameworkId !== undefined && typeof item.frameworkId !== "string")
      throw bad(`${at}.frameworkId`, "expected a string");
    if (!Array.isArray(item.releases)) throw bad(`${at}.releases`, "expected a list");
    const releases = item.releases.map((release: unknown, j) =>
      checkRelease(release, item.app as string, `${at}.releases[${j}]`, bad),
    );
    if (item.progress !== undefined && !isProgress(item.progress))
      throw bad(`${at}.progress`, "not a deploy progress record");
    return {
      app: item.app,
      ...(item.frameworkId === undefined ? {} : { frameworkId: item.frameworkId }),
      releases,
      ...(item.progress === undefined ? {} : { progress: item.progress }),
    };
  });
  return {
    format: "titan-state",
    version: 1,
    source: typeof value.source === "string" ? value.source : "?",
    exportedAt: typeof value.exportedAt === "string" ? value.exportedAt : "?",
    apps,
  };
}

function checkRelease(
  value: unknown,
  app: string,
  at: string,
  bad: (where: string, why: string) => UsageError,
): Release {
  if (!isObject(value)) throw bad(at, "expected a release object");
  if (value.app !== app) throw bad(`${at}.app`, `expected ${app}`);
  if (!Number.isInteger(value.number) || (value.number as number) < 1)
    throw bad(`${at}.number`, "expected a positive whole number");
  if (typeof value.manifestDigest !== "string" || !isObject(value.spec) || typeof value.outcome !== "string")
    throw bad(at, "missing manifestDigest, spec or outcome");
  return value as unknown as Release;
}

function isProgress(value: unknown): value is DeployProgress {
  return (
    isObject(value) &&
    Number.isInteger(value.release) &&
    typeof value.phase === "string" &&
    Array.isArray(value.launched) &&
    value.launched.every((id) => typeof id === "string")
  );
}
