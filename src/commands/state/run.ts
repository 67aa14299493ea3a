import { readFile, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { resolve } from "node:path";
import type { Env } from "../../cli/env.js";
import { UsageError } from "../../cli/errors.js";
import { outputDelivered, writeLine } from "../../cli/io.js";
import { checkOutputDir, outputFileError } from "../../cli/output-file.js";
import { canonicalJson } from "../../cluster/canonical.js";
import { IMPORT_LOCK_HINT, LockHeldError } from "../../state/errors.js";
import { liveLock } from "../../state/live-lock.js";
import { openStateStore } from "../../state/open.js";
import type { StateStore } from "../../state/types.js";
import type { StateExportOptions, StateImportOptions } from "./command.js";
import { exportSnapshot, parseSnapshot, type StateSnapshot } from "./snapshot.js";

/** The store `--store` names, else the target cluster's. */
async function storeFor(env: Env, flags: StateExportOptions | StateImportOptions): Promise<StateStore> {
  if (flags.store === undefined) return (await env.target(flags)).store();
  return openStateStore(flags.store, {
    clock: env.clock,
    hostname: hostname(),
    vars: env.vars,
    signal: env.signal,
  });
}

export async function runStateExport(
  env: Env,
  apps: readonly string[],
  flags: StateExportOptions,
): Promise<number> {
  const { output } = flags;
  if (output !== undefined) await checkOutputDir(output, resolve(env.cwd, output));
  const store = await storeFor(env, flags);
  try {
    await checkStoreExists(store, flags.store !== undefined);
    const snapshot = await exportSnapshot(store, apps, env.clock.now());
    await checkAppsFound(store, apps, snapshot);
    const text = `${JSON.stringify(snapshot, null, 2)}\n`;
    if (output === undefined) {
      env.io.out.write(text);
      // "Exported" only once the JSON reached its reader: one gone before, or a full disk, is no export.
      await outputDelivered(env.io, env.signal);
    } else await writeOutput(env, output, text);
    const releases = snapshot.apps.reduce((n, a) => n + a.releases.length, 0);
    writeLine(
      env.io.err,
      `Exported ${snapshot.apps.length} app(s), ${releases} release(s) from ${store.describe()}${flags.output ? ` to ${flags.output}` : ""}.`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

async function writeOutput(env: Env, file: string, text: string): Promise<void> {
  try {
    await writeFile(resolve(env.cwd, file), text, { mode: 0o600, signal: env.signal });
  } catch (error) {
    if (env.signal.aborted) throw error;
    throw outputFileError(file, error);
  }
}

/** An export of a store that was never written is a mistake in --store or --context, not an empty export. */
async function checkStoreExists(store: StateStore, named: boolean): Promise<void> {
  if (await store.exists()) return;
  throw new UsageError(
    `the state store ${store.describe()} does not exist`,
    named
      ? "check --store: a store is made by the first deploy (or import) that uses it"
      : "nothing was deployed with this context yet; pick another with --context, or a store with --store",
  );
}

/** Every app named must have records: an unknown app is a usage error, as for every command. */
async function checkAppsFound(
  store: StateStore,
  apps: readonly string[],
  snapshot: StateSnapshot,
): Promise<void> {
  const found = new Set(snapshot.apps.map((record) => record.app));
  const missing = [...new Set(apps)].filter((app) => !found.has(app));
  if (missing.length === 0) return;
  const held = await store.apps();
  throw new UsageError(
    `${store.describe()} holds no records of ${missing.join(", ")}`,
    held.length > 0 ? `it holds: ${held.join(", ")}` : "it holds no app's records",
  );
}

/**
 * The imported apps the store has records of already: `same` where they are exactly the imported ones (an import
 * retried after its exit status was lost has nothing to do there), `other` where they differ.
 */
async function recordsHeldAlready(
  store: StateStore,
  snapshot: StateSnapshot,
  now: number,
): Promise<{ same: string[]; other: string[] }> {
  const existing = new Set(await store.apps());
  const names = snapshot.apps.map((record) => record.app).filter((app) => existing.has(app));
  if (names.length === 0) return { same: [], other: [] };
  const current = new Map(
    (await exportSnapshot(store, names, now)).apps.map((record) => [record.app, canonicalJson(record)]),
  );
  const same: string[] = [];
  const other: string[] = [];
  for (const record of snapshot.apps) {
    if (!existing.has(record.app)) continue;
    (current.get(record.app) === canonicalJson(record) ? same : other).push(record.app);
  }
  return { same, other };
}

export async function runStateImport(env: Env, file: string, flags: StateImportOptions): Promise<number> {
  let text: string;
  try {
    text = await readFile(resolve(env.cwd, file), "utf8");
  } catch (error) {
    throw new UsageError(
      `cannot read ${file}: ${(error as Error).message}`,
      "give the file `titan state export -o` wrote",
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`${file} is not JSON`, "give the file `titan state export -o` wrote");
  }
  const snapshot = parseSnapshot(parsed, file);
  const store = await storeFor(env, flags);
  try {
    const held = await recordsHeldAlready(store, snapshot, env.clock.now());
    const clashing = held.other;
    if (clashing.length > 0 && flags.replace !== true)
      throw new UsageError(
        `${store.describe()} already holds other records of ${clashing.join(", ")}`,
        "re-run with --replace to replace them with the imported ones",
      );
    const same = new Set(held.same);
    const writing = snapshot.apps.filter((record) => !same.has(record.app));
    if (writing.length === 0) {
      writeLine(
        env.io.err,
        `Nothing changed: ${store.describe()} already holds exactly these records of ${held.same.join(", ")}.`,
      );
      return 0;
    }
    // Every app's lock is looked at before anything is written: an import stopped halfway by a locked app would
    // leave the store with some apps replaced and others not.
    const now = env.clock.now();
    for (const { app } of writing) {
      const lock = await liveLock(store, app, now);
      if (lock !== undefined) throw new LockHeldError(app, lock, now, undefined, IMPORT_LOCK_HINT);
    }
    for (const record of writing) await store.importApp(record);
    const releases = writing.reduce((n, a) => n + a.releases.length, 0);
    const kept = held.same.length === 0 ? "" : `; ${held.same.join(", ")} already held exactly these records`;
    writeLine(
      env.io.err,
      `Imported ${writing.length} app(s), ${releases} release(s) into ${store.describe()} (from ${snapshot.source})${kept}.`,
    );
    return 0;
  } finally {
    await store.close();
  }
}
