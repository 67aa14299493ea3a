import { readFile, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { resolve } from "node:path";
import type { Env } from "../../cli/env.js";
import { TitanError, UsageError } from "../../cli/errors.js";
import { writeLine } from "../../cli/io.js";
import { openStateStore } from "../../state/open.js";
import type { StateStore } from "../../state/types.js";
import type { StateExportOptions, StateImportOptions } from "./command.js";
import { exportSnapshot, parseSnapshot } from "./snapshot.js";

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
  const store = await storeFor(env, flags);
  try {
    const snapshot = await exportSnapshot(store, apps, env.clock.now());
    const text = `${JSON.stringify(snapshot, null, 2)}\n`;
    if (flags.output === undefined) env.io.out.write(text);
    else await writeFile(resolve(env.cwd, flags.output), text, { mode: 0o600, signal: env.signal });
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
    const existing = new Set(await store.apps());
    const clashing = snapshot.apps.map((a) => a.app).filter((app) => existing.has(app));
    if (clashing.length > 0 && flags.replace !== true)
      throw new TitanError(`${store.describe()} already holds records of ${clashing.join(", ")}`, {
        hint: "re-run with --replace to replace them with the imported ones",
      });
    for (const record of snapshot.apps) await store.importApp(record);
    const releases = snapshot.apps.reduce((n, a) => n + a.releases.length, 0);
    writeLine(
      env.io.err,
      `Imported ${snapshot.apps.length} app(s), ${releases} release(s) into ${store.describe()} (from ${snapshot.source}).`,
    );
    return 0;
  } finally {
    await store.close();
  }
}
