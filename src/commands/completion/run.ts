import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Env } from "../../cli/env.js";
import { UsageError } from "../../cli/errors.js";
import { writeLine } from "../../cli/io.js";
import { loadTarget, loadUserConfig } from "../../config/index.js";
import { allContexts } from "../../config/resolve.js";
import { catalog } from "../catalog.js";
import { type CompletionSources, complete, type TypedTarget } from "./candidates.js";
import { completionScripts, NO_SPACE } from "./scripts.js";

/** `titan completion SHELL` prints the script; `titan completion __complete -- WORDS…` answers the script. */
export async function runCompletion(env: Env, shell: string, typed: readonly string[]): Promise<number> {
  if (shell === "__complete") {
    const result = await complete(typed, sources(env));
    if (result.kind === "files") writeLine(env.io.out, "__files__");
    else {
      if (result.open === true) writeLine(env.io.out, NO_SPACE);
      for (const word of result.words) writeLine(env.io.out, word);
    }
    return 0;
  }
  const script = completionScripts[shell];
  if (script === undefined)
    throw new UsageError(`no completion for the shell ${JSON.stringify(shell)}`, "use bash, zsh or fish");
  env.io.out.write(script);
  return 0;
}

/** Completion must never fail loudly: a broken config or a missing store just offers nothing. */
async function quietly<T>(read: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await read();
  } catch {
    return fallback;
  }
}

function sources(env: Env): CompletionSources {
  const storeDir = async (typed: TypedTarget): Promise<string> => {
    const target = await loadTarget(env, typed);
    const url =
      target.cluster.state ?? pathToFileURL(join(env.paths.dataDir, "state", target.cluster.name)).href;
    return fileURLToPath(url);
  };
  return {
    catalog,
    apps: (typed) => quietly(async () => (await readdir(join(await storeDir(typed), "apps"))).sort(), []),
    instances: (app, typed) =>
      quietly(async () => {
        const { FileStateStore } = await import("../../state/file-store.js");
        const { targetRelease } = await import("../ps/target.js");
        const store = new FileStateStore(pathToFileURL(await storeDir(typed)).href, {
          clock: env.clock,
          hostname: "completion",
        });
        return targetRelease(await store.releases(app))?.spec.instances ?? 0;
      }, 0),
    contexts: () => quietly(async () => Object.keys(allContexts((await loadUserConfig(env)).config)), []),
    regions: () => quietly(async () => Object.keys((await loadUserConfig(env)).config.regions), []),
  };
}
